// apr-qa core: Result<T>, a [[nodiscard]] value-or-Error (C++20 has no std::expected).
#pragma once

#include <type_traits>
#include <utility>
#include <variant>

#include "core/error.hpp"

namespace apr {

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT(implicit)
  Result(Error error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT(implicit)

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  // Access the value; throws the held Error if there is none.
  T& value() & { throw_if_error(); return std::get<0>(v_); }
  const T& value() const& { throw_if_error(); return std::get<0>(v_); }
  T&& value() && { throw_if_error(); return std::get<0>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const& { return std::get<1>(v_); }

 private:
  void throw_if_error() const {
    if (v_.index() == 1) throw std::get<1>(v_);
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : err_(std::move(error)), has_error_(true) {}  // NOLINT(implicit)
  bool ok() const noexcept { return !has_error_; }
  explicit operator bool() const noexcept { return ok(); }
  void value() const {
    if (has_error_) throw err_;
  }
  const Error& error() const& { return err_; }

 private:
  Error err_{ErrorCategory::internal, ""};
  bool has_error_ = false;
};

// Run f (which may throw apr::Error) and capture its outcome as a Result.
template <typename F>
auto capture(F&& f) -> Result<std::invoke_result_t<F>> {
  using R = std::invoke_result_t<F>;
  try {
    if constexpr (std::is_void_v<R>) {
      std::forward<F>(f)();
      return Result<void>();
    } else {
      return Result<R>(std::forward<F>(f)());
    }
  } catch (const Error& e) {
    return e;
  }
}

}  // namespace apr
