#include "engine/act_quant.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/quant_common.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define APR_ACT_QUANT_X86 1
#endif

namespace apr::engine {

namespace {

// One block of 32 values: q, d, and the two group sums. The portable definition.
void block_scalar(const float* v, std::int8_t* qb, float& d, std::int32_t sums[2]) noexcept {
  float amax = 0;
  for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(v[i]));
  d = amax / 127.0f;
  const float id = d > 0 ? 1.0f / d : 0.0f;
  sums[0] = sums[1] = 0;
  for (int i = 0; i < 32; ++i) {
    // nearest_int rounds half to even; |v * id| <= 127 up to rounding, clamped anyway.
    const int iv = std::clamp(apr::quant::nearest_int(v[i] * id), -127, 127);
    qb[i] = static_cast<std::int8_t>(iv);
    sums[i / 16] += iv;
  }
}

#if APR_ACT_QUANT_X86
// The same operations on AVX-512 (max of |x| is exact in any order; x * id is one IEEE multiply;
// cvtps2dq rounds to nearest even under the default MXCSR, as nearest_int does for |v| < 2^22):
// identical bits, unit-tested against block_scalar.
__attribute__((target("avx512f,avx512bw"))) void block_avx512(const float* v, std::int8_t* qb, float& d,
                                                                std::int32_t sums[2]) noexcept {
  const __m512 x0 = _mm512_loadu_ps(v), x1 = _mm512_loadu_ps(v + 16);
  const __m512 a = _mm512_max_ps(_mm512_abs_ps(x0), _mm512_abs_ps(x1));
  const float amax = _mm512_reduce_max_ps(a);
  d = amax / 127.0f;
  const float id = d > 0 ? 1.0f / d : 0.0f;
  const __m512 vid = _mm512_set1_ps(id);
  const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
  const __m512i q0 = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x0, vid)), lo), hi);
  const __m512i q1 = _mm512_min_epi32(_mm512_max_epi32(_mm512_cvtps_epi32(_mm512_mul_ps(x1, vid)), lo), hi);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qb), _mm512_cvtepi32_epi8(q0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(qb + 16), _mm512_cvtepi32_epi8(q1));
  sums[0] = _mm512_reduce_add_epi32(q0);
  sums[1] = _mm512_reduce_add_epi32(q1);
}

bool have_avx512() noexcept {
  static const bool v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
  return v;
}
#endif

}  // namespace

void quantize_acts(const float* x, std::int64_t ldx, std::int64_t T, std::int64_t n, QuantizedActs& out,
                   bool portable) {
  out.n = n;
  out.pairs = (n + 63) / 64;
  out.tokens = T;
  const auto per = static_cast<std::size_t>(out.pairs);
  const auto rows = static_cast<std::size_t>(T);
  if (out.q.size() < rows * per * 64) out.q.resize(rows * per * 64);
  if (out.d.size() < rows * per * 2) {
    out.d.resize(rows * per * 2);
    out.s.resize(rows * per * 2);
    out.gs.resize(rows * per * 4);
  }
  auto block = &block_scalar;
#if APR_ACT_QUANT_X86
  if (!portable && have_avx512()) block = &block_avx512;
#else
  (void)portable;
#endif
  const std::int64_t nb = n / 32;
  for (std::int64_t t = 0; t < T; ++t) {
    const float* xr = x + t * ldx;
    std::int8_t* q = out.q.data() + t * out.pairs * 64;
    float* d = out.d.data() + t * out.pairs * 2;
    std::int32_t* gs = out.gs.data() + t * out.pairs * 4;
    float* s = out.s.data() + t * out.pairs * 2;
    if (nb % 2) {  // a padding block completes the last pair
      std::memset(q + nb * 32, 0, 32);
      d[nb] = s[nb] = 0.0f;
      gs[2 * nb] = gs[2 * nb + 1] = 0;
    }
    for (std::int64_t b = 0; b < nb; ++b) {
      std::int32_t sums[2];
      float db;
      block(xr + b * 32, q + b * 32, db, sums);
      d[b] = db;
      gs[2 * b] = -sums[0];
      gs[2 * b + 1] = -sums[1];
      s[b] = db * static_cast<float>(sums[0] + sums[1]);
    }
  }
}

}  // namespace apr::engine
