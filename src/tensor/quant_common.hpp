// apr-qa tensor layer (internal): block layouts and scalar helpers shared by the quantizers and
// the dequantizers. Offsets are in bytes inside one block (formats.md §2.2–2.3); all multi-byte
// fields are little-endian, and the code assumes a little-endian host (static_assert below).
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>

#include "tensor/fp16.hpp"

namespace apr::quant {

static_assert(std::endian::native == std::endian::little, "apr-qa's quant kernels assume little-endian");

inline constexpr int kQK = 32;    // elements in a legacy block (Q4_0 .. Q8_0)
inline constexpr int kQKK = 256;  // elements in a K-quant super-block

// Bytes per block, per type (same numbers as the dtype table; kept here for the kernels).
inline constexpr int kQ4_0Bytes = 18, kQ4_1Bytes = 20, kQ5_0Bytes = 22, kQ5_1Bytes = 24, kQ8_0Bytes = 34;
inline constexpr int kIQ4_NLBytes = 18;  // fp16 d, then 16 bytes of 4-bit level indices
inline constexpr int kQ2_KBytes = 84, kQ3_KBytes = 110, kQ4_KBytes = 144, kQ5_KBytes = 176, kQ6_KBytes = 210;

// IQ4_NL's 16 non-linear levels (formats.md; ggml's kvalues_iq4nl): a 4-bit index q stands for
// d * kIq4nlLevels[q].
inline constexpr std::int8_t kIq4nlLevels[16] = {-127, -104, -83, -65, -49, -35, -22, -10,
                                                 1,    13,   25,  38,  53,  69,  89,  113};

// Field offsets of the K-quant blocks.
inline constexpr int kQ2_KScales = 0, kQ2_KQs = 16, kQ2_KD = 80, kQ2_KDmin = 82;
inline constexpr int kQ3_KHmask = 0, kQ3_KQs = 32, kQ3_KScales = 96, kQ3_KD = 108;
inline constexpr int kQ4_KD = 0, kQ4_KDmin = 2, kQ4_KScales = 4, kQ4_KQs = 16;
inline constexpr int kQ5_KD = 0, kQ5_KDmin = 2, kQ5_KScales = 4, kQ5_KQh = 16, kQ5_KQs = 48;
inline constexpr int kQ6_KQl = 0, kQ6_KQh = 128, kQ6_KScales = 192, kQ6_KD = 208;

inline float load_f16(const std::uint8_t* p) noexcept {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_fp32(h);
}

inline void store_f16(std::uint8_t* p, float f) noexcept {
  const std::uint16_t h = fp32_to_fp16(f);
  std::memcpy(p, &h, 2);
}

inline std::uint32_t load_u32(const std::uint8_t* p) noexcept {
  std::uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

// 6-bit scale and min of sub-block j (0..7) from the 12 packed bytes of Q4_K/Q5_K.
inline void get_scale_min_k4(int j, const std::uint8_t* s, std::uint8_t& sc, std::uint8_t& m) noexcept {
  if (j < 4) {
    sc = s[j] & 63;
    m = s[j + 4] & 63;
  } else {
    sc = static_cast<std::uint8_t>((s[j + 4] & 0xF) | ((s[j - 4] >> 6) << 4));
    m = static_cast<std::uint8_t>((s[j + 4] >> 4) | ((s[j] >> 6) << 4));
  }
}

// Signed 6-bit scale j (0..15) of Q3_K, already minus 32.
inline int q3k_scale(int j, const std::uint8_t* s) noexcept {
  const int lo = j < 8 ? (s[j] & 0xF) : (s[j - 8] >> 4);
  const int hi = (s[8 + j % 4] >> (2 * (j / 4))) & 3;
  return (lo | (hi << 4)) - 32;
}

// ggml's nearest_int: add 1.5*2^23 and read the low mantissa bits. Rounds half to even for
// |f| <= 4194303; for NaN, inf and larger values it returns whatever the bit pattern gives,
// exactly like ggml (the quantizers rely on that to stay byte-identical on degenerate blocks).
inline int nearest_int(float f) noexcept {
  const float v = f + 12582912.f;
  const std::int32_t i = std::bit_cast<std::int32_t>(v);
  return (i & 0x007fffff) - 0x00400000;
}

// C's float -> int conversion as x86-64 performs it (cvttss2si): truncation toward zero, and
// 0x80000000 for NaN or out-of-range values. ggml's Q4_0..Q8_0 reference quantizers cast float
// to int8/uint8 this way; the low byte of this result is what ends up stored.
inline std::int32_t trunc_to_int(float f) noexcept {
  if (!(f > -2147483904.0f && f < 2147483648.0f)) return INT32_MIN;  // NaN or out of range
  return static_cast<std::int32_t>(f);
}

}  // namespace apr::quant
