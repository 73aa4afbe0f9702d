#include "core/hash.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <vector>

namespace apr {
// CRC-32 (IEEE) is delegated to zlib, which implements the same polynomial with a braided
// table-driven loop (several GB/s; a byte-at-a-time table loop was ~0.4 GB/s and dominated
// APR writes and verified opens). Our state is the pre-inverted register; zlib takes and
// returns the finalised value, hence the xors.
std::uint32_t crc32_update(std::uint32_t c, std::span<const std::byte> data) noexcept {
  uLong z = c ^ 0xFFFFFFFFu;
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  std::size_t n = data.size();
  while (n > 0) {
    uInt chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    z = ::crc32(z, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(z) ^ 0xFFFFFFFFu;
}

std::uint32_t crc32(std::span<const std::byte> data) noexcept {
  return crc32_final(crc32_update(crc32_init(), data));
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}
Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }
void Sha256::update(std::span<const std::byte> data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}
std::string Sha256::hex_digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), md, &len);
  static const char* hex = "0123456789abcdef";
  std::string s;
  s.reserve(len * 2);
  for (unsigned i = 0; i < len; ++i) {
    s.push_back(hex[md[i] >> 4]);
    s.push_back(hex[md[i] & 15]);
  }
  return s;
}

std::string sha256_hex(std::span<const std::byte> data) {
  Sha256 h;
  h.update(data);
  return h.hex_digest();
}

Result<std::string> sha256_file(const std::filesystem::path& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return io_error("cannot open for hashing").at_path(path.string());
  Sha256 h;
  std::vector<std::byte> buf(1 << 20);
  for (;;) {
    std::size_t n = std::fread(buf.data(), 1, buf.size(), f);
    if (n > 0) h.update({buf.data(), n});
    if (n < buf.size()) break;
  }
  bool err = std::ferror(f) != 0;
  std::fclose(f);
  if (err) return io_error("read error while hashing").at_path(path.string());
  return h.hex_digest();
}

}  // namespace apr
