// The AVX2 kernel of the packed int8 matrices (int8_pack.hpp), for CPUs without AVX-512 VNNI:
// a 16-row group as two halves of 8 rows (8 int32 lanes each). vpmaddubsw + vpmaddwd stand in
// for vpdpbusd; every partial sum is exact (no int16 saturation: Q4_K and Q6_K values are < 64,
// and Q8_0 multiplies |q_w| <= 128 by sign-adjusted |q_x| <= 127, summing to exactly
// sum q_w q_x = the scalar kernel's S with its 128 x gs correction), so S is the same int32 and
// the float operations are the scalar kernel's: same bits.
#include "engine/int8_pack.hpp"
#include "engine/prefetch.hpp"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,f16c,fma"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2,f16c,fma")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace apr::engine {

namespace {

using u8 = std::uint8_t;

struct Tok {
  const std::int8_t* q;
  const float* d;
  const float* s;
  const std::int32_t* gs;
};

inline __m256i bx(const std::int8_t* p) noexcept {
  std::int32_t v;
  std::memcpy(&v, p, 4);
  return _mm256_set1_epi32(v);
}
inline __m256i ld(const u8* p) noexcept { return _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)); }
inline __m256 f16x8(const u8* p) noexcept { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
inline __m256i bytes8(const u8* p) noexcept { return _mm256_cvtepu8_epi32(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p))); }

// Half h (rows 8h..8h+7) of a group: byte offset 32h in every 64-byte weight vector.
template <int TT, bool PF>
void q8_0(const u8* grp, int h, std::int64_t units, const Tok* tk, __m256* acc) noexcept {
  const __m256i ones = _mm256_set1_epi16(1);
  const __m256i flip = _mm256_set1_epi8(static_cast<char>(0x80));
  for (std::int64_t b = 0; b < units; ++b) {
    const u8* o = grp + b * 544;
    if constexpr (PF) if (h == 0) prefetch_stream(o, 544);
    __m256i S[TT];
    for (int t = 0; t < TT; ++t) S[t] = _mm256_setzero_si256();
    for (int g = 0; g < 8; ++g) {
      const __m256i w = _mm256_xor_si256(ld(o + 64 * g + 32 * h), flip);  // q_w
      const __m256i aw = _mm256_abs_epi8(w);
      for (int t = 0; t < TT; ++t) {
        const __m256i xs = _mm256_sign_epi8(bx(tk[t].q + 32 * b + 4 * g), w);
        S[t] = _mm256_add_epi32(S[t], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, xs), ones));
      }
    }
    const __m256 dw = f16x8(o + 512 + 16 * h);
    for (int t = 0; t < TT; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S[t]), _mm256_mul_ps(dw, _mm256_set1_ps(tk[t].d[b])), acc[t]);
  }
}

template <int TT, bool PF>
void q4_k(const u8* grp, int h, std::int64_t units, const Tok* tk, __m256* acc) noexcept {
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  const __m256i m6 = _mm256_set1_epi32(63), m4d = _mm256_set1_epi32(15);
  for (std::int64_t sb = 0; sb < units; ++sb) {
    const u8* o = grp + sb * 2304;
    const __m256 d = f16x8(o + 16 * h), nd = f16x8(o + 32 + 16 * h);
    const u8* B = o + 64 + 8 * h;
    for (int j = 0; j < 8; ++j) {
      if constexpr (PF) if (h == 0) prefetch_stream(o + 288 * j, 288);
      __m256i sc, m;
      if (j < 4) {
        sc = _mm256_and_si256(bytes8(B + 16 * j), m6);
        m = _mm256_and_si256(bytes8(B + 16 * (j + 4)), m6);
      } else {
        const __m256i b4 = bytes8(B + 16 * (j + 4));
        sc = _mm256_or_si256(_mm256_and_si256(b4, m4d), _mm256_slli_epi32(_mm256_srli_epi32(bytes8(B + 16 * (j - 4)), 6), 4));
        m = _mm256_or_si256(_mm256_srli_epi32(b4, 4), _mm256_slli_epi32(_mm256_srli_epi32(bytes8(B + 16 * j), 6), 4));
      }
      const __m256 dw = _mm256_mul_ps(d, _mm256_cvtepi32_ps(sc));
      const __m256 mw = _mm256_mul_ps(nd, _mm256_cvtepi32_ps(m));
      const std::int64_t b = 8 * sb + j;
      const u8* qs = o + 256 + 256 * j + 32 * h;
      __m256i S[TT];  // int16 pair sums: 8 groups x 2 x 15 x 127 < 2^15
      for (int t = 0; t < TT; ++t) S[t] = _mm256_setzero_si256();
      for (int k = 0; k < 4; ++k) {
        const __m256i v = ld(qs + 64 * k);
        const __m256i lo = _mm256_and_si256(v, m4), hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
        for (int t = 0; t < TT; ++t) {
          S[t] = _mm256_add_epi16(S[t], _mm256_maddubs_epi16(lo, bx(tk[t].q + 32 * b + 4 * k)));
          S[t] = _mm256_add_epi16(S[t], _mm256_maddubs_epi16(hi, bx(tk[t].q + 32 * b + 16 + 4 * k)));
        }
      }
      for (int t = 0; t < TT; ++t) {
        const __m256i S32 = _mm256_madd_epi16(S[t], ones);
        acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S32), _mm256_mul_ps(dw, _mm256_set1_ps(tk[t].d[b])), acc[t]);
        acc[t] = _mm256_fmadd_ps(mw, _mm256_set1_ps(tk[t].s[b]), acc[t]);
      }
    }
  }
}

// Q4_0/Q4_1/Q5_0/Q5_1 (int8_pack.cpp's pack_legacy layout); int16 pair sums of two groups:
// 2 x 2 x 31 x 127 < 2^15.
template <GgmlType Ty, int TT, bool PF>
void legacy(const u8* grp, int h, std::int64_t units, const Tok* tk, __m256* acc) noexcept {
  constexpr bool q5 = Ty == GgmlType::Q5_0 || Ty == GgmlType::Q5_1;
  constexpr bool mn = Ty == GgmlType::Q4_1 || Ty == GgmlType::Q5_1;
  constexpr int c = Ty == GgmlType::Q4_0 ? 8 : Ty == GgmlType::Q5_0 ? 16 : 0;
  constexpr std::int64_t ub = 256 + (q5 ? 64 : 0) + 32 + (mn ? 32 : 0);
  const __m256i m4 = _mm256_set1_epi8(0x0F), b4 = _mm256_set1_epi8(0x10), ones = _mm256_set1_epi16(1);
  for (std::int64_t b = 0; b < units; ++b) {
    const u8* o = grp + b * ub;
    if constexpr (PF) if (h == 0) prefetch_stream(o, ub);
    __m256i S[TT];
    for (int t = 0; t < TT; ++t)
      S[t] = c ? _mm256_set1_epi32(c * (tk[t].gs[2 * b] + tk[t].gs[2 * b + 1])) : _mm256_setzero_si256();
    __m256i HB = _mm256_setzero_si256();
    if constexpr (q5) HB = ld(o + 256 + 32 * h);
    for (int k = 0; k < 4; ++k) {
      const __m256i v = ld(o + 64 * k + 32 * h);
      __m256i lo = _mm256_and_si256(v, m4);
      __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), m4);
      if constexpr (q5) {
        lo = _mm256_or_si256(lo, _mm256_and_si256(_mm256_slli_epi16(HB, 4 - k), b4));
        hi = _mm256_or_si256(hi, _mm256_and_si256(_mm256_srli_epi16(HB, k), b4));
      }
      for (int t = 0; t < TT; ++t) {
        const __m256i p16 = _mm256_add_epi16(_mm256_maddubs_epi16(lo, bx(tk[t].q + 32 * b + 4 * k)),
                                             _mm256_maddubs_epi16(hi, bx(tk[t].q + 32 * b + 16 + 4 * k)));
        S[t] = _mm256_add_epi32(S[t], _mm256_madd_epi16(p16, ones));
      }
    }
    const u8* sc = o + 256 + (q5 ? 64 : 0);
    const __m256 dw = f16x8(sc + 16 * h);
    for (int t = 0; t < TT; ++t)
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S[t]), _mm256_mul_ps(dw, _mm256_set1_ps(tk[t].d[b])), acc[t]);
    if constexpr (mn) {
      const __m256 mw = f16x8(sc + 32 + 16 * h);
      for (int t = 0; t < TT; ++t) acc[t] = _mm256_fmadd_ps(mw, _mm256_set1_ps(tk[t].s[b]), acc[t]);
    }
  }
}

template <int K>
inline __m256i q6_high(__m256i H) noexcept {  // bits 2K, 2K + 1 of each byte -> bits 4, 5
  const __m256i m = _mm256_set1_epi8(0x30);
  if constexpr (K < 3)
    return _mm256_and_si256(_mm256_slli_epi16(H, 4 - 2 * K), m);
  else
    return _mm256_and_si256(_mm256_srli_epi16(H, 2), m);
}

template <int TT, bool PF>
void q6_k(const u8* grp, int h, std::int64_t units, const Tok* tk, __m256* acc) noexcept {
  const __m256i m4 = _mm256_set1_epi8(0x0F), ones = _mm256_set1_epi16(1);
  for (std::int64_t sb = 0; sb < units; ++sb) {
    const u8* o = grp + sb * 3360;
    const __m256 d = f16x8(o + 16 * h);
    for (int j = 0; j < 8; ++j) {
      const u8* ql = o + 288 + 384 * j + 32 * h;
      if constexpr (PF) if (h == 0) prefetch_stream(o + 420 * j, 420);
      const std::int64_t b = 8 * sb + j;
      for (int hh = 0; hh < 2; ++hh) {
        const __m256i Hv = ld(ql + 256 + 64 * hh);
        __m256i u[4];
        for (int k = 0; k < 4; ++k) {
          const __m256i v = ld(ql + 64 * k);
          u[k] = hh ? _mm256_and_si256(_mm256_srli_epi16(v, 4), m4) : _mm256_and_si256(v, m4);
        }
        u[0] = _mm256_or_si256(u[0], q6_high<0>(Hv));
        u[1] = _mm256_or_si256(u[1], q6_high<1>(Hv));
        u[2] = _mm256_or_si256(u[2], q6_high<2>(Hv));
        u[3] = _mm256_or_si256(u[3], q6_high<3>(Hv));
        const __m256 dw = _mm256_mul_ps(
            d, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(
                   _mm_loadl_epi64(reinterpret_cast<const __m128i*>(o + 32 + 16 * (2 * j + hh) + 8 * h)))));
        for (int t = 0; t < TT; ++t) {
          const std::int8_t* x = tk[t].q + 32 * b + 16 * hh;
          // int16 pair sums of two groups: 2 x 2 x 63 x 127 < 2^15
          const __m256i a = _mm256_add_epi16(_mm256_maddubs_epi16(u[0], bx(x)), _mm256_maddubs_epi16(u[1], bx(x + 4)));
          const __m256i c = _mm256_add_epi16(_mm256_maddubs_epi16(u[2], bx(x + 8)), _mm256_maddubs_epi16(u[3], bx(x + 12)));
          __m256i S = _mm256_add_epi32(_mm256_madd_epi16(a, ones), _mm256_madd_epi16(c, ones));
          S = _mm256_add_epi32(S, _mm256_set1_epi32(32 * tk[t].gs[2 * b + hh]));
          acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(S), _mm256_mul_ps(dw, _mm256_set1_ps(tk[t].d[b])), acc[t]);
        }
      }
    }
  }
}

template <int TT, bool PF>
void tile(const Int8Packed& p, std::int64_t g, std::int64_t units, const Tok* tk, std::int64_t r0, std::int64_t r1,
          float* y, std::int64_t ldy) noexcept {
  for (int h = 0; h < 2; ++h) {
    const std::int64_t base = 16 * g + 8 * h;
    const std::int64_t lo = std::max(r0, base), hi = std::min(r1, base + 8);
    if (lo >= hi) continue;
    __m256 acc[TT];
    for (int t = 0; t < TT; ++t) acc[t] = _mm256_setzero_ps();
    switch (p.type) {
      case GgmlType::Q8_0: q8_0<TT, PF>(p.group(g), h, units, tk, acc); break;
      case GgmlType::Q4_K: q4_k<TT, PF>(p.group(g), h, units, tk, acc); break;
      case GgmlType::Q6_K: q6_k<TT, PF>(p.group(g), h, units, tk, acc); break;
      case GgmlType::Q4_0: legacy<GgmlType::Q4_0, TT, PF>(p.group(g), h, units, tk, acc); break;
      case GgmlType::Q4_1: legacy<GgmlType::Q4_1, TT, PF>(p.group(g), h, units, tk, acc); break;
      case GgmlType::Q5_0: legacy<GgmlType::Q5_0, TT, PF>(p.group(g), h, units, tk, acc); break;
      case GgmlType::Q5_1: legacy<GgmlType::Q5_1, TT, PF>(p.group(g), h, units, tk, acc); break;
      default: break;
    }
    for (int t = 0; t < TT; ++t) {
      float* out = y + t * ldy;
      if (lo == base && hi == base + 8) {
        _mm256_storeu_ps(out + (lo - r0), acc[t]);
      } else {
        alignas(32) float v[8];
        _mm256_store_ps(v, acc[t]);
        for (std::int64_t r = lo; r < hi; ++r) out[r - r0] = v[r - base];
      }
    }
  }
}

constexpr int kTile = 4;

}  // namespace

bool int8_packed_avx2_cpu() noexcept {
  static const bool v = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return v;
}

void int8_packed_rows_avx2(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                           std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept {
  const std::int64_t units = p.cols / (p.type == GgmlType::Q4_K || p.type == GgmlType::Q6_K ? 256 : 32);
  std::vector<Tok> tk(static_cast<std::size_t>(T));
  for (std::int64_t t = 0; t < T; ++t)
    tk[static_cast<std::size_t>(t)] = {a.q_row(t0 + t), a.d_row(t0 + t), a.s_row(t0 + t), a.gs_row(t0 + t)};
  const std::int64_t g0 = r0 / 16, g1 = (r1 + 15) / 16;
  for (std::int64_t g = g0; g < g1; ++g) {
    if (T == 1) {
      tile<1, true>(p, g, units, tk.data(), r0, r1, y, ldy);
      continue;
    }
    std::int64_t t = 0;
    for (; t + kTile <= T; t += kTile) tile<kTile, false>(p, g, units, tk.data() + t, r0, r1, y + t * ldy, ldy);
    const Tok* tt = tk.data() + t;
    float* yt = y + t * ldy;
    switch (T - t) {
      case 1: tile<1, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 2: tile<2, false>(p, g, units, tt, r0, r1, yt, ldy); break;
      case 3: tile<3, false>(p, g, units, tt, r0, r1, yt, ldy); break;
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
bool int8_packed_avx2_cpu() noexcept { return false; }
void int8_packed_rows_avx2(const Int8Packed&, std::int64_t, std::int64_t, const QuantizedActs&, std::int64_t,
                           std::int64_t, float*, std::int64_t) noexcept {}
}  // namespace apr::engine

#endif
