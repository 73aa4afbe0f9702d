// apr-qa core: the one UTF-8 helper (validate, decode one code point, encode).
//
// Well-formed UTF-8 as Unicode defines it (Table 3-7): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF, no truncated or stray continuation bytes. Every
// reader that checks UTF-8 (SafeTensors headers, the GGUF metadata record, chat-template
// sources) and every tokenizer/template that decodes or encodes code points uses these.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace apr::utf8 {

inline constexpr char32_t kReplacement = 0xFFFD;

// Length (1-4) of the well-formed sequence starting at s[i], or 0 when the bytes there are not one.
std::size_t valid_len(std::string_view s, std::size_t i) noexcept;
// Length (1-3) of the maximal invalid subpart at s[i] (the Unicode "maximal subpart" rule that
// Python's errors="replace" and WHATWG use: one U+FFFD per subpart).
std::size_t invalid_len(std::string_view s, std::size_t i) noexcept;
// True when all of s is well-formed; otherwise *bad_offset (when given) is the first bad byte.
bool is_valid(std::string_view s, std::size_t* bad_offset = nullptr) noexcept;

struct CodePoint {
  char32_t cp = 0;     // kReplacement for an invalid subpart
  std::size_t len = 0; // bytes consumed (>= 1 while i < s.size())
  bool valid = false;
};
// The code point at s[i] (i < s.size()); an invalid subpart decodes to U+FFFD of invalid_len bytes.
CodePoint decode_one(std::string_view s, std::size_t i) noexcept;
// Every code point of s (invalid subparts as U+FFFD).
std::vector<char32_t> decode(std::string_view s);

// Appends cp's UTF-8 bytes. Values above U+10FFFF become U+FFFD; a surrogate is written as its
// 3-byte form (as Python's "surrogatepass": chat templates may build one from a \u escape).
void append(std::string& out, char32_t cp);
std::string encode(const std::vector<char32_t>& cps);

}  // namespace apr::utf8
