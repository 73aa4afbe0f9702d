// apr-qa chat templates: Python-like Unicode helpers (see jinja_unicode.hpp).
#include "tokenizer/jinja_unicode.hpp"

#include "core/utf8.hpp"

#include <utf8proc.h>

namespace apr::tok::jinja::uni {

std::size_t length(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s)
    if ((c & 0xC0) != 0x80) ++n;
  return n;
}

bool is_space(char32_t c) {
  switch (c) {
    case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x1C: case 0x1D: case 0x1E:
    case 0x1F: case 0x20: case 0x85: case 0xA0: case 0x1680: case 0x2028: case 0x2029:
    case 0x202F: case 0x205F: case 0x3000:
      return true;
    default:
      return c >= 0x2000 && c <= 0x200A;
  }
}

static utf8proc_category_t cat(char32_t c) {
  return utf8proc_category(static_cast<utf8proc_int32_t>(c));
}

bool is_printable(char32_t c) {
  if (c == ' ') return true;
  switch (cat(c)) {
    case UTF8PROC_CATEGORY_CC: case UTF8PROC_CATEGORY_CF: case UTF8PROC_CATEGORY_CS:
    case UTF8PROC_CATEGORY_CO: case UTF8PROC_CATEGORY_CN: case UTF8PROC_CATEGORY_ZL:
    case UTF8PROC_CATEGORY_ZP: case UTF8PROC_CATEGORY_ZS:
      return false;
    default:
      return true;
  }
}

bool is_cased(char32_t c) {
  auto k = cat(c);
  return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT;
}
bool is_alpha(char32_t c) {
  auto k = cat(c);
  return k == UTF8PROC_CATEGORY_LU || k == UTF8PROC_CATEGORY_LL || k == UTF8PROC_CATEGORY_LT ||
         k == UTF8PROC_CATEGORY_LM || k == UTF8PROC_CATEGORY_LO;
}
bool is_digit(char32_t c) { return cat(c) == UTF8PROC_CATEGORY_ND; }
bool is_lower(char32_t c) { return cat(c) == UTF8PROC_CATEGORY_LL; }
bool is_upper(char32_t c) { return cat(c) == UTF8PROC_CATEGORY_LU || cat(c) == UTF8PROC_CATEGORY_LT; }
char32_t to_upper(char32_t c) { return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(c))); }
char32_t to_lower(char32_t c) { return static_cast<char32_t>(utf8proc_tolower(static_cast<utf8proc_int32_t>(c))); }
char32_t to_title(char32_t c) { return static_cast<char32_t>(utf8proc_totitle(static_cast<utf8proc_int32_t>(c))); }

std::string upper(std::string_view s) {
  std::string out;
  for (char32_t c : utf8::decode(s)) utf8::append(out, to_upper(c));
  return out;
}
std::string lower(std::string_view s) {
  std::string out;
  for (char32_t c : utf8::decode(s)) utf8::append(out, to_lower(c));
  return out;
}

std::string py_title(std::string_view s) {
  std::string out;
  bool prev_cased = false;
  for (char32_t c : utf8::decode(s)) {
    if (is_cased(c)) {
      utf8::append(out, prev_cased ? to_lower(c) : to_title(c));
      prev_cased = true;
    } else {
      utf8::append(out, c);
      prev_cased = false;
    }
  }
  return out;
}

std::string py_capitalize(std::string_view s) {
  std::string out;
  bool first = true;
  for (char32_t c : utf8::decode(s)) {
    utf8::append(out, first ? to_title(c) : to_lower(c));
    first = false;
  }
  return out;
}

std::string strip(std::string_view s, bool left, bool right, const std::string* chars) {
  auto cps = utf8::decode(s);
  std::vector<char32_t> set;
  if (chars) set = utf8::decode(*chars);
  auto drop = [&](char32_t c) {
    if (!chars) return is_space(c);
    for (char32_t x : set)
      if (x == c) return true;
    return false;
  };
  std::size_t b = 0, e = cps.size();
  if (left)
    while (b < e && drop(cps[b])) ++b;
  if (right)
    while (e > b && drop(cps[e - 1])) --e;
  return utf8::encode(std::vector<char32_t>(cps.begin() + static_cast<std::ptrdiff_t>(b),
                                      cps.begin() + static_cast<std::ptrdiff_t>(e)));
}

}  // namespace apr::tok::jinja::uni
