// CRC-32 implementations (core/hash.hpp) against zlib's crc32() as the independent reference:
// every length 0..4096 at varying alignments, chunked (incremental) updates, mixed
// implementations in one stream, and large buffers.
#include <doctest/doctest.h>
#include <zlib.h>

#include <cstdint>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "core/hash.hpp"

using namespace apr;

namespace {

std::vector<std::byte> random_bytes(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::byte> v(n);
  for (auto& b : v) b = static_cast<std::byte>(rng() & 0xFF);
  return v;
}

std::uint32_t zlib_crc(std::span<const std::byte> d) {
  uLong z = ::crc32(0L, Z_NULL, 0);
  z = ::crc32(z, reinterpret_cast<const Bytef*>(d.data()), static_cast<uInt>(d.size()));
  return static_cast<std::uint32_t>(z);
}

using Update = std::uint32_t (*)(std::uint32_t, std::span<const std::byte>) noexcept;

std::uint32_t whole(Update f, std::span<const std::byte> d) { return crc32_final(f(crc32_init(), d)); }

}  // namespace

TEST_CASE("crc32 implementations: known check value") {
  const char* s = "123456789";
  std::span<const std::byte> d(reinterpret_cast<const std::byte*>(s), 9);
  CHECK(whole(&crc32_update_zlib, d) == 0xCBF43926u);
  CHECK(whole(&crc32_update_clmul, d) == 0xCBF43926u);
  CHECK(whole(&crc32_update_vpclmul, d) == 0xCBF43926u);
  CHECK(whole(&crc32_update, d) == 0xCBF43926u);
}

TEST_CASE("crc32 implementations agree with zlib on every length 0..4096 at random alignments") {
  const auto buf = random_bytes(4096 + 64, 7);
  std::mt19937 rng(11);
  int mismatches = 0, checked = 0;
  for (std::size_t n = 0; n <= 4096; ++n) {
    for (int rep = 0; rep < 2; ++rep) {
      const std::size_t off = rng() % 64;
      std::span<const std::byte> d(buf.data() + off, n);
      const std::uint32_t want = zlib_crc(d);
      for (Update f : {Update(&crc32_update_zlib), Update(&crc32_update_clmul), Update(&crc32_update_vpclmul),
                       Update(&crc32_update)}) {
        ++checked;
        if (whole(f, d) != want) {
          if (++mismatches <= 5) FAIL_CHECK("length " << n << " offset " << off << ": crc differs from zlib");
        }
      }
    }
  }
  CHECK(checked == 4097 * 2 * 4);
  CHECK(mismatches == 0);
}

TEST_CASE("crc32 incremental updates equal the crc of the concatenation") {
  const auto buf = random_bytes(1 << 20, 3);
  const std::uint32_t want = zlib_crc(buf);
  std::mt19937 rng(5);
  for (Update f : {Update(&crc32_update_zlib), Update(&crc32_update_clmul), Update(&crc32_update_vpclmul),
                   Update(&crc32_update)}) {
    for (int trial = 0; trial < 20; ++trial) {
      std::uint32_t s = crc32_init();
      std::size_t at = 0;
      while (at < buf.size()) {
        // Mix tiny, unaligned and large pieces.
        const std::size_t pick = rng() % 4;
        std::size_t n = pick == 0 ? rng() % 16 : pick == 1 ? rng() % 200 : pick == 2 ? rng() % 5000 : rng() % 200000;
        n = std::min(n, buf.size() - at);
        s = f(s, std::span<const std::byte>(buf.data() + at, n));
        at += n;
      }
      CHECK(crc32_final(s) == want);
    }
  }
  // One stream, implementations alternating per piece: the state is interchangeable.
  std::uint32_t s = crc32_init();
  std::size_t at = 0;
  for (int k = 0; at < buf.size(); ++k) {
    const std::size_t n = std::min<std::size_t>(buf.size() - at, 1000 + 37 * k);
    const Update f = k % 3 == 0 ? Update(&crc32_update_zlib) : k % 3 == 1 ? Update(&crc32_update_clmul) : Update(&crc32_update_vpclmul);
    s = f(s, std::span<const std::byte>(buf.data() + at, n));
    at += n;
  }
  CHECK(crc32_final(s) == want);
}

TEST_CASE("crc32 implementations agree with zlib on large buffers") {
  for (std::size_t n : {std::size_t(1) << 24, (std::size_t(1) << 24) + 13, std::size_t(50'000'017)}) {
    const auto buf = random_bytes(n, n);
    const std::uint32_t want = zlib_crc(buf);
    CHECK(whole(&crc32_update_clmul, buf) == want);
    CHECK(whole(&crc32_update_vpclmul, buf) == want);
    CHECK(whole(&crc32_update, buf) == want);
    CHECK(crc32(buf) == want);
  }
  // A sensitivity check: one flipped bit anywhere changes the clmul result.
  auto buf = random_bytes(100'000, 9);
  const std::uint32_t before = whole(&crc32_update_clmul, buf);
  buf[54'321] ^= std::byte{0x10};
  CHECK(whole(&crc32_update_clmul, buf) != before);
  CHECK(whole(&crc32_update_clmul, buf) == zlib_crc(buf));
  CHECK(whole(&crc32_update_vpclmul, buf) == zlib_crc(buf));
}

TEST_CASE("crc32 clmul path is exercised where the CPU supports it") {
#if defined(__x86_64__)
  // Every x86-64 CPU since 2010 has PCLMULQDQ; if this fails the fast path silently fell back.
  CHECK(crc32_clmul_available());
#else
  CHECK_FALSE(crc32_clmul_available());
#endif
  // VPCLMULQDQ (AVX-512) is newer: where the CPU lacks it the vpclmul cases above test the
  // fallback only, so say which one ran.
  const std::string which = crc32_vpclmul_available() ? "yes" : "no (fallback tested)";
  MESSAGE("crc32 vpclmul path available: " << which);
}
