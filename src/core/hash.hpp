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

// The implementations behind crc32_update, exposed so tests and bench/crc32 can compare them.
// All take and return the same pre-inverted register, so one can continue another's stream;
// results are bit-identical to zlib's crc32().
//   crc32_update_zlib    zlib's table-driven loop (always available; the reference).
//   crc32_update_clmul   carry-less-multiply folding (x86-64 PCLMULQDQ): four 128-bit lanes
//                        folded 512 bits at a time, reduced to one lane, the lane and the last
//                        < 16 bytes finished by the table loop. Inputs under 64 bytes, or a CPU
//                        without PCLMULQDQ (crc32_clmul_available() false), use the table loop.
//   crc32_update_vpclmul the same folding on four 512-bit registers (VPCLMULQDQ + AVX-512F/VL:
//                        four lanes per instruction, 256 bytes per step), reduced to one register,
//                        then to one lane as above. Inputs under 256 bytes, or a CPU without
//                        them (crc32_vpclmul_available() false), use crc32_update_clmul.
// crc32_update dispatches once per process to the first available of vpclmul, clmul, zlib.
std::uint32_t crc32_update_zlib(std::uint32_t crc_state, std::span<const std::byte> data) noexcept;
std::uint32_t crc32_update_clmul(std::uint32_t crc_state, std::span<const std::byte> data) noexcept;
std::uint32_t crc32_update_vpclmul(std::uint32_t crc_state, std::span<const std::byte> data) noexcept;
bool crc32_clmul_available() noexcept;
bool crc32_vpclmul_available() noexcept;

// Lower-case hex sha256.
std::string sha256_hex(std::span<const std::byte> data);
Result<std::string> sha256_file(const std::filesystem::path& path);

// A file's sha256 with the stat signature it was taken under, so that another process of the
// same run can name the file's bytes without reading them again while the signature holds.
struct FileDigest {
  std::string path;  // absolute
  std::string sha256;
  std::uint64_t bytes = 0, dev = 0, ino = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0, hashed_ns = 0;  // hashed_ns: wall clock when hashing ended
  bool stable = false;  // the signature was the same before and after hashing
};
// Hashes `path` (the same refusals as sha256_file).
Result<FileDigest> digest_file(const std::filesystem::path& path);
// True when `d` still names the file's bytes: it was stable, the path has the same device, inode,
// size, mtime and ctime, and both times lie >= 2 s before the hash ended (a write in the same
// clock tick as the hash could otherwise leave the times unchanged). Conservative: false only
// costs a re-read.
bool digest_current(const FileDigest& d);

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
