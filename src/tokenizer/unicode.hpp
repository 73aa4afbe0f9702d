// apr-qa tokenizer: UTF-8 helpers and normalization used by the tokenizers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace apr::tok {

// Length of the valid UTF-8 sequence starting at s[i], or 0 if the bytes there are not a valid
// sequence (overlong, surrogate, > U+10FFFF, truncated, stray continuation byte).
std::size_t utf8_valid_len(std::string_view s, std::size_t i) noexcept;
// Length of the maximal invalid subpart at s[i] (WHATWG/Unicode "maximal subpart" rule, the one
// Python's errors="replace" uses): 1..3 bytes.
std::size_t utf8_invalid_len(std::string_view s, std::size_t i) noexcept;
bool utf8_is_valid(std::string_view s) noexcept;
// Byte length of a UTF-8 char from its lead byte (1 for invalid leads), as llama.cpp's utf8_len.
std::size_t utf8_lead_len(unsigned char lead) noexcept;
void append_utf8(std::string& out, char32_t cp);
// NFC; text that is not valid UTF-8 is returned unchanged.
std::string nfc(std::string_view s);

}  // namespace apr::tok
