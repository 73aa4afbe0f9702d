// apr-qa tensor layer: IEEE half (fp16) and bfloat16 conversions, bit-exact with ggml-base.
//
// Contract (checked exhaustively against libggml-base.so by tests/oracle/test_tensor_quants.py):
//  * fp32 -> fp16: round to nearest, ties to even; subnormal halves are produced (never flushed);
//    |x| >= 65520 becomes +-inf; every NaN becomes sign | 0x7E00 (payload dropped), exactly as
//    ggml's GGML_FP32_TO_FP16 in ggml-base (which every `quantize_row_*_ref` uses).
//  * fp16 -> fp32: exact for every finite value and +-inf; a NaN keeps its sign and payload and is
//    made quiet (bit 22 set), as F16C's vcvtph2ps and ggml-base both do.
//  * fp32 -> bf16: NaN -> (bits >> 16) | 0x40 (forced quiet); otherwise round to nearest even
//    on the upper 16 bits, subnormals kept, overflow to +-inf.
//  * bf16 -> fp32: bits << 16 (no quieting, no rounding).
// The scalar functions below are the portable reference (integer-only, so they give the same
// bits on every platform and under any FPU mode). The *_row functions may take a SIMD fast path
// (F16C/AVX2 chosen at run time); the fast path gives identical bits, which the unit tests check.
#pragma once

#include <bit>
#include <cstdint>

namespace apr {

// fp16 -> fp32 (portable, integer-only).
inline float fp16_to_fp32(std::uint16_t h) noexcept {
  const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
  const std::uint32_t exp = (h >> 10) & 0x1Fu;
  std::uint32_t mant = h & 0x3FFu;
  std::uint32_t bits;
  if (exp == 0x1F) {
    // inf keeps mantissa 0; a NaN is quieted (bit 22) and keeps its payload.
    bits = sign | 0x7F800000u | (mant << 13) | (mant ? 0x00400000u : 0u);
  } else if (exp != 0) {
    bits = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // subnormal half: mant * 2^-24; normalise into a float (always a normal float).
    std::uint32_t e = 113;  // exponent of 2^-14 in float bias, decremented while shifting
    while ((mant & 0x400u) == 0) {
      mant <<= 1;
      --e;
    }
    bits = sign | (e << 23) | ((mant & 0x3FFu) << 13);
  }
  return std::bit_cast<float>(bits);
}

// fp32 -> fp16 (portable, integer-only, round to nearest even).
inline std::uint16_t fp32_to_fp16(float f) noexcept {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  const std::uint16_t sign = static_cast<std::uint16_t>((u >> 16) & 0x8000u);
  const std::uint32_t a = u & 0x7FFFFFFFu;
  if (a > 0x7F800000u) return static_cast<std::uint16_t>(sign | 0x7E00u);  // NaN
  if (a >= 0x477FF000u) return static_cast<std::uint16_t>(sign | 0x7C00u);  // >= 65520 -> inf
  const std::uint32_t e = a >> 23;
  if (e < 113) {
    // Result is a half subnormal (or rounds up to the smallest normal): round(|f| * 2^24).
    if (e < 102) return sign;  // |f| < 2^-25: rounds to zero (2^-25 itself ties to even 0)
    const std::uint32_t m = (a & 0x7FFFFFu) | 0x800000u;
    const std::uint32_t shift = 126u - e;  // 14..24
    std::uint32_t q = m >> shift;
    const std::uint32_t rem = m & ((1u << shift) - 1u);
    const std::uint32_t half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) ++q;
    return static_cast<std::uint16_t>(sign | q);
  }
  std::uint32_t h = ((e - 112u) << 10) | ((a >> 13) & 0x3FFu);
  const std::uint32_t rem = a & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;  // carry into the exponent is correct
  return static_cast<std::uint16_t>(sign | h);
}

inline float bf16_to_fp32(std::uint16_t h) noexcept {
  return std::bit_cast<float>(static_cast<std::uint32_t>(h) << 16);
}

inline std::uint16_t fp32_to_bf16(float f) noexcept {
  const std::uint32_t u = std::bit_cast<std::uint32_t>(f);
  if ((u & 0x7FFFFFFFu) > 0x7F800000u) return static_cast<std::uint16_t>((u >> 16) | 64u);
  return static_cast<std::uint16_t>((u + (0x7FFFu + ((u >> 16) & 1u))) >> 16);
}

// Row conversions (n >= 0 elements; src and dst must not overlap). May use SIMD; same bits.
void fp16_to_fp32_row(const std::uint16_t* src, float* dst, std::int64_t n) noexcept;
void fp32_to_fp16_row(const float* src, std::uint16_t* dst, std::int64_t n) noexcept;
void bf16_to_fp32_row(const std::uint16_t* src, float* dst, std::int64_t n) noexcept;
void fp32_to_bf16_row(const float* src, std::uint16_t* dst, std::int64_t n) noexcept;

// Whether the row functions use the F16C fast path on this machine (for the benchmark/tests).
bool fp16_simd_available() noexcept;

// Testing hook: force the portable path (false) or allow the fast path again (true).
void fp16_set_simd_enabled(bool enabled) noexcept;

}  // namespace apr
