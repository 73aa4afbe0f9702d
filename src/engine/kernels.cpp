#include "engine/kernels.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#include "core/switches.hpp"
#endif

namespace apr::engine {

#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace {

template <int L>
inline float tree_sum(float* acc) noexcept {
  for (int w = L / 2; w >= 1; w /= 2)
    for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
  return acc[0];
}

}  // namespace

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define APR_ENGINE_DOT_AVX512 1
// Explicit AVX-512 dot for n % 16 == 0 (attention scores: head_dim 64/128; hidden sizes):
// element i to lane i % 32 (a0 = lanes 0-15, a1 = lanes 16-31) in index order, then the same
// halving tree done as vector adds of the same pairs — the bits of the portable loop below.
__attribute__((target("avx512f"))) static float dot16_avx512(const float* a, const float* b,
                                                            std::int64_t n) noexcept {
  __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
  std::int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
    a1 = _mm512_add_ps(a1, _mm512_mul_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16)));
  }
  if (i < n) a0 = _mm512_add_ps(a0, _mm512_mul_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i)));
  const __m512 s16 = _mm512_add_ps(a0, a1);
  const __m256 s8 = _mm256_add_ps(_mm512_castps512_ps256(s16),
                                  _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(s16), 1)));
  const __m128 s4 = _mm_add_ps(_mm256_castps256_ps128(s8), _mm256_extractf128_ps(s8, 1));
  const __m128 s2 = _mm_add_ps(s4, _mm_movehl_ps(s4, s4));
  return _mm_cvtss_f32(_mm_add_ss(s2, _mm_shuffle_ps(s2, s2, 1)));
}

static bool use_dot16_avx512() noexcept {
  static const bool v = __builtin_cpu_supports("avx512f") && !apr::switches().engine_no_avx512;
  return v;
}
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
static float dot_lanes(const float* a, const float* b, std::int64_t n) noexcept {
  float acc[kLanes] = {};
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) acc[l] += a[i + l] * b[i + l];
  for (int l = 0; i + l < n; ++l) acc[l] += a[i + l] * b[i + l];
  return tree_sum<kLanes>(acc);
}

float dot(const float* a, const float* b, std::int64_t n) noexcept {
#ifdef APR_ENGINE_DOT_AVX512
  if (n % 16 == 0 && use_dot16_avx512()) return dot16_avx512(a, b, n);
#endif
  return dot_lanes(a, b, n);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void dot4(const float* w, const float* const x[4], std::int64_t n, float* out) noexcept {
  float a0[kLanes] = {}, a1[kLanes] = {}, a2[kLanes] = {}, a3[kLanes] = {};
  const float *x0 = x[0], *x1 = x[1], *x2 = x[2], *x3 = x[3];
  std::int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) {
      const float wv = w[i + l];
      a0[l] += wv * x0[i + l];
      a1[l] += wv * x1[i + l];
      a2[l] += wv * x2[i + l];
      a3[l] += wv * x3[i + l];
    }
  for (int l = 0; i + l < n; ++l) {
    const float wv = w[i + l];
    a0[l] += wv * x0[i + l];
    a1[l] += wv * x1[i + l];
    a2[l] += wv * x2[i + l];
    a3[l] += wv * x3[i + l];
  }
  out[0] = tree_sum<kLanes>(a0);
  out[1] = tree_sum<kLanes>(a1);
  out[2] = tree_sum<kLanes>(a2);
  out[3] = tree_sum<kLanes>(a3);
}

void rmsnorm(const float* x, const float* w, float* y, std::int64_t n, double eps) noexcept {
  double ss = 0;
  for (std::int64_t i = 0; i < n; ++i) ss += static_cast<double>(x[i]) * static_cast<double>(x[i]);
  const float s = static_cast<float>(1.0 / std::sqrt(ss / static_cast<double>(n) + eps));
  for (std::int64_t i = 0; i < n; ++i) y[i] = (x[i] * s) * w[i];
}

void rope_neox(float* x, std::int64_t d, std::int64_t pos, const double* inv_freq) noexcept {
  const std::int64_t h = d / 2;
  for (std::int64_t i = 0; i < h; ++i) {
    const double th = static_cast<double>(pos) * inv_freq[i];
    const float c = static_cast<float>(std::cos(th));
    const float s = static_cast<float>(std::sin(th));
    const float x0 = x[i], x1 = x[i + h];
    x[i] = x0 * c - x1 * s;
    x[i + h] = x0 * s + x1 * c;
  }
}

void softmax(float* x, std::int64_t n) noexcept {
  float mx = -std::numeric_limits<float>::infinity();
  for (std::int64_t i = 0; i < n; ++i) mx = x[i] > mx ? x[i] : mx;
  double sum = 0;
  for (std::int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - mx);
    sum += x[i];
  }
  const float inv = static_cast<float>(1.0 / sum);
  for (std::int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void swiglu(const float* g, const float* u, float* x, std::int64_t n) noexcept {
  for (std::int64_t i = 0; i < n; ++i) {
    const float v = g[i];
    x[i] = (v / (1.0f + std::exp(-v))) * u[i];
  }
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void axpy(float* out, const float* v, float p, std::int64_t d) noexcept {
  for (std::int64_t i = 0; i < d; ++i) out[i] += p * v[i];
}

namespace {
// weighted_sum() for a fixed width of W outputs: W running sums the compiler keeps in vector
// registers (W = 64: four AVX-512 or eight AVX2 registers).
template <int W>
[[gnu::always_inline]] inline void weighted_sum_w(const float* v, std::int64_t stride, const float* p, std::int64_t n,
                                                  float* out) noexcept {
  float acc[W];
  for (int i = 0; i < W; ++i) acc[i] = 0.0f;
  for (std::int64_t j = 0; j < n; ++j) {
    const float pj = p[j];
    const float* vj = v + j * stride;
    for (int i = 0; i < W; ++i) acc[i] = acc[i] + pj * vj[i];
  }
  for (int i = 0; i < W; ++i) out[i] = acc[i];
}

// Q queries at once: each row of v loaded once, Q x W independent running sums.
template <int Q, int W>
[[gnu::always_inline]] inline void weighted_sums_w(const float* v, std::int64_t stride, const float* p,
                                                   std::int64_t ldp, std::int64_t n, float* out, std::int64_t ldo) noexcept {
  float acc[Q][W];
  for (int q = 0; q < Q; ++q)
    for (int i = 0; i < W; ++i) acc[q][i] = 0.0f;
  for (std::int64_t j = 0; j < n; ++j) {
    const float* vj = v + j * stride;
    for (int q = 0; q < Q; ++q) {
      const float pj = p[q * ldp + j];
      for (int i = 0; i < W; ++i) acc[q][i] = acc[q][i] + pj * vj[i];
    }
  }
  for (int q = 0; q < Q; ++q)
    for (int i = 0; i < W; ++i) out[q * ldo + i] = acc[q][i];
}
}  // namespace

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void weighted_sums(const float* v, std::int64_t stride, const float* p, std::int64_t ldp, std::int64_t nq,
                   std::int64_t n, std::int64_t d, float* out, std::int64_t ldo) noexcept {
  std::int64_t q = 0;
  if (d % 64 == 0) {  // columns in chunks of 64: each output's chain is unchanged
    for (; q + 2 <= nq; q += (nq - q == 3 ? 3 : 2))
      for (std::int64_t c = 0; c < d; c += 64) {
        if (nq - q == 3)
          weighted_sums_w<3, 64>(v + c, stride, p + q * ldp, ldp, n, out + q * ldo + c, ldo);
        else
          weighted_sums_w<2, 64>(v + c, stride, p + q * ldp, ldp, n, out + q * ldo + c, ldo);
      }
  }
  for (; q < nq; ++q) weighted_sum(v, stride, p + q * ldp, n, d, out + q * ldo);
}

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
void weighted_sum(const float* v, std::int64_t stride, const float* p, std::int64_t n, std::int64_t d,
                  float* out) noexcept {
  std::int64_t c = 0;
  for (; c + 64 <= d; c += 64) weighted_sum_w<64>(v + c, stride, p, n, out + c);
  for (; c + 16 <= d; c += 16) weighted_sum_w<16>(v + c, stride, p, n, out + c);
  if (c < d) {
    for (std::int64_t i = c; i < d; ++i) out[i] = 0.0f;
    for (std::int64_t j = 0; j < n; ++j) axpy(out + c, v + j * stride + c, p[j], d - c);
  }
}

void attend_head(const float* q, const float* k, const float* v, std::int64_t stride,
                 std::int64_t d, std::int64_t pos, float scale, float* scores, float* out) noexcept {
  for (std::int64_t j = 0; j <= pos; ++j) scores[j] = dot(q, k + j * stride, d) * scale;
  softmax(scores, pos + 1);
  for (std::int64_t i = 0; i < d; ++i) out[i] = 0.0f;
  for (std::int64_t j = 0; j <= pos; ++j) axpy(out, v + j * stride, scores[j], d);
}

}  // namespace apr::engine
