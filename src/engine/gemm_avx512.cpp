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

}  // namespace

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
}  // namespace apr::engine

#endif
