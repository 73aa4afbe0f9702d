#include "engine/gemm_avx2.hpp"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include <algorithm>

// Compiled for AVX2 (no FMA: dot() multiplies, then adds); called only where
// gemm_avx2_available(). clang takes the target as a function attribute.
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2"))), apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx2")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace apr::engine {

namespace {

constexpr int kRows = 3, kTokens = 3;
constexpr std::int64_t kSegment = 512;  // elements per segment (a multiple of 32)

// dot()'s halving tree over 32 lanes held as four quarters q[0..3] = lanes 0-7, 8-15, 16-23,
// 24-31: lane l += lane l + 16, then + 8, + 4, + 2, + 1 (the same additions of the same pairs).
inline float tree32(const __m256 q[4]) noexcept {
  const __m256 s16a = _mm256_add_ps(q[0], q[2]);  // lanes 0-7 += lanes 16-23
  const __m256 s16b = _mm256_add_ps(q[1], q[3]);  // lanes 8-15 += lanes 24-31
  const __m256 s8 = _mm256_add_ps(s16a, s16b);     // lanes 0-7 += lanes 8-15
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

template <int R, int TT>
void block(const float* const* w, const float* x, std::int64_t ldx, std::int64_t n, float* y,
           std::int64_t ldy) noexcept {
  __m256 park[4][R][TT];  // per quarter, per (row, token): the lanes so far
  for (int q = 0; q < 4; ++q)
    for (int r = 0; r < R; ++r)
      for (int t = 0; t < TT; ++t) park[q][r][t] = _mm256_setzero_ps();
  for (std::int64_t s = 0; s < n; s += kSegment) {
    const std::int64_t e = std::min(n, s + kSegment);
    for (int q = 0; q < 4; ++q) {
      __m256 acc[R][TT];
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < TT; ++t) acc[r][t] = park[q][r][t];
      for (std::int64_t i = s + 8 * q; i + 8 <= e; i += 32) {
        __m256 xv[TT];
        for (int t = 0; t < TT; ++t) xv[t] = _mm256_loadu_ps(x + t * ldx + i);
        for (int r = 0; r < R; ++r) {
          const __m256 wv = _mm256_loadu_ps(w[r] + i);
          for (int t = 0; t < TT; ++t) acc[r][t] = _mm256_add_ps(acc[r][t], _mm256_mul_ps(wv, xv[t]));
        }
      }
      for (int r = 0; r < R; ++r)
        for (int t = 0; t < TT; ++t) park[q][r][t] = acc[r][t];
    }
  }
  for (int t = 0; t < TT; ++t)
    for (int r = 0; r < R; ++r) {
      const __m256 qs[4] = {park[0][r][t], park[1][r][t], park[2][r][t], park[3][r][t]};
      y[t * ldy + r] = tree32(qs);
    }
}

using BlockFn = void (*)(const float* const*, const float*, std::int64_t, std::int64_t, float*, std::int64_t) noexcept;

template <int R>
BlockFn pick_tokens(int tt) noexcept {
  switch (tt) {
    case 1: return block<R, 1>;
    case 2: return block<R, 2>;
    default: return block<R, kTokens>;
  }
}

BlockFn pick(int r, int tt) noexcept {
  switch (r) {
    case 1: return pick_tokens<1>(tt);
    case 2: return pick_tokens<2>(tt);
    default: return pick_tokens<kRows>(tt);
  }
}

}  // namespace

void gemm_rows_avx2(const float* const* w, std::int64_t rows, const float* x, std::int64_t ldx, std::int64_t tokens,
                    std::int64_t n, float* y, std::int64_t ldy) noexcept {
  for (std::int64_t r0 = 0; r0 < rows; r0 += kRows) {
    const int r = static_cast<int>(std::min<std::int64_t>(rows - r0, kRows));
    for (std::int64_t t0 = 0; t0 < tokens; t0 += kTokens) {
      const int tt = static_cast<int>(std::min<std::int64_t>(tokens - t0, kTokens));
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
bool gemm_avx2_available() noexcept {
  static const bool v = __builtin_cpu_supports("avx2");
  return v;
}
}  // namespace apr::engine

#else

namespace apr::engine {
bool gemm_avx2_available() noexcept { return false; }
void gemm_rows_avx2(const float* const*, std::int64_t, const float*, std::int64_t, std::int64_t, std::int64_t, float*,
                    std::int64_t) noexcept {}
}  // namespace apr::engine

#endif
