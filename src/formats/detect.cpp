// Format detection by magic bytes only.
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "core/file_read.hpp"

#include "formats/byte_cursor.hpp"
#include "formats/detect.hpp"

namespace apr {

const char* to_string(ModelFormat f) noexcept {
  switch (f) {
    case ModelFormat::gguf: return "gguf";
    case ModelFormat::safetensors: return "safetensors";
    case ModelFormat::apr: return "apr";
  }
  return "?";
}

const char* file_extension(ModelFormat f) noexcept {
  switch (f) {
    case ModelFormat::gguf: return ".gguf";
    case ModelFormat::safetensors: return ".safetensors";
    case ModelFormat::apr: return ".apr";
  }
  return "";
}

std::optional<ModelFormat> format_from_name(std::string_view s) noexcept {
  if (s == "gguf") return ModelFormat::gguf;
  if (s == "safetensors" || s == "st") return ModelFormat::safetensors;
  if (s == "apr") return ModelFormat::apr;
  return std::nullopt;
}

std::optional<ModelFormat> detect_format(std::span<const std::byte> head) noexcept {
  auto starts = [&](const char* m) { return head.size() >= 4 && std::memcmp(head.data(), m, 4) == 0; };
  if (starts("GGUF")) return ModelFormat::gguf;
  if (starts("APR\0") || starts("APR2")) return ModelFormat::apr;
  if (head.size() >= 9 && head[8] == std::byte{'{'}) {
    std::uint64_t n;
    std::memcpy(&n, head.data(), 8);
    if (n >= 2 && n <= 100'000'000) return ModelFormat::safetensors;
  }
  return std::nullopt;
}

Result<ModelFormat> detect_format_of_file(const std::filesystem::path& path) {
  std::error_code ec;
  auto st = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(st))
    return io_error("no such file").at_path(path.string());
  if (std::filesystem::is_directory(st))
    return io_error("is a directory, expected a model file").at_path(path.string());
  std::byte head[16] = {};
  std::size_t n = 0;
  try {
    // Non-blocking open and a regular-file check: a FIFO is refused, never waited on.
    int fd = open_regular_file(path, "a model file", nullptr);
    while (n < sizeof head) {
      ssize_t got = ::read(fd, head + n, sizeof head - n);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      n += static_cast<std::size_t>(got);
    }
    ::close(fd);
  } catch (const Error& e) {
    return e;
  }
  if (auto f = detect_format({head, n})) return *f;
  return Error(ErrorCategory::parse,
               "format: expected GGUF (\"GGUF\"), APR (\"APR\\0\") or SafeTensors (u64 length + '{') magic, found " +
                   (n ? formats::hex_bytes(head, std::min<std::size_t>(n, 9)) : std::string("an empty file")))
      .at_path(path.string())
      .at_offset(0);
}

}  // namespace apr
