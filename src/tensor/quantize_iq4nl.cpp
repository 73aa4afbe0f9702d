// IQ4_NL quantizer (formats.md: 32-element blocks, an fp16 scale d and 32 4-bit indices into 16
// non-linear levels). llama.cpp has no plain "_ref" for this type: ggml_quantize_chunk always runs
// a scale search, and that search is what llama_model_quantize writes for Q2_K/Q3_K rows whose
// length is not a multiple of 256 (the IQ4_NL fallback). Without an importance matrix it is, per
// block:
//  1. weights w = x^2; m = the value of largest magnitude (first one on ties); a block with
//     |m| < 1e-15 gets d = 0;
//  2. a first guess d0 = m / 127 (the outermost level is -127), indices by nearest level of x/d0,
//     then the least-squares scale d = sum(w*q*x) / sum(w*q*q), scored by d * sum(w*q*x);
//  3. fifteen more candidates, 1/d = (t - 127) / m for t = -7..7, each kept when it scores
//     better (sum(w*q*x)^2 > best * sum(w*q*q));
//  4. d is stored as fp16 and the indices are recomputed from 1/d (0 when d is 0, which gives
//     the index of level 1, not 0 — ggml's bytes 0x88 for an all-zero block).
// Operation order and float types follow ggml so the bytes are identical (checked against
// libggml-base.so by tests/oracle/test_tensor_quants.py).
#include <cmath>
#include <cstring>

#include "tensor/quant_common.hpp"
#include "tensor/quant_kernels.hpp"

namespace apr::quant {
namespace {

constexpr int kLevels = 16;
constexpr int kSearchSteps = 7;          // candidates t = -7..7 around the outermost level
constexpr float kTinyBlock = 1e-15f;     // ggml's GROUP_MAX_EPS

// Index of the level nearest to v (bisection; on an exact midpoint the upper level wins).
int nearest_level(float v) noexcept {
  if (v <= kIq4nlLevels[0]) return 0;
  if (v >= kIq4nlLevels[kLevels - 1]) return kLevels - 1;
  int lo = 0, hi = kLevels - 1;
  while (hi - lo > 1) {
    const int mid = (lo + hi) / 2;
    if (v < kIq4nlLevels[mid]) hi = mid;
    else lo = mid;
  }
  return v - kIq4nlLevels[hi - 1] < kIq4nlLevels[hi] - v ? hi - 1 : hi;
}

// Weighted sums for the indices chosen at inverse scale inv: sum(w*q*x) and sum(w*q*q).
void fit_sums(const float* x, const float* w, float inv, float& sqx, float& sqq) noexcept {
  sqx = 0.0f;
  sqq = 0.0f;
  for (int j = 0; j < kQK; ++j) {
    const float q = kIq4nlLevels[nearest_level(inv * x[j])];
    sqx += w[j] * q * x[j];
    sqq += w[j] * q * q;
  }
}

float block_scale(const float* x) noexcept {
  float w[kQK];
  float amax = 0.0f, m = 0.0f;
  for (int j = 0; j < kQK; ++j) {
    w[j] = x[j] * x[j];
    const float a = std::fabs(x[j]);
    if (a > amax) {
      amax = a;
      m = x[j];
    }
  }
  if (amax < kTinyBlock) return 0.0f;
  float sqx, sqq;
  fit_sums(x, w, 1.0f / (-m / kIq4nlLevels[0]), sqx, sqq);
  float d = sqx / sqq;
  float best = d * sqx;
  for (int t = -kSearchSteps; t <= kSearchSteps; ++t) {
    fit_sums(x, w, static_cast<float>(t + kIq4nlLevels[0]) / m, sqx, sqq);
    if (sqq > 0 && sqx * sqx > best * sqq) {
      d = sqx / sqq;
      best = d * sqx;
    }
  }
  return d;
}

}  // namespace

void quantize_iq4_nl(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQK, y += kIQ4_NLBytes) {
    const float d = block_scale(x);
    store_f16(y, d);
    const float inv = d != 0.0f ? 1.0f / d : 0.0f;
    int idx[kQK];
    for (int j = 0; j < kQK; ++j) idx[j] = nearest_level(inv * x[j]);
    for (int j = 0; j < kQK / 2; ++j) y[2 + j] = static_cast<std::uint8_t>(idx[j] | (idx[j + kQK / 2] << 4));
  }
}

}  // namespace apr::quant
