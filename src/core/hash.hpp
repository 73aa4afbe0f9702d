// apr-qa core: content hashes. sha256 (hex) for provenance and artifact names; crc32 (IEEE) for APR.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string>

#include "core/result.hpp"

namespace apr {

// IEEE CRC-32 (poly 0xEDB88320, init 0xFFFFFFFF, final xor). Chain with crc32_update for streams.
std::uint32_t crc32(std::span<const std::byte> data) noexcept;
std::uint32_t crc32_update(std::uint32_t crc_state, std::span<const std::byte> data) noexcept;
inline std::uint32_t crc32_init() noexcept { return 0xFFFFFFFFu; }
inline std::uint32_t crc32_final(std::uint32_t state) noexcept { return state ^ 0xFFFFFFFFu; }

// Lower-case hex sha256.
std::string sha256_hex(std::span<const std::byte> data);
Result<std::string> sha256_file(const std::filesystem::path& path);

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::span<const std::byte> data);
  std::string hex_digest();  // finalises
 private:
  void* ctx_;
};

}  // namespace apr
