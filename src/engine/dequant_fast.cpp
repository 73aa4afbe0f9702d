#include "engine/dequant_fast.hpp"

#include <cstring>

#include "tensor/fp16.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define APR_ENGINE_X86 1
#endif

namespace apr::engine {

namespace {

using u8 = std::uint8_t;

inline float f16_at(const u8* p) noexcept {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return fp16_to_fp32(h);
}

void q4_0(const u8* __restrict x, float* __restrict y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += 18, y += 32) {
    const float d = f16_at(x);
    const u8* __restrict qs = x + 2;
    for (int l = 0; l < 16; ++l) y[l] = static_cast<float>(static_cast<int>(qs[l] & 0x0F) - 8) * d;
    for (int l = 0; l < 16; ++l) y[l + 16] = static_cast<float>(static_cast<int>(qs[l] >> 4) - 8) * d;
  }
}

void q4_1(const u8* __restrict x, float* __restrict y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += 20, y += 32) {
    const float d = f16_at(x);
    const float m = f16_at(x + 2);
    const u8* __restrict qs = x + 4;
    for (int l = 0; l < 16; ++l) y[l] = static_cast<float>(qs[l] & 0x0F) * d + m;
    for (int l = 0; l < 16; ++l) y[l + 16] = static_cast<float>(qs[l] >> 4) * d + m;
  }
}

#if APR_ENGINE_X86
// AVX2: 16 bytes of nibbles -> 32 floats. Same per-element operations as the scalar loops:
// (float)(q [- 8]) * d [+ m], rounded once per operation (mul and add separate, no FMA).
template <bool kMin>
__attribute__((target("avx2"))) void q4_avx2(const u8* x, float* y, std::int64_t nb) noexcept {
  constexpr int stride = kMin ? 20 : 18, qoff = kMin ? 4 : 2;
  const __m128i lo_mask = _mm_set1_epi8(0x0F);
  const __m256i eight = _mm256_set1_epi32(8);
  for (std::int64_t i = 0; i < nb; ++i, x += stride, y += 32) {
    const __m256 d = _mm256_set1_ps(f16_at(x));
    const __m256 m = _mm256_set1_ps(kMin ? f16_at(x + 2) : 0.0f);
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + qoff));
    const __m128i lo = _mm_and_si128(q, lo_mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), lo_mask);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int k = 0; k < 4; ++k) {
      __m256i qi = _mm256_cvtepu8_epi32(parts[k]);
      if (!kMin) qi = _mm256_sub_epi32(qi, eight);
      __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(qi), d);
      if (kMin) v = _mm256_add_ps(v, m);
      _mm256_storeu_ps(y + 8 * k, v);
    }
  }
}

// Fused Q4 row . x for one token: the same values as q4_avx2 (bit for bit) multiplied with x and
// accumulated in the 32 lanes of dot() (lane = position in the 32-element block), then the same
// halving tree. Equal to dot(dequantized row, x, n) bit for bit.
template <bool kMin>
__attribute__((target("avx2"))) float q4_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  constexpr int stride = kMin ? 20 : 18, qoff = kMin ? 4 : 2;
  const __m128i lo_mask = _mm_set1_epi8(0x0F);
  const __m256i eight = _mm256_set1_epi32(8);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += stride, v += 32) {
    const __m256 d = _mm256_set1_ps(f16_at(x));
    const __m256 m = _mm256_set1_ps(kMin ? f16_at(x + 2) : 0.0f);
    const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + qoff));
    const __m128i lo = _mm_and_si128(q, lo_mask);
    const __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), lo_mask);
    const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
    for (int k = 0; k < 4; ++k) {
      __m256i qi = _mm256_cvtepu8_epi32(parts[k]);
      if (!kMin) qi = _mm256_sub_epi32(qi, eight);
      __m256 w = _mm256_mul_ps(_mm256_cvtepi32_ps(qi), d);
      if (kMin) w = _mm256_add_ps(w, m);
      acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(w, _mm256_loadu_ps(v + 8 * k)));
    }
  }
  alignas(32) float lanes[32];
  for (int k = 0; k < 4; ++k) _mm256_store_ps(lanes + 8 * k, acc[k]);
  for (int w = 16; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
  return lanes[0];
}

// Fused Q8_0 row . x: w = (float)q * d per element (ggml's formula), same lanes and tree as dot().
__attribute__((target("avx2"))) float q8_0_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += 34, v += 32) {
    const __m256 d = _mm256_set1_ps(f16_at(x));
    for (int k = 0; k < 4; ++k) {
      const __m128i q8 = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(x + 2 + 8 * k));
      const __m256 w = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8)), d);
      acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(w, _mm256_loadu_ps(v + 8 * k)));
    }
  }
  alignas(32) float lanes[32];
  for (int k = 0; k < 4; ++k) _mm256_store_ps(lanes + 8 * k, acc[k]);
  for (int w = 16; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
  return lanes[0];
}

bool have_avx2() noexcept {
  static const bool v = __builtin_cpu_supports("avx2");
  return v;
}
#endif

}  // namespace

bool dot_fast(GgmlType t, const std::byte* w, const float* x, std::int64_t n, float* out) noexcept {
  if (n <= 0 || n % 32 != 0) return false;
#if APR_ENGINE_X86
  if ((t == GgmlType::Q4_0 || t == GgmlType::Q4_1) && have_avx2()) {
    const auto* q = reinterpret_cast<const u8*>(w);
    *out = t == GgmlType::Q4_0 ? q4_dot_avx2<false>(q, x, n / 32) : q4_dot_avx2<true>(q, x, n / 32);
    return true;
  }
  if (t == GgmlType::Q8_0 && have_avx2()) {
    *out = q8_0_dot_avx2(reinterpret_cast<const u8*>(w), x, n / 32);
    return true;
  }
#endif
  (void)w;
  (void)x;
  (void)out;
  return false;
}

bool dequantize_fast(GgmlType t, const std::byte* src, float* dst, std::int64_t n) noexcept {
  if (n <= 0 || n % 32 != 0) return false;
  const auto* x = reinterpret_cast<const u8*>(src);
#if APR_ENGINE_X86
  if ((t == GgmlType::Q4_0 || t == GgmlType::Q4_1) && have_avx2()) {
    if (t == GgmlType::Q4_0)
      q4_avx2<false>(x, dst, n / 32);
    else
      q4_avx2<true>(x, dst, n / 32);
    return true;
  }
#endif
  if (t == GgmlType::Q4_0) {
    q4_0(x, dst, n / 32);
    return true;
  }
  if (t == GgmlType::Q4_1) {
    q4_1(x, dst, n / 32);
    return true;
  }
  return false;
}

}  // namespace apr::engine
