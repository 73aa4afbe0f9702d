// fp16 / bf16 row conversions: portable loops plus an F16C fast path picked at run time.
// The fast path is only used where it gives the same bits as the portable functions in
// fp16.hpp: vcvtph2ps quiets NaNs exactly like fp16_to_fp32, and vcvtps2ph (round to nearest
// even, subnormals kept) differs from ggml only for NaN inputs, which are patched afterwards.
#include "tensor/fp16.hpp"

#include <atomic>

#include "core/cpu_features.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define APR_HAVE_F16C_PATH 1
#else
#define APR_HAVE_F16C_PATH 0
#endif

namespace apr {
namespace {

std::atomic<bool> g_simd_enabled{true};

#if APR_HAVE_F16C_PATH
bool cpu_has_f16c() noexcept { return cpu_has_avx_f16c(); }  // CPUID: clang has no "f16c" builtin

__attribute__((target("avx,f16c"))) void fp16_to_fp32_f16c(const std::uint16_t* src, float* dst,
                                                           std::int64_t n) noexcept {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m128i h = _mm_loadu_si128(reinterpret_cast<const __m128i*>(src + i));
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(h));
  }
  for (; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}

__attribute__((target("avx,f16c"))) void fp32_to_fp16_f16c(const float* src, std::uint16_t* dst,
                                                           std::int64_t n) noexcept {
  std::int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps(src + i);
    __m128i h = _mm256_cvtps_ph(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(dst + i), h);
    // ggml drops NaN payloads (sign | 0x7E00); vcvtps2ph keeps them. Patch the rare NaN lanes.
    if (_mm256_movemask_ps(_mm256_cmp_ps(x, x, _CMP_UNORD_Q)) != 0) {
      for (int k = 0; k < 8; ++k) dst[i + k] = fp32_to_fp16(src[i + k]);
    }
  }
  for (; i < n; ++i) dst[i] = fp32_to_fp16(src[i]);
}
#endif

bool use_simd() noexcept {
#if APR_HAVE_F16C_PATH
  return g_simd_enabled.load(std::memory_order_relaxed) && cpu_has_f16c();
#else
  return false;
#endif
}

}  // namespace

bool fp16_simd_available() noexcept {
#if APR_HAVE_F16C_PATH
  return cpu_has_f16c();
#else
  return false;
#endif
}

void fp16_set_simd_enabled(bool enabled) noexcept { g_simd_enabled.store(enabled); }

void fp16_to_fp32_row(const std::uint16_t* src, float* dst, std::int64_t n) noexcept {
#if APR_HAVE_F16C_PATH
  if (use_simd()) return fp16_to_fp32_f16c(src, dst, n);
#endif
  for (std::int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(src[i]);
}

void fp32_to_fp16_row(const float* src, std::uint16_t* dst, std::int64_t n) noexcept {
#if APR_HAVE_F16C_PATH
  if (use_simd()) return fp32_to_fp16_f16c(src, dst, n);
#endif
  for (std::int64_t i = 0; i < n; ++i) dst[i] = fp32_to_fp16(src[i]);
}

void bf16_to_fp32_row(const std::uint16_t* src, float* dst, std::int64_t n) noexcept {
  // Plain shift: the compiler vectorises this loop.
  for (std::int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(src[i]);
}

void fp32_to_bf16_row(const float* src, std::uint16_t* dst, std::int64_t n) noexcept {
  for (std::int64_t i = 0; i < n; ++i) dst[i] = fp32_to_bf16(src[i]);
}

}  // namespace apr
