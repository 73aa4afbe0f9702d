#include "engine/gemm_avx512.hpp"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include "core/switches.hpp"

// Compiled for AVX-512F; called only where gemm_avx512_available() (clang ignores GCC's target
// pragma and takes the attribute form, as in dot_avx512.cpp).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "engine/tree32_avx512.hpp"

namespace apr::engine {

namespace {

using avx512::tree32;

// One half of the lanes for R rows x TT tokens: acc[r][t] += w[r][i..i+16) * x[t][i..i+16) for
// i = 16*half, 16*half + 32, ... while i + 16 <= n (so the first half also takes a trailing
// 16 elements when n % 32 == 16, exactly as dot() does).
template <int R, int TT>
inline void half_pass(const float* const* w, const float* x, std::int64_t ldx, std::int64_t n, int half,
                      __m512 (&acc)[R][TT]) noexcept {
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) acc[r][t] = _mm512_setzero_ps();
  for (std::int64_t i = 16 * half; i + 16 <= n; i += 32) {
    __m512 xv[TT];
    for (int t = 0; t < TT; ++t) xv[t] = _mm512_loadu_ps(x + t * ldx + i);
    for (int r = 0; r < R; ++r) {
      const __m512 wv = _mm512_loadu_ps(w[r] + i);
      for (int t = 0; t < TT; ++t) acc[r][t] = _mm512_add_ps(acc[r][t], _mm512_mul_ps(wv, xv[t]));
    }
  }
}

template <int R, int TT>
void block(const float* const* w, const float* x, std::int64_t ldx, std::int64_t n, float* y,
           std::int64_t ldy) noexcept {
  __m512 lo[R][TT], hi[R][TT];
  half_pass<R, TT>(w, x, ldx, n, 0, lo);
  half_pass<R, TT>(w, x, ldx, n, 1, hi);
  for (int t = 0; t < TT; ++t)
    for (int r = 0; r < R; ++r) y[t * ldy + r] = tree32(lo[r][t], hi[r][t]);
}

constexpr int kRows = 4, kTokens = 5;

using BlockFn = void (*)(const float* const*, const float*, std::int64_t, std::int64_t, float*,
                        std::int64_t) noexcept;

template <int R>
BlockFn pick_tokens(int tt) noexcept {
  switch (tt) {
    case 1: return block<R, 1>;
    case 2: return block<R, 2>;
    case 3: return block<R, 3>;
    case 4: return block<R, 4>;
    default: return block<R, kTokens>;
  }
}

BlockFn pick(int r, int tt) noexcept {
  switch (r) {
    case 1: return pick_tokens<1>(tt);
    case 2: return pick_tokens<2>(tt);
    case 3: return pick_tokens<3>(tt);
    default: return pick_tokens<kRows>(tt);
  }
}

// Scores of 16 consecutive keys (rows k + j*stride) against one query: for each key the two lane
// halves of dot() (lo: elements 32i..32i+15, hi: 32i+16..32i+31, mul then add from zero) and
// their sum s_j (tree32's first step), then tree16's remaining steps (lane l += lane l + w,
// w = 8, 4, 2, 1) done on all 16 keys at once: each step adds the same pairs of the same values
// as tree16, two or four keys per vector, so every score has dot()'s bits. Lanes come out in
// the order (key 4m + b at lane 4b + m) and one permute restores key order.
// N > 0: the length as a constant (the loops unroll, the query and the 16 sums stay in registers).
template <std::int64_t N>
[[gnu::always_inline]] inline __m512 scores16(const float* k, std::int64_t stride, const float* q,
                                              std::int64_t n) noexcept {
  if constexpr (N > 0) n = N;
  __m512 s[16];
  for (int j = 0; j < 16; ++j) {
    const float* kj = k + j * stride;
    __m512 lo = _mm512_setzero_ps(), hi = _mm512_setzero_ps();
    for (std::int64_t i = 0; i + 16 <= n; i += 32) lo = _mm512_add_ps(lo, _mm512_mul_ps(_mm512_loadu_ps(kj + i), _mm512_loadu_ps(q + i)));
    for (std::int64_t i = 16; i + 16 <= n; i += 32) hi = _mm512_add_ps(hi, _mm512_mul_ps(_mm512_loadu_ps(kj + i), _mm512_loadu_ps(q + i)));
    s[j] = _mm512_add_ps(lo, hi);
  }
  __m512 t[8];  // w = 8: lanes 0-7 key 2m, lanes 8-15 key 2m+1
  for (int m = 0; m < 8; ++m)
    t[m] = _mm512_add_ps(_mm512_shuffle_f32x4(s[2 * m], s[2 * m + 1], 0x44), _mm512_shuffle_f32x4(s[2 * m], s[2 * m + 1], 0xEE));
  __m512 r[4];  // w = 4: 128-bit block b holds key 4p + b
  for (int p = 0; p < 4; ++p)
    r[p] = _mm512_add_ps(_mm512_shuffle_f32x4(t[2 * p], t[2 * p + 1], 0x88), _mm512_shuffle_f32x4(t[2 * p], t[2 * p + 1], 0xDD));
  __m512 c[2];  // w = 2: block b lanes 0-1 key 8c + b, lanes 2-3 key 8c + 4 + b
  for (int h = 0; h < 2; ++h)
    c[h] = _mm512_add_ps(_mm512_shuffle_ps(r[2 * h], r[2 * h + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                         _mm512_shuffle_ps(r[2 * h], r[2 * h + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // w = 1: block b = keys b, 4 + b, 8 + b, 12 + b
  const __m512 d = _mm512_add_ps(_mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(2, 0, 2, 0)),
                                 _mm512_shuffle_ps(c[0], c[1], _MM_SHUFFLE(3, 1, 3, 1)));
  const __m512i order = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
  return _mm512_permutexvar_ps(order, d);
}

template <std::int64_t N>
std::int64_t scores_by16(const float* k, std::int64_t stride, std::int64_t nk, const float* q, std::int64_t n,
                         float* y) noexcept {
  std::int64_t j = 0;
  for (; j + 16 <= nk; j += 16) _mm512_storeu_ps(y + j, scores16<N>(k + j * stride, stride, q, n));
  return j;
}

}  // namespace

void key_scores_avx512(const float* k, std::int64_t stride, std::int64_t nk, const float* q, std::int64_t n,
                       float* y) noexcept {
  std::int64_t j = n == 64    ? scores_by16<64>(k, stride, nk, q, n, y)
                   : n == 128 ? scores_by16<128>(k, stride, nk, q, n, y)
                              : scores_by16<0>(k, stride, nk, q, n, y);
  for (; j < nk; ++j) {
    const float* kj = k + j * stride;
    block<1, 1>(&kj, q, 0, n, y + j, 0);
  }
}

void gemm_rows_avx512(const float* const* w, std::int64_t rows, const float* x, std::int64_t ldx,
                      std::int64_t tokens, std::int64_t n, float* y, std::int64_t ldy) noexcept {
  for (std::int64_t r0 = 0; r0 < rows; r0 += kRows) {
    const int r = static_cast<int>(rows - r0 < kRows ? rows - r0 : kRows);
    for (std::int64_t t0 = 0; t0 < tokens; t0 += kTokens) {
      const int tt = static_cast<int>(tokens - t0 < kTokens ? tokens - t0 : kTokens);
      pick(r, tt)(w + r0, x + t0 * ldx, ldx, n, y + t0 * ldy + r0, ldy);
    }
  }
}

}  // namespace apr::engine

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace apr::engine {
bool gemm_avx512_available() noexcept {
  static const bool v = __builtin_cpu_supports("avx512f") && !apr::switches().engine_no_avx512;
  return v;
}
}  // namespace apr::engine

#else

namespace apr::engine {
bool gemm_avx512_available() noexcept { return false; }
void gemm_rows_avx512(const float* const*, std::int64_t, const float*, std::int64_t, std::int64_t, std::int64_t,
                      float*, std::int64_t) noexcept {}
void key_scores_avx512(const float*, std::int64_t, std::int64_t, const float*, std::int64_t, float*) noexcept {}
}  // namespace apr::engine

#endif
