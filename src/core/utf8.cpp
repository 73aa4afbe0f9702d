#include "core/utf8.hpp"

namespace apr::utf8 {

namespace {
unsigned char byte(std::string_view s, std::size_t i) { return static_cast<unsigned char>(s[i]); }
}  // namespace

std::size_t valid_len(std::string_view s, std::size_t i) noexcept {
  const auto n = s.size();
  const auto b0 = byte(s, i);
  if (b0 < 0x80) return 1;
  auto cont = [&](std::size_t k) { return i + k < n && (byte(s, i + k) & 0xC0) == 0x80; };
  if (b0 >= 0xC2 && b0 <= 0xDF) return cont(1) ? 2 : 0;
  if (b0 >= 0xE0 && b0 <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    const auto b1 = byte(s, i + 1);
    if (b0 == 0xE0 && b1 < 0xA0) return 0;  // overlong
    if (b0 == 0xED && b1 > 0x9F) return 0;  // surrogate
    return 3;
  }
  if (b0 >= 0xF0 && b0 <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    const auto b1 = byte(s, i + 1);
    if (b0 == 0xF0 && b1 < 0x90) return 0;  // overlong
    if (b0 == 0xF4 && b1 > 0x8F) return 0;  // > U+10FFFF
    return 4;
  }
  return 0;  // continuation byte, C0/C1, F5..FF
}

std::size_t invalid_len(std::string_view s, std::size_t i) noexcept {
  const auto n = s.size();
  const auto b0 = byte(s, i);
  std::size_t need = 0;
  unsigned char lo = 0x80, hi = 0xBF;
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    need = 1;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    need = 2;
    if (b0 == 0xE0) lo = 0xA0;
    if (b0 == 0xED) hi = 0x9F;
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    need = 3;
    if (b0 == 0xF0) lo = 0x90;
    if (b0 == 0xF4) hi = 0x8F;
  } else {
    return 1;
  }
  std::size_t k = 1;
  for (; k <= need && i + k < n; ++k) {
    const auto b = byte(s, i + k);
    if (k == 1 ? (b < lo || b > hi) : (b & 0xC0) != 0x80) break;
  }
  return k;  // k <= need for an invalid sequence
}

bool is_valid(std::string_view s, std::size_t* bad_offset) noexcept {
  for (std::size_t i = 0; i < s.size();) {
    const auto l = valid_len(s, i);
    if (l == 0) {
      if (bad_offset) *bad_offset = i;
      return false;
    }
    i += l;
  }
  return true;
}

CodePoint decode_one(std::string_view s, std::size_t i) noexcept {
  const auto l = valid_len(s, i);
  if (l == 0) return {kReplacement, invalid_len(s, i), false};
  const auto b0 = byte(s, i);
  char32_t cp = l == 1 ? b0 : l == 2 ? (b0 & 0x1F) : l == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < l; ++k) cp = (cp << 6) | (byte(s, i + k) & 0x3F);
  return {cp, l, true};
}

std::vector<char32_t> decode(std::string_view s) {
  std::vector<char32_t> out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    const auto c = decode_one(s, i);
    out.push_back(c.cp);
    i += c.len;
  }
  return out;
}

void append(std::string& out, char32_t cp) {
  if (cp > 0x10FFFF) cp = kReplacement;
  if (cp < 0x80) {
    out.push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out.push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out.push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

std::string encode(const std::vector<char32_t>& cps) {
  std::string out;
  out.reserve(cps.size());
  for (char32_t c : cps) append(out, c);
  return out;
}

}  // namespace apr::utf8
