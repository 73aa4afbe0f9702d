// apr-qa formats (internal): APR v2 header constants and (de)coding shared by reader and writer.
#pragma once

#include <cstdint>
#include <cstring>
#include <string>

#include "core/hash.hpp"
#include "formats/apr.hpp"

namespace apr::aprfmt {

inline constexpr std::uint64_t kHeaderSize = 64;
inline constexpr std::uint64_t kAlign = 64;
inline constexpr std::uint32_t kMaxMetadata = 16u << 20;  // 16 MiB
inline constexpr std::uint16_t kMaxName = 256;
inline constexpr std::uint8_t kMaxDims = 8;
inline constexpr std::uint64_t kMinIndexEntry = 2 + 1 + 1 + 1 + 8 + 8;  // len, >=1 name byte, dtype, ndim, offset, size
inline constexpr std::uint16_t kKnownFlags = 0x0FFF;

struct HeaderFields {
  std::uint8_t major = 2, minor = 0;
  std::uint16_t flags = 0;
  std::uint32_t tensor_count = 0;
  std::uint64_t metadata_offset = kHeaderSize;
  std::uint32_t metadata_size = 0;
  std::uint64_t index_offset = 0, data_offset = 0;
  std::uint32_t header_crc = 0;
};

template <typename T>
inline T load_le(const std::byte* p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}
template <typename T>
inline void store_le(std::byte* p, T v) {
  std::memcpy(p, &v, sizeof(T));
}

inline HeaderFields decode_header(const std::byte* d) {
  HeaderFields h;
  h.major = load_le<std::uint8_t>(d + 4);
  h.minor = load_le<std::uint8_t>(d + 5);
  h.flags = load_le<std::uint16_t>(d + 6);
  h.tensor_count = load_le<std::uint32_t>(d + 8);
  h.metadata_offset = load_le<std::uint64_t>(d + 12);
  h.metadata_size = load_le<std::uint32_t>(d + 20);
  h.index_offset = load_le<std::uint64_t>(d + 24);
  h.data_offset = load_le<std::uint64_t>(d + 32);
  h.header_crc = load_le<std::uint32_t>(d + 40);
  return h;
}

// CRC32 over bytes [0,40) ++ [44,64) of a 64-byte header.
inline std::uint32_t header_crc(const std::byte* d) {
  std::uint32_t s = crc32_init();
  s = crc32_update(s, {d, 40});
  s = crc32_update(s, {d + 44, 20});
  return crc32_final(s);
}

inline std::string hex32(std::uint32_t v) {
  char b[16];
  std::snprintf(b, sizeof b, "0x%08x", v);
  return b;
}
inline std::string hex16(std::uint16_t v) {
  char b[8];
  std::snprintf(b, sizeof b, "%04x", v);
  return b;
}

}  // namespace apr::aprfmt
