// Reference quantizers for the 32-element block types (formats.md §2.2): Q8_0, Q4_0, Q4_1,
// Q5_0, Q5_1. The integer levels use the unrounded scale d (fp16(d) is what is stored), and
// the float->integer casts follow C on x86-64 (truncation, see quant::trunc_to_int), as ggml's
// quantize_row_*_ref do. Q8_0 rounds half away from zero (roundf).
#include <algorithm>
#include <cfloat>
#include <cmath>

#include "tensor/quant_common.hpp"
#include "tensor/quant_kernels.hpp"

namespace apr::quant {
namespace {

// (int8_t)(float) as compiled by C on x86-64: truncate to int32, keep the low byte.
inline int cast_i8(float f) noexcept { return static_cast<std::int8_t>(static_cast<std::uint8_t>(trunc_to_int(f) & 0xFF)); }
// (uint8_t)(float) likewise.
inline int cast_u8(float f) noexcept { return static_cast<std::uint8_t>(trunc_to_int(f) & 0xFF); }

// Value with the largest magnitude, first one on ties (strict <), and that magnitude.
inline float signed_absmax(const float* x, int n) noexcept {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

inline void min_max(const float* x, int n, float& min, float& max) noexcept {
  min = FLT_MAX;
  max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < min) min = x[j];
    if (x[j] > max) max = x[j];
  }
}

}  // namespace

void quantize_q8_0(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK, y += kQ8_0Bytes) {
    float amax = 0.0f;
    for (int j = 0; j < kQK; ++j) {
      const float a = std::fabs(x[j]);
      amax = amax > a ? amax : a;
    }
    const float d = amax / 127;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    store_f16(y, d);
    for (int j = 0; j < kQK; ++j) {
      y[2 + j] = static_cast<std::uint8_t>(trunc_to_int(std::round(x[j] * id)) & 0xFF);
    }
  }
}

void quantize_q4_0(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK, y += kQ4_0Bytes) {
    const float max = signed_absmax(x, kQK);
    const float d = max / -8;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    store_f16(y, d);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[kQK / 2 + j] * id;
      const int q0 = std::min(15, cast_i8(x0 + 8.5f));
      const int q1 = std::min(15, cast_i8(x1 + 8.5f));
      const std::uint8_t xi0 = static_cast<std::uint8_t>(q0), xi1 = static_cast<std::uint8_t>(q1);
      y[2 + j] = static_cast<std::uint8_t>(xi0 | (xi1 << 4));
    }
  }
}

void quantize_q4_1(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK, y += kQ4_1Bytes) {
    float min, max;
    min_max(x, kQK, min, max);
    const float d = (max - min) / 15;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    store_f16(y, d);
    store_f16(y + 2, min);
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[kQK / 2 + j] - min) * id;
      const std::uint8_t xi0 = static_cast<std::uint8_t>(std::min(15, cast_i8(x0 + 0.5f)));
      const std::uint8_t xi1 = static_cast<std::uint8_t>(std::min(15, cast_i8(x1 + 0.5f)));
      y[4 + j] = static_cast<std::uint8_t>(xi0 | (xi1 << 4));
    }
  }
}

void quantize_q5_0(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK, y += kQ5_0Bytes) {
    const float max = signed_absmax(x, kQK);
    const float d = max / -16;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    store_f16(y, d);
    std::uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = x[j] * id;
      const float x1 = x[kQK / 2 + j] * id;
      const std::uint8_t xi0 = static_cast<std::uint8_t>(std::min(31, cast_i8(x0 + 16.5f)));
      const std::uint8_t xi1 = static_cast<std::uint8_t>(std::min(31, cast_i8(x1 + 16.5f)));
      y[6 + j] = static_cast<std::uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
      qh |= ((xi0 & 0x10u) >> 4) << j;
      qh |= ((xi1 & 0x10u) >> 4) << (j + kQK / 2);
    }
    std::memcpy(y + 2, &qh, 4);
  }
}

void quantize_q5_1(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK, y += kQ5_1Bytes) {
    float min, max;
    min_max(x, kQK, min, max);
    const float d = (max - min) / 31;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    store_f16(y, d);
    store_f16(y + 2, min);
    std::uint32_t qh = 0;
    for (int j = 0; j < kQK / 2; ++j) {
      const float x0 = (x[j] - min) * id;
      const float x1 = (x[kQK / 2 + j] - min) * id;
      const std::uint8_t xi0 = static_cast<std::uint8_t>(cast_u8(x0 + 0.5f));
      const std::uint8_t xi1 = static_cast<std::uint8_t>(cast_u8(x1 + 0.5f));
      y[8 + j] = static_cast<std::uint8_t>((xi0 & 0x0F) | ((xi1 & 0x0F) << 4));
      qh |= ((xi0 & 0x10u) >> 4) << j;
      qh |= ((xi1 & 0x10u) >> 4) << (j + kQK / 2);
    }
    std::memcpy(y + 4, &qh, 4);
  }
}

}  // namespace apr::quant
