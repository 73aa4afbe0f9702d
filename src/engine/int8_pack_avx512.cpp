// The AVX-512 VNNI kernel of the packed int8 matrices (int8_pack.hpp): 16 rows in the 16 int32
// lanes, each packed weight vector loaded once and multiplied (vpdpbusd) with the 4 activation
// bytes of every token of a tile, broadcast from memory. Same operations as the scalar kernel.
#include "engine/int8_dot_avx512.hpp"
#include "engine/int8_pack.hpp"
#include "engine/prefetch.hpp"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include <algorithm>
#include <type_traits>
#include <cstring>
#include <vector>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace apr::engine {

namespace {

using u8 = std::uint8_t;

// One token's operands: int8 values, block scales, block sums x scales (Q4_K) and the integer
// offset corrections per scale group (Q8_0: 128 x the block's q sum negated; Q6_K: 32 x gs).
struct Tok {
  const std::int8_t* q;
  const float* d;
  const float* s;
  const std::int32_t* corr;
};

inline __m512i bx(const std::int8_t* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return _mm512_set1_epi32(v);
}

inline __m512 f16x16(const u8* p) noexcept {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}

template <int TT, bool PF>
void q8_0(const u8* grp, std::int64_t units, const Tok* tk, __m512* acc) noexcept {
  for (std::int64_t b = 0; b < units; ++b) {
    const u8* o = grp + b * 544;
    if constexpr (PF) prefetch_stream(o, 544);
    __m512i S[TT];
    for (int t = 0; t < TT; ++t) S[t] = _mm512_set1_epi32(tk[t].corr[b]);
#pragma GCC unroll 8
    for (int g = 0; g < 8; ++g) {
      const __m512i w = _mm512_loadu_si512(o + 64 * g);
      for (int t = 0; t < TT; ++t) S[t] = _mm512_dpbusd_epi32(S[t], w, bx(tk[t].q + 32 * b + 4 * g));
    }
    const __m512 dw = f16x16(o + 512);
    for (int t = 0; t < TT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(S[t]), _mm512_mul_ps(dw, _mm512_set1_ps(tk[t].d[b])), acc[t]);
  }
}

inline __m512i bytes32(const u8* p) noexcept {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}

template <int TT, bool PF>
void q4_k(const u8* grp, std::int64_t units, const Tok* tk, __m512* acc) noexcept {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i m6 = _mm512_set1_epi32(63), m4d = _mm512_set1_epi32(15);
  for (std::int64_t sb = 0; sb < units; ++sb) {
    const u8* o = grp + sb * 2304;
    const __m512 d = f16x16(o), nd = f16x16(o + 32);
    const u8* B = o + 64;
    for (int j = 0; j < 8; ++j) {
      if constexpr (PF) prefetch_stream(o + 288 * j, 288);  // 8 x 288: the whole unit
      __m512i sc, m;  // get_scale_min_k4 for 16 rows
      if (j < 4) {
        sc = _mm512_and_si512(bytes32(B + 16 * j), m6);
        m = _mm512_and_si512(bytes32(B + 16 * (j + 4)), m6);
      } else {
        const __m512i b4 = bytes32(B + 16 * (j + 4));
        sc = _mm512_or_si512(_mm512_and_si512(b4, m4d), _mm512_slli_epi32(_mm512_srli_epi32(bytes32(B + 16 * (j - 4)), 6), 4));
        m = _mm512_or_si512(_mm512_srli_epi32(b4, 4), _mm512_slli_epi32(_mm512_srli_epi32(bytes32(B + 16 * j), 6), 4));
      }
      const __m512 dw = _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc));
      const __m512 mw = _mm512_mul_ps(nd, _mm512_cvtepi32_ps(m));
      const std::int64_t b = 8 * sb + j;
      const u8* qs = o + 256 + 256 * j;
      __m512i S[TT];
      for (int t = 0; t < TT; ++t) S[t] = _mm512_setzero_si512();
#pragma GCC unroll 4
      for (int k = 0; k < 4; ++k) {
        const __m512i v = _mm512_loadu_si512(qs + 64 * k);
        const __m512i lo = _mm512_and_si512(v, m4);
        const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
        for (int t = 0; t < TT; ++t) {
          S[t] = _mm512_dpbusd_epi32(S[t], lo, bx(tk[t].q + 32 * b + 4 * k));
          S[t] = _mm512_dpbusd_epi32(S[t], hi, bx(tk[t].q + 32 * b + 16 + 4 * k));
        }
      }
      for (int t = 0; t < TT; ++t) {
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(S[t]), _mm512_mul_ps(dw, _mm512_set1_ps(tk[t].d[b])), acc[t]);
        acc[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(tk[t].s[b]), acc[t]);
      }
    }
  }
}

// Q4_0/Q4_1/Q5_0/Q5_1 (int8_pack.cpp's pack_legacy layout).
template <GgmlType Ty, int TT, bool PF>
void legacy(const u8* grp, std::int64_t units, const Tok* tk, __m512* acc) noexcept {
  constexpr bool q5 = Ty == GgmlType::Q5_0 || Ty == GgmlType::Q5_1;
  constexpr bool mn = Ty == GgmlType::Q4_1 || Ty == GgmlType::Q5_1;
  constexpr bool has_corr = !mn;
  constexpr std::int64_t ub = 256 + (q5 ? 64 : 0) + 32 + (mn ? 32 : 0);
  const __m512i m4 = _mm512_set1_epi8(0x0F), b4 = _mm512_set1_epi8(0x10);
  for (std::int64_t b = 0; b < units; ++b) {
    const u8* o = grp + b * ub;
    if constexpr (PF) prefetch_stream(o, ub);
    __m512i S[TT];
    for (int t = 0; t < TT; ++t) S[t] = has_corr ? _mm512_set1_epi32(tk[t].corr[b]) : _mm512_setzero_si512();
    __m512i HB = _mm512_setzero_si512();
    if constexpr (q5) HB = _mm512_loadu_si512(o + 256);
#pragma GCC unroll 4
    for (int k = 0; k < 4; ++k) {
      const __m512i v = _mm512_loadu_si512(o + 64 * k);
      __m512i lo = _mm512_and_si512(v, m4);
      __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
      if constexpr (q5) {
        // Bit k (lo) and k + 4 (hi) of HB become bit 4 of the value: a byte test and a masked
        // add of 0x10 (bit 4 is clear) instead of a shift each, which would compete with the
        // dot products for the one port that does 512-bit shifts and VNNI.
        lo = _mm512_mask_add_epi8(lo, _mm512_test_epi8_mask(HB, _mm512_set1_epi8(static_cast<char>(1 << k))), lo, b4);
        hi = _mm512_mask_add_epi8(hi, _mm512_test_epi8_mask(HB, _mm512_set1_epi8(static_cast<char>(0x10 << k))), hi, b4);
      }
      for (int t = 0; t < TT; ++t) {
        S[t] = _mm512_dpbusd_epi32(S[t], lo, bx(tk[t].q + 32 * b + 4 * k));
        S[t] = _mm512_dpbusd_epi32(S[t], hi, bx(tk[t].q + 32 * b + 16 + 4 * k));
      }
    }
    const u8* sc = o + 256 + (q5 ? 64 : 0);
    const __m512 dw = f16x16(sc);
    for (int t = 0; t < TT; ++t)
      acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(S[t]), _mm512_mul_ps(dw, _mm512_set1_ps(tk[t].d[b])), acc[t]);
    if constexpr (mn) {
      const __m512 mw = f16x16(sc + 32);
      for (int t = 0; t < TT; ++t) acc[t] = _mm512_fmadd_ps(mw, _mm512_set1_ps(tk[t].s[b]), acc[t]);
    }
  }
}

template <int K>
inline __m512i q6_high(__m512i H) noexcept {  // bits 2K, 2K + 1 of each byte -> bits 4, 5
  const __m512i m = _mm512_set1_epi8(0x30);
  if constexpr (K < 3)
    return _mm512_and_si512(_mm512_slli_epi16(H, 4 - 2 * K), m);
  else
    return _mm512_and_si512(_mm512_srli_epi16(H, 2), m);
}

template <int TT, int H>
inline void q6_half(const u8* ql, __m512i Hv, const Tok* tk, std::int64_t b, std::int64_t g, __m512i* S) noexcept {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  for (int t = 0; t < TT; ++t) S[t] = _mm512_set1_epi32(tk[t].corr[g]);
  auto step = [&](auto kc, __m512i hi) {
    constexpr int k = decltype(kc)::value;
    const __m512i v = _mm512_loadu_si512(ql + 64 * k);
    const __m512i lo = H ? _mm512_and_si512(_mm512_srli_epi16(v, 4), m4) : _mm512_and_si512(v, m4);
    const __m512i u = _mm512_or_si512(lo, hi);
    for (int t = 0; t < TT; ++t) S[t] = _mm512_dpbusd_epi32(S[t], u, bx(tk[t].q + 32 * b + 16 * H + 4 * k));
  };
  step(std::integral_constant<int, 0>{}, q6_high<0>(Hv));
  step(std::integral_constant<int, 1>{}, q6_high<1>(Hv));
  step(std::integral_constant<int, 2>{}, q6_high<2>(Hv));
  step(std::integral_constant<int, 3>{}, q6_high<3>(Hv));
}

template <int TT, bool PF>
void q6_k(const u8* grp, std::int64_t units, const Tok* tk, __m512* acc) noexcept {
  for (std::int64_t sb = 0; sb < units; ++sb) {
    const u8* o = grp + sb * 3360;
    const __m512 d = f16x16(o);
    for (int j = 0; j < 8; ++j) {
      const u8* ql = o + 288 + 384 * j;
      if constexpr (PF) prefetch_stream(o + 420 * j, 420);  // 8 x 420: the whole unit
      const std::int64_t b = 8 * sb + j;
      __m512i S[TT];
      for (int h = 0; h < 2; ++h) {
        const __m512i Hv = _mm512_loadu_si512(ql + 256 + 64 * h);
        if (h == 0)
          q6_half<TT, 0>(ql, Hv, tk, b, 2 * b, S);
        else
          q6_half<TT, 1>(ql, Hv, tk, b, 2 * b + 1, S);
        const __m128i sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(o + 32 + 16 * (2 * j + h)));
        const __m512 dw = _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(sc)));
        for (int t = 0; t < TT; ++t)
          acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(S[t]), _mm512_mul_ps(dw, _mm512_set1_ps(tk[t].d[b])), acc[t]);
      }
    }
  }
}

template <int TT, bool PF>
void kernel(GgmlType type, const u8* grp, std::int64_t units, const Tok* tk, __m512* acc) noexcept {
  for (int t = 0; t < TT; ++t) acc[t] = _mm512_setzero_ps();
  switch (type) {
    case GgmlType::Q8_0: q8_0<TT, PF>(grp, units, tk, acc); break;
    case GgmlType::Q4_K: q4_k<TT, PF>(grp, units, tk, acc); break;
    case GgmlType::Q6_K: q6_k<TT, PF>(grp, units, tk, acc); break;
    case GgmlType::Q4_0: legacy<GgmlType::Q4_0, TT, PF>(grp, units, tk, acc); break;
    case GgmlType::Q4_1: legacy<GgmlType::Q4_1, TT, PF>(grp, units, tk, acc); break;
    case GgmlType::Q5_0: legacy<GgmlType::Q5_0, TT, PF>(grp, units, tk, acc); break;
    case GgmlType::Q5_1: legacy<GgmlType::Q5_1, TT, PF>(grp, units, tk, acc); break;
    default: break;
  }
}

constexpr int kTile = 8;

// Tokens [tt, tt + TT) of the call against group g; writes the lanes in [r0, r1).
template <int TT, bool PF>
void tile(const Int8Packed& p, std::int64_t g, std::int64_t units, const Tok* tk, std::int64_t r0, std::int64_t r1,
          float* y, std::int64_t ldy) noexcept {
  __m512 acc[TT];
  kernel<TT, PF>(p.type, p.group(g), units, tk, acc);
  const std::int64_t lo = std::max(r0, 16 * g), hi = std::min(r1, 16 * g + 16);
  for (int t = 0; t < TT; ++t) {
    float* out = y + t * ldy;
    if (lo == 16 * g && hi == 16 * g + 16) {
      _mm512_storeu_ps(out + (lo - r0), acc[t]);
    } else {
      alignas(64) float v[16];
      _mm512_store_ps(v, acc[t]);
      for (std::int64_t r = lo; r < hi; ++r) out[r - r0] = v[r - 16 * g];
    }
  }
}

}  // namespace

void int8_packed_rows_avx512(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                             std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept {
  const GgmlType type = p.type;
  const bool k = type == GgmlType::Q4_K || type == GgmlType::Q6_K;
  const std::int64_t units = p.cols / (k ? 256 : 32);
  const std::int64_t nb = p.cols / 32;
  // Offset corrections c x group sum per token and scale group (per 32-block; Q6_K: per 16 values).
  const int c = int8_offset(type);
  const std::int64_t ng = type == GgmlType::Q6_K ? 2 * nb : (c && !k ? nb : 0);
  static thread_local std::vector<std::int32_t> corr;
  if (T == 1 && corr.capacity() > 4096) std::vector<std::int32_t>().swap(corr);  // after a prefill
  corr.resize(static_cast<std::size_t>(T * ng));
  for (std::int64_t t = 0; t < T; ++t) {
    const std::int32_t* gs = a.gs_row(t0 + t);
    std::int32_t* cr = corr.data() + t * ng;
    if (type == GgmlType::Q6_K)
      for (std::int64_t g = 0; g < ng; ++g) cr[g] = 32 * gs[g];
    else if (ng)
      for (std::int64_t b = 0; b < nb; ++b) cr[b] = c * (gs[2 * b] + gs[2 * b + 1]);
  }
  std::vector<Tok> tk(static_cast<std::size_t>(T));
  for (std::int64_t t = 0; t < T; ++t)
    tk[static_cast<std::size_t>(t)] = {a.q_row(t0 + t), a.d_row(t0 + t), a.s_row(t0 + t), corr.data() + t * ng};
  const std::int64_t g0 = r0 / 16, g1 = (r1 + 15) / 16;
  for (std::int64_t g = g0; g < g1; ++g) {
    std::int64_t t = 0;
    if (T == 1) {
      tile<1, true>(p, g, units, tk.data(), r0, r1, y, ldy);
      continue;
    }
    for (; t + kTile <= T; t += kTile) tile<kTile, false>(p, g, units, tk.data() + t, r0, r1, y + t * ldy, ldy);
    const Tok* tt = tk.data() + t;
    float* yt = y + t * ldy;
    switch (T - t) {
      case 1: tile<1, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 2: tile<2, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 3: tile<3, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 4: tile<4, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 5: tile<5, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 6: tile<6, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 7: tile<7, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      default: break;
    }
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
void int8_packed_rows_avx512(const Int8Packed&, std::int64_t, std::int64_t, const QuantizedActs&, std::int64_t,
                             std::int64_t, float*, std::int64_t) noexcept {}
}  // namespace apr::engine

#endif
