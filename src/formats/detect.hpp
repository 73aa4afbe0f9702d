// apr-qa formats: format detection by magic bytes (never by file extension).
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string_view>

#include "core/result.hpp"

namespace apr {

enum class ModelFormat { gguf, safetensors, apr };
const char* to_string(ModelFormat f) noexcept;          // "gguf", "safetensors", "apr"
const char* file_extension(ModelFormat f) noexcept;     // ".gguf", ".safetensors", ".apr"
std::optional<ModelFormat> format_from_name(std::string_view s) noexcept;  // "gguf"|"safetensors"|"st"|"apr"

// From the first bytes of a file: "GGUF" -> gguf; "APR\0"/"APR2" -> apr; u64 header length
// followed by '{' -> safetensors. nullopt if none matches.
std::optional<ModelFormat> detect_format(std::span<const std::byte> head) noexcept;
// Reads the head of the file. io Error for a missing path or a directory; parse Error naming
// the path and the bytes found if no magic matches.
Result<ModelFormat> detect_format_of_file(const std::filesystem::path& path);

}  // namespace apr
