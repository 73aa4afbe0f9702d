#include "core/error.hpp"

namespace apr {

const char* to_string(ErrorCategory c) noexcept {
  switch (c) {
    case ErrorCategory::io: return "io";
    case ErrorCategory::parse: return "parse";
    case ErrorCategory::validation: return "validation";
    case ErrorCategory::unsupported: return "unsupported";
    case ErrorCategory::internal: return "internal";
  }
  return "internal";
}

Error::Error(ErrorCategory category, std::string message)
    : category_(category), message_(std::move(message)) {
  render();
}

#define APR_ERROR_SETTER(NAME, FIELD, TYPE)              \
  Error& Error::NAME(TYPE v) & {                         \
    FIELD = std::move(v);                                \
    render();                                            \
    return *this;                                        \
  }                                                      \
  Error&& Error::NAME(TYPE v) && {                       \
    FIELD = std::move(v);                                \
    render();                                            \
    return std::move(*this);                             \
  }
APR_ERROR_SETTER(at_path, path_, std::string)
APR_ERROR_SETTER(at_offset, offset_, std::uint64_t)
APR_ERROR_SETTER(at_tensor, tensor_, std::string)
APR_ERROR_SETTER(at_key, key_, std::string)
APR_ERROR_SETTER(at_gate, gate_, std::string)
#undef APR_ERROR_SETTER

Error& Error::with_context(const std::string& phase) & {
  message_ = phase + ": " + message_;
  render();
  return *this;
}
Error&& Error::with_context(const std::string& phase) && {
  message_ = phase + ": " + message_;
  render();
  return std::move(*this);
}

void Error::render() {
  std::string s;
  if (!path_.empty()) s += path_ + ": ";
  if (!gate_.empty()) s += "gate " + gate_ + ": ";
  if (!tensor_.empty()) s += "tensor '" + tensor_ + "': ";
  if (!key_.empty()) s += "key '" + key_ + "': ";
  if (offset_) s += "offset " + std::to_string(*offset_) + ": ";
  s += message_;
  rendered_ = std::move(s);
}

const char* Error::what() const noexcept { return rendered_.c_str(); }

}  // namespace apr
