// Unit tests for fp16/bf16 conversions (src/tensor/fp16.hpp): IEEE specials with hand-written
// expected bit patterns, rounding ties, and fast (F16C) vs portable paths. The exhaustive
// comparison with ggml over all 2^32 inputs is in tests/oracle/test_tensor_quants.py.
#include <doctest/doctest.h>

#include <bit>
#include <cmath>
#include <cstdint>
#include <vector>

#include "tensor/fp16.hpp"

using namespace apr;

namespace {
std::uint32_t bits(float f) { return std::bit_cast<std::uint32_t>(f); }
float from_bits(std::uint32_t u) { return std::bit_cast<float>(u); }

// Restores the fast path at scope exit.
struct PortableScope {
  explicit PortableScope(bool portable) { fp16_set_simd_enabled(!portable); }
  ~PortableScope() { fp16_set_simd_enabled(true); }
};
}  // namespace

TEST_CASE("fp32 -> fp16 specials") {
  CHECK(fp32_to_fp16(0.0f) == 0x0000);
  CHECK(fp32_to_fp16(-0.0f) == 0x8000);
  CHECK(fp32_to_fp16(1.0f) == 0x3C00);
  CHECK(fp32_to_fp16(-2.0f) == 0xC000);
  CHECK(fp32_to_fp16(65504.0f) == 0x7BFF);                   // largest finite half
  CHECK(fp32_to_fp16(65519.996f) == 0x7BFF);                 // just below the rounding boundary
  CHECK(fp32_to_fp16(65520.0f) == 0x7C00);                   // tie rounds to even -> overflow to inf
  CHECK(fp32_to_fp16(1e10f) == 0x7C00);
  CHECK(fp32_to_fp16(-1e10f) == 0xFC00);
  CHECK(fp32_to_fp16(INFINITY) == 0x7C00);
  CHECK(fp32_to_fp16(-INFINITY) == 0xFC00);
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -14)) == 0x0400);      // smallest normal
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -24)) == 0x0001);      // smallest subnormal, kept
  CHECK(fp32_to_fp16(std::ldexp(3.0f, -24)) == 0x0003);
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -25)) == 0x0000);      // half of the smallest: tie to even 0
  CHECK(fp32_to_fp16(std::ldexp(3.0f, -25)) == 0x0002);      // 1.5 ulp: tie to even 2
  CHECK(fp32_to_fp16(std::ldexp(1.0f, -25) * 1.0000001f) == 0x0001);  // just above the tie
  CHECK(fp32_to_fp16(-std::ldexp(1.0f, -26)) == 0x8000);
  CHECK(fp32_to_fp16(from_bits(0x00000001)) == 0x0000);      // f32 subnormal -> 0
  CHECK(fp32_to_fp16(std::ldexp(1023.5f, -24)) == 0x0400);   // subnormal rounding up into normal
  // ties in the normal range: 1 + 2^-11 lies halfway between 1 and 1 + 2^-10
  CHECK(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11)) == 0x3C00);                        // to even (down)
  CHECK(fp32_to_fp16(1.0f + 3 * std::ldexp(1.0f, -11)) == 0x3C02);                    // to even (up)
  CHECK(fp32_to_fp16(1.0f + std::ldexp(1.0f, -11) + std::ldexp(1.0f, -20)) == 0x3C01);  // above the tie
  // NaN: sign kept, payload dropped (ggml)
  CHECK(fp32_to_fp16(from_bits(0x7FC00000)) == 0x7E00);
  CHECK(fp32_to_fp16(from_bits(0xFFC00000)) == 0xFE00);
  CHECK(fp32_to_fp16(from_bits(0x7F800001)) == 0x7E00);
  CHECK(fp32_to_fp16(from_bits(0x7FFFFFFF)) == 0x7E00);
}

TEST_CASE("fp16 -> fp32 specials") {
  CHECK(bits(fp16_to_fp32(0x0000)) == 0x00000000u);
  CHECK(bits(fp16_to_fp32(0x8000)) == 0x80000000u);
  CHECK(fp16_to_fp32(0x3C00) == 1.0f);
  CHECK(fp16_to_fp32(0x7BFF) == 65504.0f);
  CHECK(fp16_to_fp32(0x0001) == std::ldexp(1.0f, -24));
  CHECK(fp16_to_fp32(0x03FF) == std::ldexp(1023.0f, -24));
  CHECK(fp16_to_fp32(0x8200) == -std::ldexp(1.0f, -15));
  CHECK(bits(fp16_to_fp32(0x7C00)) == 0x7F800000u);
  CHECK(bits(fp16_to_fp32(0xFC00)) == 0xFF800000u);
  CHECK(bits(fp16_to_fp32(0x7E00)) == 0x7FC00000u);
  CHECK(bits(fp16_to_fp32(0x7C01)) == 0x7FC02000u);  // signalling NaN is quieted, payload kept
  CHECK(bits(fp16_to_fp32(0xFDFF)) == 0xFFFFE000u);
}

TEST_CASE("fp16 round trip: every non-NaN half survives fp16 -> fp32 -> fp16") {
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_fp32(static_cast<std::uint16_t>(h));
    const bool nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;
    if (nan) {
      REQUIRE(std::isnan(f));
      REQUIRE(fp32_to_fp16(f) == ((h & 0x8000) | 0x7E00));
    } else {
      REQUIRE(fp32_to_fp16(f) == h);
    }
  }
}

TEST_CASE("bf16 conversions") {
  CHECK(fp32_to_bf16(1.0f) == 0x3F80);
  CHECK(fp32_to_bf16(-0.0f) == 0x8000);
  CHECK(fp32_to_bf16(from_bits(0x3F808000)) == 0x3F80);  // tie, even stays
  CHECK(fp32_to_bf16(from_bits(0x3F818000)) == 0x3F82);  // tie, odd rounds up
  CHECK(fp32_to_bf16(from_bits(0x3F808001)) == 0x3F81);  // above tie
  CHECK(fp32_to_bf16(from_bits(0x00000001)) == 0x0000);  // tiny subnormal rounds to 0
  CHECK(fp32_to_bf16(from_bits(0x00018000)) == 0x0002);  // subnormals kept (tie to even)
  CHECK(fp32_to_bf16(from_bits(0x7F7FFFFF)) == 0x7F80);  // max float overflows to inf
  CHECK(fp32_to_bf16(INFINITY) == 0x7F80);
  CHECK(fp32_to_bf16(from_bits(0x7F800001)) == 0x7FC0);  // sNaN forced quiet
  CHECK(fp32_to_bf16(from_bits(0xFFFFFFFF)) == 0xFFFF);
  CHECK(bits(bf16_to_fp32(0x3F80)) == 0x3F800000u);
  CHECK(bits(bf16_to_fp32(0x7F81)) == 0x7F810000u);  // no quieting on widen
  for (std::uint32_t h = 0; h < 0x10000; ++h) {
    const bool nan = (h & 0x7F80) == 0x7F80 && (h & 0x7F) != 0;
    const std::uint16_t back = fp32_to_bf16(bf16_to_fp32(static_cast<std::uint16_t>(h)));
    REQUIRE(back == (nan ? (h | 0x40) : h));
  }
}

TEST_CASE("row conversions: fast path and portable path give identical bits") {
  INFO("F16C fast path available: " << fp16_simd_available());
  // every half pattern
  std::vector<std::uint16_t> h(0x10000 + 5);
  for (std::size_t i = 0; i < h.size(); ++i) h[i] = static_cast<std::uint16_t>(i * 40503u);  // odd multiplier: all
  std::vector<float> fast(h.size()), slow(h.size());
  fp16_to_fp32_row(h.data(), fast.data(), static_cast<std::int64_t>(h.size()));
  {
    PortableScope p(true);
    fp16_to_fp32_row(h.data(), slow.data(), static_cast<std::int64_t>(h.size()));
  }
  for (std::size_t i = 0; i < h.size(); ++i) REQUIRE(bits(fast[i]) == bits(slow[i]));
  for (std::size_t i = 0; i < h.size(); ++i) REQUIRE(bits(slow[i]) == bits(fp16_to_fp32(h[i])));

  // a strided sweep over all f32 patterns plus dense windows around the interesting boundaries
  std::vector<float> x;
  for (std::uint64_t u = 0; u < (1ull << 32); u += 4099) x.push_back(from_bits(static_cast<std::uint32_t>(u)));
  for (std::uint32_t centre : {0x33000000u, 0x38800000u, 0x477FF000u, 0x7F800000u, 0x3F800000u}) {
    for (std::uint32_t d = 0; d < 20000; ++d) {
      x.push_back(from_bits(centre + d - 10000));
      x.push_back(from_bits((centre + d - 10000) | 0x80000000u));
    }
  }
  x.push_back(1.0f);  // odd tail length exercises the scalar remainder
  std::vector<std::uint16_t> hf(x.size()), hs(x.size()), bf(x.size());
  fp32_to_fp16_row(x.data(), hf.data(), static_cast<std::int64_t>(x.size()));
  {
    PortableScope p(true);
    fp32_to_fp16_row(x.data(), hs.data(), static_cast<std::int64_t>(x.size()));
  }
  fp32_to_bf16_row(x.data(), bf.data(), static_cast<std::int64_t>(x.size()));
  for (std::size_t i = 0; i < x.size(); ++i) {
    CAPTURE(bits(x[i]));
    REQUIRE(hf[i] == hs[i]);
    REQUIRE(hs[i] == fp32_to_fp16(x[i]));
    REQUIRE(bf[i] == fp32_to_bf16(x[i]));
  }
}
