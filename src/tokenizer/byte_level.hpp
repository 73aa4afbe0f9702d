// apr-qa tokenizer: the GPT-2 byte <-> unicode map used by byte-level BPE.
// Bytes 0x21-0x7E, 0xA1-0xAC, 0xAE-0xFF map to the code point of the same value; the other 68
// bytes, in increasing order, map to U+0100, U+0101, ... (space -> 'Ġ' U+0120, '\n' -> 'Ċ').
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace apr::tok {

char32_t byte_to_unicode(std::uint8_t b) noexcept;
// The byte a code point stands for, or nullopt if it is not one of the 256 symbols.
std::optional<std::uint8_t> unicode_to_byte(char32_t cp) noexcept;
// UTF-8 text of the byte-level symbol for b.
const std::string& byte_symbol(std::uint8_t b);
// Raw bytes -> byte-level string.
std::string bytes_to_byte_level(std::string_view raw);
// Byte-level string -> raw bytes. Characters outside the map are kept as their UTF-8 bytes
// (as HF's ByteLevel decoder does); returns false in *all_mapped if any was.
std::string byte_level_to_bytes(std::string_view symbols, bool* all_mapped = nullptr);

}  // namespace apr::tok
