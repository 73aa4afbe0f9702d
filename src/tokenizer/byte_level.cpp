#include "tokenizer/byte_level.hpp"
#include "core/utf8.hpp"

#include <vector>

#include "tokenizer/unicode.hpp"

namespace apr::tok {
namespace {

struct Tables {
  std::array<char32_t, 256> b2u{};
  std::array<std::string, 256> sym{};
  std::array<std::int16_t, 324> u2b{};  // code points < 324 cover every symbol
  Tables() {
    u2b.fill(-1);
    char32_t next = 0x100;
    for (int b = 0; b < 256; ++b) {
      const bool kept = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
      b2u[b] = kept ? static_cast<char32_t>(b) : next++;
      u2b[b2u[b]] = static_cast<std::int16_t>(b);
      utf8::append(sym[b], b2u[b]);
    }
  }
};

const Tables& tables() {
  static const Tables t;
  return t;
}

}  // namespace

char32_t byte_to_unicode(std::uint8_t b) noexcept { return tables().b2u[b]; }

std::optional<std::uint8_t> unicode_to_byte(char32_t cp) noexcept {
  if (cp >= tables().u2b.size()) return std::nullopt;
  const auto v = tables().u2b[cp];
  if (v < 0) return std::nullopt;
  return static_cast<std::uint8_t>(v);
}

const std::string& byte_symbol(std::uint8_t b) { return tables().sym[b]; }

std::string bytes_to_byte_level(std::string_view raw) {
  std::string out;
  out.reserve(raw.size() * 2);
  for (unsigned char c : raw) out += tables().sym[c];
  return out;
}

std::string byte_level_to_bytes(std::string_view s, bool* all_mapped) {
  std::string out;
  out.reserve(s.size());
  if (all_mapped) *all_mapped = true;
  for (std::size_t i = 0; i < s.size();) {
    const auto l = utf8::valid_len(s, i);
    if (l == 0) {  // not UTF-8 at all: keep the byte
      out.push_back(s[i]);
      ++i;
      if (all_mapped) *all_mapped = false;
      continue;
    }
    char32_t cp = 0;
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (l == 1) cp = b0;
    else if (l == 2) cp = ((b0 & 0x1F) << 6) | (s[i + 1] & 0x3F);
    else if (l == 3) cp = ((b0 & 0x0F) << 12) | ((s[i + 1] & 0x3F) << 6) | (s[i + 2] & 0x3F);
    else cp = ((b0 & 0x07) << 18) | ((s[i + 1] & 0x3F) << 12) | ((s[i + 2] & 0x3F) << 6) | (s[i + 3] & 0x3F);
    if (auto b = unicode_to_byte(cp)) {
      out.push_back(static_cast<char>(*b));
    } else {
      out.append(s.substr(i, l));
      if (all_mapped) *all_mapped = false;
    }
    i += l;
  }
  return out;
}

}  // namespace apr::tok
