// apr-qa engine: writing teacher-forced logits to a file.
//
// write_logits(path, values, rows, cols): a path ending in ".npy" gets a NumPy v1.0 file
// (descr '<f4', C order, shape (rows, cols)); any other path gets the raw little-endian float32
// values, row-major, with no header. Written atomically (temp file + rename); io Error on failure.
#pragma once

#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

namespace apr::engine {

void write_logits(const std::filesystem::path& path, std::span<const float> values, std::int64_t rows,
                  std::int64_t cols);

// The NumPy v1.0 header (magic, version, length, dict padded to a multiple of 64 bytes).
std::string npy_header(std::int64_t rows, std::int64_t cols);

}  // namespace apr::engine
