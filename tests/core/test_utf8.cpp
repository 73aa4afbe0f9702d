// core/utf8: the one UTF-8 helper (validate, decode one code point, encode).
#include <doctest/doctest.h>

#include <ios>
#include <random>
#include <string>

#include "core/utf8.hpp"

using namespace apr;

namespace {
std::string bytes(std::initializer_list<int> b) {
  std::string s;
  for (int x : b) s.push_back(static_cast<char>(x));
  return s;
}
// Independent reference for one character: s (1-4 bytes) is well-formed iff its bit pattern gives
// a code point that is not a surrogate, is <= U+10FFFF and takes exactly len bytes at the shortest.
bool reference_char(const std::string& s) {
  const auto b0 = static_cast<unsigned char>(s[0]);
  std::size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
  if (len != s.size()) return false;
  char32_t cp = len == 1 ? b0 : len == 2 ? (b0 & 0x1F) : len == 3 ? (b0 & 0x0F) : (b0 & 0x07);
  for (std::size_t k = 1; k < len; ++k) {
    const auto b = static_cast<unsigned char>(s[k]);
    if ((b >> 6) != 0x2) return false;
    cp = (cp << 6) | (b & 0x3F);
  }
  const std::size_t shortest = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
  return shortest == len && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
}
// A string: characters one after the other, each as long as its lead byte says.
bool reference_valid(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    std::size_t len = b0 < 0x80 ? 1 : (b0 >> 5) == 0x6 ? 2 : (b0 >> 4) == 0xE ? 3 : (b0 >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > s.size() || !reference_char(s.substr(i, len))) return false;
    i += len;
  }
  return true;
}
}  // namespace

TEST_CASE("utf8: known encodings") {
  std::string s;
  utf8::append(s, U'A');
  utf8::append(s, 0xE9);      // é
  utf8::append(s, 0x20AC);    // €
  utf8::append(s, 0x1F600);   // 😀
  CHECK(s == bytes({0x41, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80}));
  CHECK(utf8::decode(s) == std::vector<char32_t>{U'A', 0xE9, 0x20AC, 0x1F600});
  CHECK(utf8::encode({0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF}) ==
        bytes({0xDF, 0xBF, 0xE0, 0xA0, 0x80, 0xEF, 0xBF, 0xBF, 0xF0, 0x90, 0x80, 0x80, 0xF4, 0x8F, 0xBF, 0xBF}));
  std::string big;
  utf8::append(big, 0x110000);  // not a code point: U+FFFD
  CHECK(big == bytes({0xEF, 0xBF, 0xBD}));
}

TEST_CASE("utf8: ill-formed input is refused, with the first bad offset") {
  struct Case {
    std::string s;
    std::size_t bad;
  };
  for (const auto& c : std::vector<Case>{{bytes({0x61, 0xC0, 0x80}), 1},           // overlong NUL
                                         {bytes({0xE0, 0x80, 0x80}), 0},           // overlong
                                         {bytes({0x61, 0x62, 0xED, 0xA0, 0x80}), 2},  // surrogate U+D800
                                         {bytes({0xF4, 0x90, 0x80, 0x80}), 0},     // > U+10FFFF
                                         {bytes({0xE2, 0x82}), 0},                 // truncated
                                         {bytes({0x61, 0x80}), 1},                 // stray continuation
                                         {bytes({0xF5, 0x80, 0x80, 0x80}), 0},
                                         {bytes({0xFF}), 0}}) {
    std::size_t bad = 99;
    CHECK_FALSE(utf8::is_valid(c.s, &bad));
    CHECK(bad == c.bad);
  }
  CHECK(utf8::is_valid(""));
  CHECK(utf8::is_valid(bytes({0xED, 0x9F, 0xBF, 0xEE, 0x80, 0x80})));  // U+D7FF, U+E000
}

TEST_CASE("utf8: one U+FFFD per maximal subpart (Unicode's example)") {
  // 61 F1 80 80 E1 80 C2 62 80 63 80 BF 64 -> a FFFD FFFD FFFD b FFFD c FFFD FFFD d
  const auto s = bytes({0x61, 0xF1, 0x80, 0x80, 0xE1, 0x80, 0xC2, 0x62, 0x80, 0x63, 0x80, 0xBF, 0x64});
  CHECK(utf8::decode(s) == std::vector<char32_t>{U'a', 0xFFFD, 0xFFFD, 0xFFFD, U'b', 0xFFFD, U'c', 0xFFFD, 0xFFFD, U'd'});
  const auto c = utf8::decode_one(s, 1);
  CHECK_FALSE(c.valid);
  CHECK(c.len == 3);
  CHECK(utf8::invalid_len(s, 4) == 2);
  CHECK(utf8::invalid_len(s, 6) == 1);
}

TEST_CASE("utf8: every code point round-trips; validity equals an independent definition") {
  for (char32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    std::string s;
    utf8::append(s, cp);
    const auto d = utf8::decode_one(s, 0);
    if (!d.valid || d.cp != cp || d.len != s.size() || !utf8::is_valid(s)) FAIL("U+" << std::hex << static_cast<unsigned>(cp) << " does not round-trip");
  }
  // Every 1-, 2- and 3-byte string and 2^20 random 4-byte strings against the reference.
  std::size_t checked = 0, valid = 0;
  auto check = [&](const std::string& s) {
    const bool want = reference_valid(s);
    if (utf8::is_valid(s) != want) {
      std::string hex;
      for (unsigned char ch : s) hex += " " + std::to_string(ch);
      FAIL("disagreement on bytes" << hex << ": reference " << want);
    }
    ++checked;
    valid += want;
  };
  for (int a = 0; a < 256; ++a) {
    check(bytes({a}));
    for (int b = 0; b < 256; ++b) {
      check(bytes({a, b}));
      if (a >= 0xC0)
        for (int c = 0; c < 256; ++c) check(bytes({a, b, c}));
    }
  }
  std::mt19937 rng(7);
  for (int i = 0; i < (1 << 20); ++i) {
    std::string s(4, '\0');
    for (auto& ch : s) ch = static_cast<char>(0x80 | (rng() & 0x7F));
    s[0] = static_cast<char>(0xE8 + (rng() % 24));  // leads around F0..F4
    check(s);
  }
  CHECK(valid > 0);
  MESSAGE("checked " << checked << " byte strings, " << valid << " well-formed");
}
