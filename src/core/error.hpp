// apr-qa core: the one error vocabulary of the project.
//
// Every failure is an apr::Error with a closed category and structured location fields
// (path, offset, tensor, key, gate). Libraries either return Result<T> (public entry points)
// or throw apr::Error internally; the CLI boundary is the only place that catches and prints.
// what() renders one line: "<path>: <where>: <message>" so users see file, field and offset.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

namespace apr {

enum class ErrorCategory {
  io,           // cannot open/read/write/rename a file
  parse,        // bytes or text do not follow the format's grammar
  validation,   // well-formed but violates a rule (offsets, sizes, names, shapes, CRC)
  unsupported,  // recognised but not implemented (dtype, architecture, template construct)
  internal,     // a bug in apr-qa
};

const char* to_string(ErrorCategory c) noexcept;

class Error : public std::exception {
 public:
  Error(ErrorCategory category, std::string message);

  // Builder-style location setters: Error(...).at_path(p).at_offset(o).at_key("general.alignment")
  Error& at_path(std::string p) &;
  Error&& at_path(std::string p) &&;
  Error& at_offset(std::uint64_t o) &;
  Error&& at_offset(std::uint64_t o) &&;
  Error& at_tensor(std::string t) &;
  Error&& at_tensor(std::string t) &&;
  Error& at_key(std::string k) &;
  Error&& at_key(std::string k) &&;
  Error& at_gate(std::string g) &;
  Error&& at_gate(std::string g) &&;
  // Prefix the message with a phase ("converting tensors: ...").
  Error& with_context(const std::string& phase) &;
  Error&& with_context(const std::string& phase) &&;
  // The operating system's errno behind an io error (0: none recorded); not part of what().
  Error& with_errno(int e) & { errno_ = e; return *this; }
  Error&& with_errno(int e) && { errno_ = e; return std::move(*this); }
  int sys_errno() const noexcept { return errno_; }

  ErrorCategory category() const noexcept { return category_; }
  const std::string& message() const noexcept { return message_; }
  const std::string& path() const noexcept { return path_; }
  const std::optional<std::uint64_t>& offset() const noexcept { return offset_; }
  const std::string& tensor() const noexcept { return tensor_; }
  const std::string& key() const noexcept { return key_; }
  const std::string& gate() const noexcept { return gate_; }

  // One line: "path: tensor 'x': key 'y': offset N: message"
  const char* what() const noexcept override;

 private:
  void render();
  ErrorCategory category_;
  std::string message_, path_, tensor_, key_, gate_;
  std::optional<std::uint64_t> offset_;
  int errno_ = 0;
  std::string rendered_;
};

// True for an errno that says the machine, not the input, refused: no space (ENOSPC, EDQUOT,
// EFBIG), no permission (EACCES, EPERM), read-only file system (EROFS).
bool is_environment_errno(int e) noexcept;
// An io Error whose errno is an environment errno: a run stops on it (exit 3) instead of scoring it.
bool is_environment_error(const Error& e) noexcept;

// Convenience constructors.
inline Error io_error(std::string m) { return Error(ErrorCategory::io, std::move(m)); }
inline Error parse_error(std::string m) { return Error(ErrorCategory::parse, std::move(m)); }
inline Error validation_error(std::string m) { return Error(ErrorCategory::validation, std::move(m)); }
inline Error unsupported_error(std::string m) { return Error(ErrorCategory::unsupported, std::move(m)); }
inline Error internal_error(std::string m) { return Error(ErrorCategory::internal, std::move(m)); }

}  // namespace apr
