// apr-qa tokenizer: UTF-8 helpers and normalization used by the tokenizers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace apr::tok {

// (Validation, decoding and encoding of UTF-8: core/utf8.hpp.)
// Byte length of a UTF-8 char from its lead byte (1 for invalid leads), as llama.cpp's utf8_len.
std::size_t utf8_lead_len(unsigned char lead) noexcept;
// NFC; text that is not valid UTF-8 is returned unchanged.
std::string nfc(std::string_view s);

}  // namespace apr::tok
