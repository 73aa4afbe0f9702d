#include "tokenizer/unicode.hpp"
#include "core/utf8.hpp"

#include <cstdlib>
#include <utf8proc.h>

#include "tokenizer/tokenizer.hpp"

namespace apr::tok {

std::size_t utf8_lead_len(unsigned char lead) noexcept {
  static constexpr std::size_t lookup[] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 3, 4};
  return lookup[lead >> 4];
}

std::string utf8_lossy(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto l = utf8::valid_len(s, i);
    if (l) {
      out.append(s.substr(i, l));
      i += l;
    } else {
      out.append("\xEF\xBF\xBD");
      i += utf8::invalid_len(s, i);
    }
  }
  return out;
}

std::string nfc(std::string_view s) {
  // ASCII is always NFC; skip the library call for the common case.
  bool ascii = true;
  for (unsigned char c : s) {
    if (c >= 0x80) { ascii = false; break; }
  }
  if (ascii || !utf8::is_valid(s)) return std::string(s);
  utf8proc_uint8_t* dst = nullptr;
  const auto n = utf8proc_map(reinterpret_cast<const utf8proc_uint8_t*>(s.data()),
                              static_cast<utf8proc_ssize_t>(s.size()), &dst,
                              static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_COMPOSE));
  if (n < 0) return std::string(s);
  std::string out(reinterpret_cast<const char*>(dst), static_cast<std::size_t>(n));
  std::free(dst);
  return out;
}


}  // namespace apr::tok
