#include "engine/logits_io.hpp"

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace apr::engine {

std::string npy_header(std::int64_t rows, std::int64_t cols) {
  std::string dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + std::to_string(rows) + ", " +
                     std::to_string(cols) + "), }";
  const std::size_t pre = 10;  // magic(6) + version(2) + u16 length
  std::size_t total = pre + dict.size() + 1;
  dict.append((64 - total % 64) % 64, ' ');
  dict += '\n';
  std::string h = "\x93NUMPY";
  h += '\x01';
  h += '\x00';
  const auto len = static_cast<std::uint16_t>(dict.size());
  h += static_cast<char>(len & 0xFF);
  h += static_cast<char>(len >> 8);
  return h + dict;
}

void write_logits(const std::filesystem::path& path, std::span<const float> values, std::int64_t rows,
                  std::int64_t cols) {
  if (static_cast<std::int64_t>(values.size()) != rows * cols)
    throw internal_error("write_logits: " + std::to_string(values.size()) + " values, expected " +
                         std::to_string(rows) + "x" + std::to_string(cols));
  AtomicFile f(path);
  if (path.extension() == ".npy") f.write(npy_header(rows, cols));
  f.write(std::as_bytes(values));
  f.commit();
}

}  // namespace apr::engine
