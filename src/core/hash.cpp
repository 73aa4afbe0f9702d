// apr-qa core: CRC-32 (zlib table loop and PCLMULQDQ folding, dispatched at runtime) and SHA-256.
#include "core/hash.hpp"

#include "core/mapped_file.hpp"

#include <openssl/evp.h>
#include <zlib.h>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <optional>
#include <vector>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define APR_CRC32_X86 1
#include <immintrin.h>
#endif

namespace apr {

std::uint32_t crc32_update_zlib(std::uint32_t c, std::span<const std::byte> data) noexcept {
  // zlib takes and returns the finalised value; our state is the pre-inverted register.
  uLong z = c ^ 0xFFFFFFFFu;
  const auto* p = reinterpret_cast<const Bytef*>(data.data());
  std::size_t n = data.size();
  while (n > 0) {
    const uInt chunk = static_cast<uInt>(std::min<std::size_t>(n, 1u << 30));
    z = ::crc32(z, p, chunk);
    p += chunk;
    n -= chunk;
  }
  return static_cast<std::uint32_t>(z) ^ 0xFFFFFFFFu;
}

// CRC-32 folding (the carry-less-multiply method of Gopal et al., "Fast CRC Computation for Generic
// Polynomials Using PCLMULQDQ Instruction", Intel 2009): the message is a polynomial over GF(2)
// and the CRC only depends on it modulo P. A 128-bit lane x followed by N more bits can be replaced
// by x * x^N mod P, which in the bit-reflected domain is two 64x33-bit carry-less products of x's
// halves with the constants x^(N+32) mod P and x^(N-32) mod P (reflected, shifted by one). Every
// step keeps the message congruent, so at the end the single remaining lane (plus the unfolded
// tail) is fed to the table loop, starting from a zero register, to get the exact CRC.
#ifdef APR_CRC32_X86

bool crc32_clmul_available() noexcept {
  static const bool ok = __builtin_cpu_supports("pclmul") && __builtin_cpu_supports("sse4.1");
  return ok;
}

namespace {

// Fold distances for the reflected polynomial 0x104C11DB7 (constants: x^(N+32) and x^(N-32)
// mod P, bit-reflected and shifted left by one; low qword pairs with the lane's low half).
constexpr std::uint64_t kFold512Lo = 0x154442bd4ull, kFold512Hi = 0x1c6e41596ull;
constexpr std::uint64_t kFold128Lo = 0x1751997d0ull, kFold128Hi = 0x0ccaa009eull;
constexpr std::size_t kClmulMin = 64;  // below this the table loop is as fast and simpler

__attribute__((target("pclmul,sse4.1"))) inline __m128i fold(__m128i x, __m128i k) {
  return _mm_xor_si128(_mm_clmulepi64_si128(x, k, 0x00), _mm_clmulepi64_si128(x, k, 0x11));
}

__attribute__((target("pclmul,sse4.1"))) inline __m128i load(const std::byte* p) {
  return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}

}  // namespace

__attribute__((target("pclmul,sse4.1"))) std::uint32_t crc32_update_clmul(std::uint32_t state,
                                                                         std::span<const std::byte> data) noexcept {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  if (n < kClmulMin) return crc32_update_zlib(state, data);

  // The register xors into the first 32 message bits (reflected: the first 4 bytes, little-endian).
  __m128i x0 = _mm_xor_si128(load(p), _mm_cvtsi32_si128(static_cast<int>(state)));
  __m128i x1 = load(p + 16), x2 = load(p + 32), x3 = load(p + 48);
  p += 64;
  n -= 64;
  const __m128i k512 = _mm_set_epi64x(static_cast<long long>(kFold512Hi), static_cast<long long>(kFold512Lo));
  while (n >= 64) {
    x0 = _mm_xor_si128(fold(x0, k512), load(p));
    x1 = _mm_xor_si128(fold(x1, k512), load(p + 16));
    x2 = _mm_xor_si128(fold(x2, k512), load(p + 32));
    x3 = _mm_xor_si128(fold(x3, k512), load(p + 48));
    p += 64;
    n -= 64;
  }
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));
  __m128i x = _mm_xor_si128(fold(x0, k128), x1);
  x = _mm_xor_si128(fold(x, k128), x2);
  x = _mm_xor_si128(fold(x, k128), x3);
  while (n >= 16) {
    x = _mm_xor_si128(fold(x, k128), load(p));
    p += 16;
    n -= 16;
  }
  // x is congruent to everything consumed so far, with the register already folded in.
  alignas(16) std::byte lane[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(lane), x);
  const std::uint32_t s = crc32_update_zlib(0, std::span<const std::byte>(lane, 16));
  return crc32_update_zlib(s, std::span<const std::byte>(p, n));
}

bool crc32_vpclmul_available() noexcept {
  static const bool ok = crc32_clmul_available() && __builtin_cpu_supports("avx512f") &&
                         __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("vpclmulqdq");
  return ok;
}

namespace {

// The same folding, four 512-bit registers at a time (VPCLMULQDQ: four 128-bit lanes per
// instruction). Each register's lanes jump 2048 bits (the 256 bytes of one step) ahead, so the
// constants are x^(2048+32) and x^(2048-32) mod P in the form above.
constexpr std::uint64_t kFold2048Lo = 0x11542778aull, kFold2048Hi = 0x1322d1430ull;
constexpr std::size_t kVpclmulMin = 256;

#define APR_VPCLMUL_TARGET __attribute__((target("pclmul,sse4.1,avx512f,avx512vl,vpclmulqdq")))

APR_VPCLMUL_TARGET inline __m512i fold512(__m512i x, __m512i k, __m512i next) {
  // clmul(lo, k.lo) ^ clmul(hi, k.hi) ^ next, per 128-bit lane (0x96: three-way xor)
  return _mm512_ternarylogic_epi64(_mm512_clmulepi64_epi128(x, k, 0x00), _mm512_clmulepi64_epi128(x, k, 0x11), next, 0x96);
}

APR_VPCLMUL_TARGET inline __m512i ld(const std::byte* q) { return _mm512_loadu_si512(reinterpret_cast<const void*>(q)); }

}  // namespace

namespace {

APR_VPCLMUL_TARGET std::uint32_t crc32_vpclmul_body(std::uint32_t state, std::span<const std::byte> data) noexcept {
  const std::byte* p = data.data();
  std::size_t n = data.size();
  if (n < kVpclmulMin) return crc32_update_clmul(state, data);

  __m512i x0 = _mm512_xor_si512(ld(p), _mm512_zextsi128_si512(_mm_cvtsi32_si128(static_cast<int>(state))));
  __m512i x1 = ld(p + 64), x2 = ld(p + 128), x3 = ld(p + 192);
  p += 256;
  n -= 256;
  const __m512i k2048 =
      _mm512_broadcast_i32x4(_mm_set_epi64x(static_cast<long long>(kFold2048Hi), static_cast<long long>(kFold2048Lo)));
  while (n >= 256) {
    x0 = fold512(x0, k2048, ld(p));
    x1 = fold512(x1, k2048, ld(p + 64));
    x2 = fold512(x2, k2048, ld(p + 128));
    x3 = fold512(x3, k2048, ld(p + 192));
    p += 256;
    n -= 256;
  }
  // Four registers -> one: each lane jumps 512 bits, into the next register's lane.
  const __m512i k512 =
      _mm512_broadcast_i32x4(_mm_set_epi64x(static_cast<long long>(kFold512Hi), static_cast<long long>(kFold512Lo)));
  __m512i x = fold512(x0, k512, x1);
  x = fold512(x, k512, x2);
  x = fold512(x, k512, x3);
  while (n >= 64) {
    x = fold512(x, k512, ld(p));
    p += 64;
    n -= 64;
  }
  // One register -> one lane (128-bit jumps), then the 16-byte steps and the tail as in the
  // 128-bit version.
  const __m128i k128 = _mm_set_epi64x(static_cast<long long>(kFold128Hi), static_cast<long long>(kFold128Lo));
  __m128i y = _mm_xor_si128(fold(_mm512_extracti32x4_epi32(x, 0), k128), _mm512_extracti32x4_epi32(x, 1));
  y = _mm_xor_si128(fold(y, k128), _mm512_extracti32x4_epi32(x, 2));
  y = _mm_xor_si128(fold(y, k128), _mm512_extracti32x4_epi32(x, 3));
  while (n >= 16) {
    y = _mm_xor_si128(fold(y, k128), load(p));
    p += 16;
    n -= 16;
  }
  alignas(16) std::byte lane[16];
  _mm_store_si128(reinterpret_cast<__m128i*>(lane), y);
  const std::uint32_t s = crc32_update_zlib(0, std::span<const std::byte>(lane, 16));
  return crc32_update_zlib(s, std::span<const std::byte>(p, n));
}

}  // namespace

// Callable on any CPU: without VPCLMULQDQ + AVX-512 it is the PCLMULQDQ folding (the body is
// compiled for AVX-512 and must not run there).
std::uint32_t crc32_update_vpclmul(std::uint32_t state, std::span<const std::byte> data) noexcept {
  if (!crc32_vpclmul_available()) return crc32_update_clmul(state, data);
  return crc32_vpclmul_body(state, data);
}

#else

bool crc32_clmul_available() noexcept { return false; }
bool crc32_vpclmul_available() noexcept { return false; }
std::uint32_t crc32_update_clmul(std::uint32_t state, std::span<const std::byte> data) noexcept {
  return crc32_update_zlib(state, data);
}
std::uint32_t crc32_update_vpclmul(std::uint32_t state, std::span<const std::byte> data) noexcept {
  return crc32_update_zlib(state, data);
}

#endif

// CRC-32 (IEEE): VPCLMULQDQ (AVX-512) folding where the CPU has it, else PCLMULQDQ folding (~5x
// zlib on cached data), else zlib's table loop; all give identical results
// (tests/core/test_crc32.cpp).
std::uint32_t crc32_update(std::uint32_t c, std::span<const std::byte> data) noexcept {
  static const auto impl = crc32_vpclmul_available() ? &crc32_update_vpclmul
                           : crc32_clmul_available() ? &crc32_update_clmul
                                                     : &crc32_update_zlib;
  return impl(c, data);
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

// The file is mapped, not read(): on a page-cached file read() copies every byte into a buffer
// (0.45-0.65 CPU-s per GB in the kernel here), a mapping only maps the cached pages (0.03-0.12).
// Chunks already hashed are unmapped again so the resident set stays small.
Result<std::string> sha256_file(const std::filesystem::path& path) {
  auto mf = MappedFile::open(path);  // the same refusals as every reader (directory, FIFO, ...)
  if (!mf) return mf.error();
  const MappedFile& f = **mf;
  Sha256 h;
  // pread into a cache-sized buffer, not the mapping: the kernel's copy out of the page cache costs
  // less than a page fault per 4-64 KiB (1 GB: 0.70 vs 0.86 CPU-s on the AMX Xeon VM), and the
  // bytes are hashed while they are still in cache.
  constexpr std::size_t kChunk = 1u << 20;
  std::vector<std::byte> buf(kChunk);
  std::uint64_t off = 0;
  while (off < f.size()) {
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, f.size() - off));
    const ssize_t got = ::pread(f.fd(), buf.data(), want, static_cast<off_t>(off));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) return io_error(std::string("cannot read: ") + std::strerror(errno)).at_path(path.string()).at_offset(off);
    if (got == 0) return io_error("file shrank while being hashed").at_path(path.string()).at_offset(off);
    h.update(std::span<const std::byte>(buf.data(), static_cast<std::size_t>(got)));
    off += static_cast<std::uint64_t>(got);
  }
  return h.hex_digest();
}

namespace {

struct StatSig {
  std::uint64_t bytes = 0, dev = 0, ino = 0;
  std::int64_t mtime_ns = 0, ctime_ns = 0;
  bool operator==(const StatSig&) const = default;
};

StatSig sig_of(const struct stat& st) {
  return {static_cast<std::uint64_t>(st.st_size), static_cast<std::uint64_t>(st.st_dev),
          static_cast<std::uint64_t>(st.st_ino),
          static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec,
          static_cast<std::int64_t>(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec};
}

std::optional<StatSig> stat_sig(const std::filesystem::path& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return std::nullopt;
  return sig_of(st);
}

}  // namespace

Result<FileDigest> digest_file(const std::filesystem::path& path) {
  const auto before = stat_sig(path);
  auto h = sha256_file(path);
  if (!h) return h.error();
  const auto after = stat_sig(path);
  timespec now{};
  ::clock_gettime(CLOCK_REALTIME, &now);
  FileDigest d;
  d.path = std::filesystem::absolute(path).lexically_normal().string();
  d.sha256 = *h;
  d.hashed_ns = static_cast<std::int64_t>(now.tv_sec) * 1000000000 + now.tv_nsec;
  if (before && after && *before == *after) {
    d.stable = true;
    d.bytes = after->bytes;
    d.dev = after->dev;
    d.ino = after->ino;
    d.mtime_ns = after->mtime_ns;
    d.ctime_ns = after->ctime_ns;
  }
  return d;
}

bool digest_current(const FileDigest& d) {
  if (!d.stable || d.sha256.size() != 64) return false;
  constexpr std::int64_t kSettled = 2'000'000'000;  // ns
  if (d.mtime_ns > d.hashed_ns - kSettled || d.ctime_ns > d.hashed_ns - kSettled) return false;
  const auto now = stat_sig(d.path);
  return now && *now == StatSig{d.bytes, d.dev, d.ino, d.mtime_ns, d.ctime_ns};
}

}  // namespace apr
