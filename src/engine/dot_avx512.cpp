#include "engine/dot_avx512.hpp"
#include "engine/prefetch.hpp"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "tensor/quant_common.hpp"

// Everything below is compiled for AVX-512F + F16C; the dispatcher (dequant_fast.cpp) calls it
// only on CPUs that have both. GCC 12 reports the intrinsics' internal undefined vectors as
// (maybe-)uninitialized. clang ignores GCC's target pragma: it gets the same target as a function
// attribute on every function below (the libFuzzer build, docs/reliability.md).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,f16c"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,f16c")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "engine/tree32_avx512.hpp"

namespace apr::engine {

namespace {

using avx512::tree32;

using u8 = std::uint8_t;
using namespace apr::quant;  // K-quant block layouts and scale unpacking (tensor layer)

// F16C converts every half exactly as fp16_to_fp32 does (NaNs quieted, payload kept).
inline float f16(const u8* p) noexcept {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

inline __m512i u8x16(const u8* p) noexcept {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}


// Each kernel K: kBytes / kElems per block and block(b, v, a0, a1), which adds the block's
// products w * v to the lanes of its elements (element e of the block to lane e % 32, in order).
// Weights use the tensor layer's formula and rounding (mul and add separate, no FMA).

// Q4_0 / Q4_1: the 16 weights a block can hold, (float)(q [- 8]) * d [+ m], computed once as a
// table; each element takes its entry by a lane permute (vpermps reads the low 4 bits of the index,
// so the high nibble only needs a shift).
template <bool kMin>
struct Q4 {
  static constexpr int kBytes = kMin ? 20 : 18, kElems = 32;
  static void block(const u8* x, const float* v, __m512& a0, __m512& a1) noexcept {
    const __m512 iota = kMin ? _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
                             : _mm512_setr_ps(-8, -7, -6, -5, -4, -3, -2, -1, 0, 1, 2, 3, 4, 5, 6, 7);
    __m512 tab = _mm512_mul_ps(iota, _mm512_set1_ps(f16(x)));
    if (kMin) tab = _mm512_add_ps(tab, _mm512_set1_ps(f16(x + 2)));
    const __m512i q = u8x16(x + (kMin ? 4 : 2));
    a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_permutexvar_ps(q, tab), _mm512_loadu_ps(v)));
    a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(q, 4), tab),
                                         _mm512_loadu_ps(v + 16)));
  }
};

// Q5_0 / Q5_1: q = nibble | (bit e of qh) << 4; the 32 weights (float)(q [- 16]) * d [+ m] as two
// tables, picked with a two-register permute (5 index bits).
template <bool kMin>
struct Q5 {
  static constexpr int kBytes = kMin ? 24 : 22, kElems = 32;
  static void block(const u8* x, const float* v, __m512& a0, __m512& a1) noexcept {
    const __m512 lo = kMin ? _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15)
                           : _mm512_setr_ps(-16, -15, -14, -13, -12, -11, -10, -9, -8, -7, -6, -5, -4, -3, -2, -1);
    const __m512 hi = kMin ? _mm512_setr_ps(16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31)
                           : _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const __m512 d = _mm512_set1_ps(f16(x));
    __m512 tlo = _mm512_mul_ps(lo, d), thi = _mm512_mul_ps(hi, d);
    if (kMin) {
      const __m512 m = _mm512_set1_ps(f16(x + 2));
      tlo = _mm512_add_ps(tlo, m);
      thi = _mm512_add_ps(thi, m);
    }
    std::uint32_t qh;
    std::memcpy(&qh, x + (kMin ? 4 : 2), 4);
    const __m512i q = u8x16(x + (kMin ? 8 : 6)), b4 = _mm512_set1_epi32(16);
    const __m512i nlo = _mm512_and_si512(q, _mm512_set1_epi32(0xF)), nhi = _mm512_srli_epi32(q, 4);
    const __m512i ilo = _mm512_mask_or_epi32(nlo, static_cast<__mmask16>(qh & 0xFFFF), nlo, b4);
    const __m512i ihi = _mm512_mask_or_epi32(nhi, static_cast<__mmask16>(qh >> 16), nhi, b4);
    a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_permutex2var_ps(tlo, ilo, thi), _mm512_loadu_ps(v)));
    a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_permutex2var_ps(tlo, ihi, thi), _mm512_loadu_ps(v + 16)));
  }
};

// Q8_0: w = (float)q * d.
struct Q8 {
  static constexpr int kBytes = 34, kElems = 32;
  static void block(const u8* x, const float* v, __m512& a0, __m512& a1) noexcept {
    const __m512 d = _mm512_set1_ps(f16(x));
    const __m512i q0 = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 2)));
    const __m512i q1 = _mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(x + 18)));
    a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(q0), d), _mm512_loadu_ps(v)));
    a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(q1), d), _mm512_loadu_ps(v + 16)));
  }
};

// F16 / BF16: a "block" of 32 stored halves, converted exactly (F16C; BF16 is the high half of
// the f32 bits, so a shift) as the tensor layer converts them, then multiplied as dot() does.
struct F16 {
  static constexpr int kBytes = 64, kElems = 32;
  static void block(const u8* x, const float* v, __m512& a0, __m512& a1) noexcept {
    const __m512 w0 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x)));
    const __m512 w1 = _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + 32)));
    a0 = _mm512_add_ps(a0, _mm512_mul_ps(w0, _mm512_loadu_ps(v)));
    a1 = _mm512_add_ps(a1, _mm512_mul_ps(w1, _mm512_loadu_ps(v + 16)));
  }
};
inline __m512 bf16x16(const u8* p) noexcept {
  const __m512i h = _mm512_cvtepu16_epi32(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  return _mm512_castsi512_ps(_mm512_slli_epi32(h, 16));
}
struct BF16 {
  static constexpr int kBytes = 64, kElems = 32;
  static void block(const u8* x, const float* v, __m512& a0, __m512& a1) noexcept {
    a0 = _mm512_add_ps(a0, _mm512_mul_ps(bf16x16(x), _mm512_loadu_ps(v)));
    a1 = _mm512_add_ps(a1, _mm512_mul_ps(bf16x16(x + 32), _mm512_loadu_ps(v + 16)));
  }
};

// Q4_K: per 64 elements, sub-block A (low nibbles of 32 bytes) then B (high nibbles); each
// sub-block's 16 weights d_s * q - m_s (d_s = d * sc, m_s = dmin * m in float) as a table.
struct Q4K {
  static constexpr int kBytes = kQ4_KBytes, kElems = 256;
  static void block(const u8* x, const float* v, __m512& a0, __m512& a1) noexcept {
    const __m512 iota = _mm512_setr_ps(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const float d = f16(x + kQ4_KD), dmin = f16(x + kQ4_KDmin);
    const u8* scales = x + kQ4_KScales;
    const u8* q = x + kQ4_KQs;
    for (int p = 0; p < 4; ++p, q += 32, v += 64) {
      u8 sc, m;
      get_scale_min_k4(2 * p, scales, sc, m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      get_scale_min_k4(2 * p + 1, scales, sc, m);
      const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
      const __m512 ta = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(d1), iota), _mm512_set1_ps(m1));
      const __m512 tb = _mm512_sub_ps(_mm512_mul_ps(_mm512_set1_ps(d2), iota), _mm512_set1_ps(m2));
      const __m512i q0 = u8x16(q), q1 = u8x16(q + 16);
      a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_permutexvar_ps(q0, ta), _mm512_loadu_ps(v)));
      a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_permutexvar_ps(q1, ta), _mm512_loadu_ps(v + 16)));
      a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(q0, 4), tb),
                                           _mm512_loadu_ps(v + 32)));
      a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(q1, 4), tb),
                                           _mm512_loadu_ps(v + 48)));
    }
  }
};

// Q6_K: per half of 128 elements, sub-blocks k = 0..3 of 32 (element 32k + l):
// q = (low 4 bits of ql[l + 32(k&1)], high 4 when k >= 2) | ((qh[l] >> 2k) & 3) << 4,
// weight = (d * sc[l / 16 + 2k]) * (float)(q - 32).
struct Q6K {
  static constexpr int kBytes = kQ6_KBytes, kElems = 256;
  static void block(const u8* x, const float* v, __m512& a0, __m512& a1) noexcept {
    const __m512i m4 = _mm512_set1_epi32(0xF), m2 = _mm512_set1_epi32(3), k32 = _mm512_set1_epi32(32);
    const float d = f16(x + kQ6_KD);
    const u8* ql = x + kQ6_KQl;
    const u8* qh = x + kQ6_KQh;
    const auto* sc = reinterpret_cast<const std::int8_t*>(x + kQ6_KScales);
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32, sc += 8) {
      const __m512i hb[2] = {u8x16(qh), u8x16(qh + 16)};
      const __m512i lb[2][2] = {{u8x16(ql), u8x16(ql + 16)}, {u8x16(ql + 32), u8x16(ql + 48)}};
      for (int k = 0; k < 4; ++k, v += 32) {
        for (int j = 0; j < 2; ++j) {
          const __m512i lo = k < 2 ? _mm512_and_si512(lb[k & 1][j], m4) : _mm512_srli_epi32(lb[k & 1][j], 4);
          const __m512i hi = _mm512_slli_epi32(_mm512_and_si512(_mm512_srli_epi32(hb[j], 2 * k), m2), 4);
          const __m512 qf = _mm512_cvtepi32_ps(_mm512_sub_epi32(_mm512_or_si512(lo, hi), k32));
          const __m512 w = _mm512_mul_ps(_mm512_set1_ps(d * static_cast<float>(sc[j + 2 * k])), qf);
          __m512& a = j == 0 ? a0 : a1;
          a = _mm512_add_ps(a, _mm512_mul_ps(w, _mm512_loadu_ps(v + 16 * j)));
        }
      }
    }
  }
};

template <class K, int R>
inline void rows_r(const u8* w, std::size_t stride, const float* x, std::int64_t nb, float* out) noexcept {
  __m512 a0[R], a1[R];
  for (int r = 0; r < R; ++r) a0[r] = a1[r] = _mm512_setzero_ps();
  for (std::int64_t i = 0; i < nb; ++i) {
    const float* v = x + i * K::kElems;
    const u8* b = w + static_cast<std::size_t>(i) * K::kBytes;
    for (int r = 0; r < R; ++r) K::block(b + static_cast<std::size_t>(r) * stride, v, a0[r], a1[r]);
  }
  for (int r = 0; r < R; ++r) out[r] = tree32(a0[r], a1[r]);
}

template <class K>
void rows(const u8* w, std::size_t stride, std::int64_t n_rows, const float* x, std::int64_t nb,
          float* out) noexcept {
  std::int64_t r = 0;
  const std::size_t group = 4 * stride;
  for (; r + 4 <= n_rows; r += 4) {
    // The four rows are read side by side, so "ahead" counts from the group's first byte: this
    // asks for the rest of the group and the next group's first 4 KiB (engine/prefetch.hpp;
    // measured +2-3 % decode over prefetching the group 8 rows ahead).
    prefetch_stream(w + static_cast<std::size_t>(r) * stride, group);
    rows_r<K, 4>(w + static_cast<std::size_t>(r) * stride, stride, x, nb, out + r);
  }
  for (; r < n_rows; ++r) rows_r<K, 1>(w + static_cast<std::size_t>(r) * stride, stride, x, nb, out + r);
}

}  // namespace

RowsDot avx512_rows_dot(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::Q4_0: return &rows<Q4<false>>;
    case GgmlType::Q4_1: return &rows<Q4<true>>;
    case GgmlType::Q5_0: return &rows<Q5<false>>;
    case GgmlType::Q5_1: return &rows<Q5<true>>;
    case GgmlType::Q8_0: return &rows<Q8>;
    case GgmlType::Q4_K: return &rows<Q4K>;
    case GgmlType::Q6_K: return &rows<Q6K>;
    case GgmlType::F16: return &rows<F16>;
    case GgmlType::BF16: return &rows<BF16>;
    default: return nullptr;
  }
}

}  // namespace apr::engine

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

#else

namespace apr::engine {
RowsDot avx512_rows_dot(GgmlType) noexcept { return nullptr; }
}  // namespace apr::engine

#endif
