#include "engine/dequant_fast.hpp"

#include "engine/dot_avx512.hpp"
#include "engine/prefetch.hpp"

#include <array>
#include <cstdlib>
#include <cstring>

#include "core/cpu_features.hpp"
#include "tensor/fp16.hpp"
#include "tensor/quant_common.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include "core/switches.hpp"
#define APR_ENGINE_X86 1
#endif

namespace apr::engine {

namespace {

using u8 = std::uint8_t;
using namespace apr::quant;  // K-quant block layouts and scale unpacking (tensor layer)

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
// GCC 12 reports the AVX-512 intrinsics' internal undefined vectors as maybe-uninitialized.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
// AVX2: 16 bytes of nibbles -> 32 floats. Same per-element operations as the scalar loops:
// (float)(q [- 8]) * d [+ m], rounded once per operation (mul and add separate, no FMA).
// One 32-element block (stride 18: Q4_0, 20: Q4_1) -> four vectors of 8 weights, in order.
template <bool kMin>
__attribute__((target("avx2"))) inline void q4_block_avx2(const u8* x, __m256 w[4]) noexcept {
  constexpr int qoff = kMin ? 4 : 2;
  const __m128i lo_mask = _mm_set1_epi8(0x0F);
  const __m256 d = _mm256_set1_ps(f16_at(x));
  const __m256 m = _mm256_set1_ps(kMin ? f16_at(x + 2) : 0.0f);
  const __m128i q = _mm_loadu_si128(reinterpret_cast<const __m128i*>(x + qoff));
  const __m128i lo = _mm_and_si128(q, lo_mask);
  const __m128i hi = _mm_and_si128(_mm_srli_epi16(q, 4), lo_mask);
  const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
  for (int k = 0; k < 4; ++k) {
    __m256i qi = _mm256_cvtepu8_epi32(parts[k]);
    if (!kMin) qi = _mm256_sub_epi32(qi, _mm256_set1_epi32(8));
    w[k] = _mm256_mul_ps(_mm256_cvtepi32_ps(qi), d);
    if (kMin) w[k] = _mm256_add_ps(w[k], m);
  }
}

// dot()'s reduction: the 32 lanes (acc[k] holds lanes 8k..8k+7) summed by the same halving tree.
__attribute__((target("avx2"))) inline float reduce_lanes_avx2(const __m256 acc[4]) noexcept {
  alignas(32) float lanes[32];
  for (int k = 0; k < 4; ++k) _mm256_store_ps(lanes + 8 * k, acc[k]);
  for (int w = 16; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) lanes[l] += lanes[l + w];
  return lanes[0];
}

template <bool kMin>
__attribute__((target("avx2"))) void q4_avx2(const u8* x, float* y, std::int64_t nb) noexcept {
  constexpr int stride = kMin ? 20 : 18;
  for (std::int64_t i = 0; i < nb; ++i, x += stride, y += 32) {
    __m256 w[4];
    q4_block_avx2<kMin>(x, w);
    for (int k = 0; k < 4; ++k) _mm256_storeu_ps(y + 8 * k, w[k]);
  }
}

// Fused Q4 row . x for one token: the same values as q4_avx2 (bit for bit) multiplied with x and
// accumulated in the 32 lanes of dot() (lane = position in the 32-element block), then the same
// halving tree. Equal to dot(dequantized row, x, n) bit for bit.
template <bool kMin>
__attribute__((target("avx2"))) float q4_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  constexpr int stride = kMin ? 20 : 18;
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += stride, v += 32) {
    __m256 w[4];
    q4_block_avx2<kMin>(x, w);
    for (int k = 0; k < 4; ++k) acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(w[k], _mm256_loadu_ps(v + 8 * k)));
  }
  return reduce_lanes_avx2(acc);
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
  return reduce_lanes_avx2(acc);
}

// Fused F16 / BF16 row . x: each stored half converted exactly (F16C as fp16_to_fp32; BF16 by a
// shift into the high half of the f32 bits), 8 lanes per register, four registers = dot()'s 32.
__attribute__((target("avx2,f16c"))) float f16_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += 64, v += 32)
    for (int k = 0; k < 4; ++k) {
      const __m256 w = _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 16 * k)));
      acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(w, _mm256_loadu_ps(v + 8 * k)));
    }
  return reduce_lanes_avx2(acc);
}

__attribute__((target("avx2"))) float bf16_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += 64, v += 32)
    for (int k = 0; k < 4; ++k) {
      const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 16 * k)));
      const __m256 w = _mm256_castsi256_ps(_mm256_slli_epi32(h, 16));
      acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(w, _mm256_loadu_ps(v + 8 * k)));
    }
  return reduce_lanes_avx2(acc);
}

bool have_avx512() noexcept {
  static const bool v = __builtin_cpu_supports("avx512f") && apr::cpu_has_avx_f16c() &&
                        !apr::switches().engine_no_avx512;
  return v;
}

// AVX2 fused dots for the 5-bit and K-quant types: each weight computed directly with the tensor
// layer's formula, 8 lanes per register, four registers = the 32 lanes of dot().
__attribute__((target("avx2,f16c"))) inline float f16c_at2(const u8* p) noexcept {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

__attribute__((target("avx2"))) inline __m256i load8_u8(const u8* p) noexcept {
  return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

template <bool kMin>
__attribute__((target("avx2,f16c"))) float q5_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  constexpr int stride = kMin ? 24 : 22, hoff = kMin ? 4 : 2, qoff = kMin ? 8 : 6;
  const __m256i m4 = _mm256_set1_epi32(0xF), one = _mm256_set1_epi32(1), k16 = _mm256_set1_epi32(16);
  const __m256i shifts = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += stride, v += 32) {
    const __m256 d = _mm256_set1_ps(f16c_at2(x));
    const __m256 m = _mm256_set1_ps(kMin ? f16c_at2(x + 2) : 0.0f);
    std::uint32_t qh;
    std::memcpy(&qh, x + hoff, 4);
    for (int k = 0; k < 4; ++k) {  // elements 8k .. 8k+7
      const __m256i qb = load8_u8(x + qoff + 8 * (k & 1));
      const __m256i nib = k < 2 ? _mm256_and_si256(qb, m4) : _mm256_srli_epi32(qb, 4);
      const __m256i hb = _mm256_and_si256(
          _mm256_srlv_epi32(_mm256_set1_epi32(static_cast<int>(qh >> (8 * k))), shifts), one);
      __m256i q = _mm256_or_si256(nib, _mm256_slli_epi32(hb, 4));
      if (!kMin) q = _mm256_sub_epi32(q, k16);
      __m256 w = _mm256_mul_ps(_mm256_cvtepi32_ps(q), d);
      if (kMin) w = _mm256_add_ps(w, m);
      acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(w, _mm256_loadu_ps(v + 8 * k)));
    }
  }
  return reduce_lanes_avx2(acc);
}

__attribute__((target("avx2,f16c"))) float q4_k_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  const __m256i m4 = _mm256_set1_epi32(0xF);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += kQ4_KBytes) {
    const float d = f16c_at2(x + kQ4_KD), dmin = f16c_at2(x + kQ4_KDmin);
    const u8* scales = x + kQ4_KScales;
    const u8* q = x + kQ4_KQs;
    for (int p = 0; p < 4; ++p, q += 32) {
      for (int half = 0; half < 2; ++half, v += 32) {  // low nibbles, then high nibbles
        u8 sc, m;
        get_scale_min_k4(2 * p + half, scales, sc, m);
        const __m256 ds = _mm256_set1_ps(d * static_cast<float>(sc));
        const __m256 ms = _mm256_set1_ps(dmin * static_cast<float>(m));
        for (int k = 0; k < 4; ++k) {
          const __m256i qb = load8_u8(q + 8 * k);
          const __m256i nib = half == 0 ? _mm256_and_si256(qb, m4) : _mm256_srli_epi32(qb, 4);
          const __m256 w = _mm256_sub_ps(_mm256_mul_ps(ds, _mm256_cvtepi32_ps(nib)), ms);
          acc[k] = _mm256_add_ps(acc[k], _mm256_mul_ps(w, _mm256_loadu_ps(v + 8 * k)));
        }
      }
    }
  }
  return reduce_lanes_avx2(acc);
}

__attribute__((target("avx2,f16c"))) float q6_k_dot_avx2(const u8* x, const float* v, std::int64_t nb) noexcept {
  const __m256i m4 = _mm256_set1_epi32(0xF), m2 = _mm256_set1_epi32(3), k32 = _mm256_set1_epi32(32);
  __m256 acc[4] = {_mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps(), _mm256_setzero_ps()};
  for (std::int64_t i = 0; i < nb; ++i, x += kQ6_KBytes) {
    const float d = f16c_at2(x + kQ6_KD);
    const u8* ql = x + kQ6_KQl;
    const u8* qh = x + kQ6_KQh;
    const auto* sc = reinterpret_cast<const std::int8_t*>(x + kQ6_KScales);
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32, sc += 8) {
      for (int k = 0; k < 4; ++k, v += 32) {  // elements 32k + l of this half
        for (int j = 0; j < 4; ++j) {           // l = 8j .. 8j+7
          const __m256i qlb = load8_u8(ql + 32 * (k & 1) + 8 * j);
          const __m256i lo = k < 2 ? _mm256_and_si256(qlb, m4) : _mm256_srli_epi32(qlb, 4);
          const __m256i hi = _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(load8_u8(qh + 8 * j), 2 * k), m2), 4);
          const __m256 qf = _mm256_cvtepi32_ps(_mm256_sub_epi32(_mm256_or_si256(lo, hi), k32));
          const __m256 w = _mm256_mul_ps(_mm256_set1_ps(d * static_cast<float>(sc[j / 2 + 2 * k])), qf);
          acc[j] = _mm256_add_ps(acc[j], _mm256_mul_ps(w, _mm256_loadu_ps(v + 8 * j)));
        }
      }
    }
  }
  return reduce_lanes_avx2(acc);
}

bool have_f16c() noexcept {
  static const bool v = apr::cpu_has_avx_f16c();  // CPUID: clang has no "f16c" builtin
  return v;
}

bool have_avx2() noexcept {
  static const bool v = __builtin_cpu_supports("avx2");
  return v;
}
#endif

}  // namespace

namespace {

#if APR_ENGINE_X86
// An AVX2 one-row kernel applied to each row of a range, the bytes ahead prefetched
// (engine/prefetch.hpp).
template <float (*F)(const u8*, const float*, std::int64_t) noexcept>
void each_row(const u8* w, std::size_t stride, std::int64_t rows, const float* x, std::int64_t nb,
              float* out) noexcept {
  for (std::int64_t r = 0; r < rows; ++r) {
    prefetch_stream(w + static_cast<std::size_t>(r) * stride, stride);
    out[r] = F(w + static_cast<std::size_t>(r) * stride, x, nb);
  }
}
#endif

// The fused kernel for t at ISA level `isa` (best: the widest this CPU has), or null.
RowsDot pick_rows_dot(GgmlType t, FusedIsa isa) noexcept {
#if APR_ENGINE_X86
  if (isa != FusedIsa::avx2 && have_avx512()) return avx512_rows_dot(t);
  if (isa == FusedIsa::avx512) return nullptr;
  if (have_avx2() && have_f16c()) {
    if (t == GgmlType::Q5_0) return &each_row<&q5_dot_avx2<false>>;
    if (t == GgmlType::Q5_1) return &each_row<&q5_dot_avx2<true>>;
    if (t == GgmlType::Q4_K) return &each_row<&q4_k_dot_avx2>;
    if (t == GgmlType::Q6_K) return &each_row<&q6_k_dot_avx2>;
    if (t == GgmlType::F16) return &each_row<&f16_dot_avx2>;
  }
  if (have_avx2()) {
    if (t == GgmlType::Q4_0) return &each_row<&q4_dot_avx2<false>>;
    if (t == GgmlType::Q4_1) return &each_row<&q4_dot_avx2<true>>;
    if (t == GgmlType::Q8_0) return &each_row<&q8_0_dot_avx2>;
    if (t == GgmlType::BF16) return &each_row<&bf16_dot_avx2>;
  }
#endif
  (void)t;
  (void)isa;
  return nullptr;
}

}  // namespace

namespace {

// Elements per block of the types with a fused kernel (0 for the others; F16/BF16 rows are taken
// 32 values at a time).
std::int64_t fused_block(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::F16:
    case GgmlType::BF16:
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1:
    case GgmlType::Q8_0: return 32;
    case GgmlType::Q4_K:
    case GgmlType::Q6_K: return 256;
    default: return 0;
  }
}

}  // namespace

bool dot_fast(GgmlType t, const std::byte* w, const float* x, std::int64_t n, float* out, FusedIsa isa) noexcept {
  const std::int64_t blk = fused_block(t);
  if (blk == 0 || n <= 0 || n % blk != 0) return false;
  const RowsDot f = pick_rows_dot(t, isa);
  if (!f) return false;
  f(reinterpret_cast<const u8*>(w), 0, 1, x, n / blk, out);
  return true;
}

bool dot_fast_rows(GgmlType t, const std::byte* w, std::size_t stride, std::int64_t rows, const float* x,
                   std::int64_t n, float* out) noexcept {
  const std::int64_t blk = fused_block(t);
  if (blk == 0 || n <= 0 || n % blk != 0) return false;
  static constexpr GgmlType kTypes[9] = {GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                                          GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q4_K,
                                          GgmlType::Q6_K, GgmlType::F16,  GgmlType::BF16};
  static const auto table = [] {
    std::array<RowsDot, 9> a{};
    for (std::size_t k = 0; k < a.size(); ++k) a[k] = pick_rows_dot(kTypes[k], FusedIsa::best);
    return a;
  }();
  RowsDot f = nullptr;
  for (std::size_t k = 0; k < table.size(); ++k)
    if (kTypes[k] == t) f = table[k];
  if (!f) return false;
  f(reinterpret_cast<const u8*>(w), stride, rows, x, n / blk, out);
  return true;
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
