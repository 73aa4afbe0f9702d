#include "core/error.hpp"

#include "core/printable.hpp"

#include <cerrno>

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

bool is_environment_errno(int e) noexcept {
  return e == ENOSPC || e == EDQUOT || e == EFBIG || e == EACCES || e == EPERM || e == EROFS;
}

bool is_environment_error(const Error& e) noexcept {
  return e.category() == ErrorCategory::io && is_environment_errno(e.sys_errno());
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

std::string printable(std::string_view s, std::size_t max_bytes) {
  std::string out;
  std::size_t n = s.size();
  if (n > max_bytes) {
    n = max_bytes;
    while (n > 0 && (static_cast<unsigned char>(s[n]) & 0xC0) == 0x80) --n;  // not inside a UTF-8 sequence
  }
  out.reserve(n + 16);
  static const char* hex = "0123456789abcdef";
  for (std::size_t i = 0; i < n; ++i) {
    auto ch = static_cast<unsigned char>(s[i]);
    if (ch >= 0x20 && ch != 0x7f) {
      out += static_cast<char>(ch);
      continue;
    }
    switch (ch) {
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        out += "\\x";
        out += hex[ch >> 4];
        out += hex[ch & 15];
    }
  }
  if (n < s.size()) out += "... (" + std::to_string(s.size() - n) + " more bytes)";
  return out;
}

void Error::render() {
  std::string s;
  if (!path_.empty()) s += printable(path_, 1024) + ": ";
  if (!gate_.empty()) s += "gate " + printable(gate_) + ": ";
  if (!tensor_.empty()) s += "tensor '" + printable(tensor_) + "': ";
  if (!key_.empty()) s += "key '" + printable(key_) + "': ";
  if (offset_) s += "offset " + std::to_string(*offset_) + ": ";
  s += printable(message_, 4096);
  rendered_ = std::move(s);
}

const char* Error::what() const noexcept { return rendered_.c_str(); }

}  // namespace apr
