// apr-qa engine (internal): dot()'s final reduction on AVX-512, shared by the fused decode kernels
// (dot_avx512.cpp), the blocked prefill product (gemm_avx512.cpp) and the fast mode's int8
// kernels (int8_dot_avx512.cpp, tree16). Include it only inside a
// region compiled for AVX-512F (after the file's target pragma).
#pragma once

#include <immintrin.h>

namespace apr::engine::avx512 {

// The last four steps of the halving tree (lane l += lane l + w, w = 8, 4, 2, 1) over 16 lanes.
inline float tree16(__m512 a) noexcept {
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(a),
                                  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(a), 1)));
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  const __m128 s1 = _mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1));
  return _mm_cvtss_f32(s1);
}

// dot()'s halving tree (lane l += lane l + w, w = 16, 8, 4, 2, 1) over 32 lanes held as
// a0 = lanes 0-15, a1 = lanes 16-31: the same additions of the same pairs, done as vectors.
inline float tree32(__m512 a0, __m512 a1) noexcept { return tree16(_mm512_add_ps(a0, a1)); }

}  // namespace apr::engine::avx512
