// Reference quantizers for the K-quant super-blocks (formats.md §2.3–2.4): Q2_K, Q3_K, Q4_K,
// Q5_K, Q6_K. Each block: fit every sub-block with the scale searches of quant_search.cpp,
// quantize the sub-block scales (and mins) against the block's largest one, store the fp16
// super-scale(s), then re-quantize the values with the *rounded* scales, as ggml does.
#include <algorithm>
#include <cmath>
#include <cstring>

#include "tensor/quant_common.hpp"
#include "tensor/quant_kernels.hpp"
#include "tensor/quant_search.hpp"

namespace apr::quant {
namespace {

constexpr float kGroupMaxEps = 1e-15f;

inline int clamp_int(int v, int lo, int hi) noexcept { return std::max(lo, std::min(hi, v)); }

// Packs 8 six-bit scales and mins into Q4_K/Q5_K's 12 bytes (inverse of get_scale_min_k4).
void pack_scales_k4(const float* scales, const float* mins, float max_scale, float max_min, std::uint8_t* s) {
  const float inv_scale = max_scale > 0 ? 63.f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.f / max_min : 0.f;
  for (int j = 0; j < 8; ++j) {
    std::uint8_t ls = static_cast<std::uint8_t>(nearest_int(inv_scale * scales[j]));
    std::uint8_t lm = static_cast<std::uint8_t>(nearest_int(inv_min * mins[j]));
    ls = std::min<std::uint8_t>(63, ls);
    lm = std::min<std::uint8_t>(63, lm);
    if (j < 4) {
      s[j] = ls;
      s[j + 4] = lm;
    } else {
      s[j + 4] = static_cast<std::uint8_t>((ls & 0xF) | ((lm & 0xF) << 4));
      s[j - 4] = static_cast<std::uint8_t>(s[j - 4] | ((ls >> 4) << 6));
      s[j] = static_cast<std::uint8_t>(s[j] | ((lm >> 4) << 6));
    }
  }
}

// Shared front half of Q4_K and Q5_K: per 32-element sub-block weighted asymmetric fit, scale
// packing, fp16 d/dmin, then re-quantization of L with the rounded scales (clamp 0..nmax).
void fit_k4_block(const float* x, std::uint8_t* blk, int nmax, float rmin, int nstep, std::uint8_t* L) {
  float scales[8], mins[8], weights[32];
  std::uint8_t Laux[32];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; ++j) {
    const float* xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; ++l) sum_x2 += xs[l] * xs[l];
    const float av_x = std::sqrt(sum_x2 / 32);
    for (int l = 0; l < 32; ++l) weights[l] = av_x + std::fabs(xs[l]);
    scales[j] = make_qkx2_quants(32, nmax, xs, weights, L + 32 * j, &mins[j], Laux, rmin, 0.1f, nstep, false);
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  std::uint8_t* s = blk + kQ4_KScales;  // same offsets in Q4_K and Q5_K
  pack_scales_k4(scales, mins, max_scale, max_min, s);
  store_f16(blk + kQ4_KD, max_scale / 63.f);
  store_f16(blk + kQ4_KDmin, max_min / 63.f);
  const float d_all = load_f16(blk + kQ4_KD);
  const float dmin_all = load_f16(blk + kQ4_KDmin);
  for (int j = 0; j < 8; ++j) {
    std::uint8_t sc, m;
    get_scale_min_k4(j, s, sc, m);
    const float d = d_all * static_cast<float>(sc);
    if (d == 0) continue;  // keep the levels from the fit
    const float dm = dmin_all * static_cast<float>(m);
    for (int ii = 0; ii < 32; ++ii) {
      const int l = nearest_int((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = static_cast<std::uint8_t>(clamp_int(l, 0, nmax));
    }
  }
}

}  // namespace

void quantize_q2_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  const float q4scale = 15.f;
  for (std::int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ2_KBytes) {
    std::uint8_t L[kQKK], Laux[16];
    float weights[16], mins[16], scales[16];
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; ++j) {
      for (int l = 0; l < 16; ++l) weights[l] = std::fabs(x[16 * j + l]);
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], Laux, -0.5f, 0.1f, 15, true);
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    std::uint8_t* sc = y + kQ2_KScales;
    if (max_scale > 0) {
      const float iscale = q4scale / max_scale;
      for (int j = 0; j < 16; ++j) sc[j] = static_cast<std::uint8_t>(nearest_int(iscale * scales[j]));
      store_f16(y + kQ2_KD, max_scale / q4scale);
    } else {
      for (int j = 0; j < 16; ++j) sc[j] = 0;
      store_f16(y + kQ2_KD, 0.f);
    }
    if (max_min > 0) {
      const float iscale = q4scale / max_min;
      for (int j = 0; j < 16; ++j) {
        const int l = nearest_int(iscale * mins[j]);
        sc[j] = static_cast<std::uint8_t>(sc[j] | (l << 4));
      }
      store_f16(y + kQ2_KDmin, max_min / q4scale);
    } else {
      store_f16(y + kQ2_KDmin, 0.f);
    }
    const float d_all = load_f16(y + kQ2_KD);
    const float dmin_all = load_f16(y + kQ2_KDmin);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * static_cast<float>(sc[j] & 0xF);
      if (d == 0) continue;
      const float dm = dmin_all * static_cast<float>(sc[j] >> 4);
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearest_int((x[16 * j + ii] + dm) / d);
        L[16 * j + ii] = static_cast<std::uint8_t>(clamp_int(l, 0, 3));
      }
    }
    std::uint8_t* qs = y + kQ2_KQs;
    for (int j = 0; j < kQKK; j += 128) {
      for (int l = 0; l < 32; ++l) {
        qs[j / 4 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                                  (L[j + l + 96] << 6));
      }
    }
  }
}

void quantize_q3_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ3_KBytes) {
    std::int8_t L[kQKK];
    float scales[16];
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; ++j) {
      scales[j] = make_q3_quants(16, 4, x + 16 * j, L + 16 * j);
      const float scale = std::fabs(scales[j]);
      if (scale > amax) {
        amax = scale;
        max_scale = scales[j];
      }
    }
    std::uint8_t* s = y + kQ3_KScales;
    std::memset(s, 0, 12);
    if (max_scale != 0) {
      const float iscale = -32.f / max_scale;
      for (int j = 0; j < 16; ++j) {
        std::int8_t l = static_cast<std::int8_t>(nearest_int(iscale * scales[j]));  // int8 first, as ggml
        l = static_cast<std::int8_t>(clamp_int(l, -32, 31) + 32);
        if (j < 8) {
          s[j] = static_cast<std::uint8_t>(l & 0xF);
        } else {
          s[j - 8] = static_cast<std::uint8_t>(s[j - 8] | ((l & 0xF) << 4));
        }
        l = static_cast<std::int8_t>(l >> 4);
        s[j % 4 + 8] = static_cast<std::uint8_t>(s[j % 4 + 8] | (l << (2 * (j / 4))));
      }
      store_f16(y + kQ3_KD, 1 / iscale);
    } else {
      store_f16(y + kQ3_KD, 0.f);
    }
    const float d_all = load_f16(y + kQ3_KD);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * static_cast<float>(q3k_scale(j, s));
      if (d == 0) continue;
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearest_int(x[16 * j + ii] / d);
        L[16 * j + ii] = static_cast<std::int8_t>(clamp_int(l, -4, 3) + 4);
      }
    }
    // High bit of level j goes to hmask[j % 32], bit j / 32.
    std::uint8_t* hmask = y + kQ3_KHmask;
    std::memset(hmask, 0, 32);
    for (int j = 0; j < kQKK; ++j) {
      if (L[j] > 3) {
        hmask[j % 32] = static_cast<std::uint8_t>(hmask[j % 32] | (1u << (j / 32)));
        L[j] = static_cast<std::int8_t>(L[j] - 4);
      }
    }
    std::uint8_t* qs = y + kQ3_KQs;
    for (int j = 0; j < kQKK; j += 128) {
      for (int l = 0; l < 32; ++l) {
        qs[j / 4 + l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) |
                                                  (L[j + l + 96] << 6));
      }
    }
  }
}

void quantize_q4_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ4_KBytes) {
    std::uint8_t L[kQKK];
    fit_k4_block(x, y, 15, -1.f, 20, L);
    std::uint8_t* q = y + kQ4_KQs;
    for (int j = 0; j < kQKK; j += 64, q += 32) {
      for (int l = 0; l < 32; ++l) q[l] = static_cast<std::uint8_t>(L[j + l] | (L[j + l + 32] << 4));
    }
  }
}

void quantize_q5_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ5_KBytes) {
    std::uint8_t L[kQKK];
    fit_k4_block(x, y, 31, -0.5f, 15, L);
    std::uint8_t* qh = y + kQ5_KQh;
    std::uint8_t* ql = y + kQ5_KQs;
    std::memset(qh, 0, 32);
    std::uint8_t m1 = 1, m2 = 2;
    for (int n = 0; n < kQKK; n += 64, ql += 32) {
      for (int j = 0; j < 32; ++j) {
        int l1 = L[n + j];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] = static_cast<std::uint8_t>(qh[j] | m1);
        }
        int l2 = L[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          qh[j] = static_cast<std::uint8_t>(qh[j] | m2);
        }
        ql[j] = static_cast<std::uint8_t>(l1 | (l2 << 4));
      }
      m1 = static_cast<std::uint8_t>(m1 << 2);
      m2 = static_cast<std::uint8_t>(m2 << 2);
    }
  }
}

void quantize_q6_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept {
  for (std::int64_t i = 0; i < nb; ++i, x += kQKK, y += kQ6_KBytes) {
    std::int8_t L[kQKK];
    float scales[16];
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < 16; ++ib) {
      const float scale = make_qx_quants(16, 32, x + 16 * ib, L + 16 * ib);
      scales[ib] = scale;
      const float abs_scale = std::fabs(scale);
      if (abs_scale > max_abs_scale) {
        max_abs_scale = abs_scale;
        max_scale = scale;
      }
    }
    if (max_abs_scale < kGroupMaxEps) {
      std::memset(y, 0, kQ6_KBytes);  // d = fp16(0) = 0x0000 too
      continue;
    }
    const float iscale = -128.f / max_scale;
    store_f16(y + kQ6_KD, 1 / iscale);
    auto* sc = reinterpret_cast<std::int8_t*>(y + kQ6_KScales);
    for (int ib = 0; ib < 16; ++ib) {
      sc[ib] = static_cast<std::int8_t>(std::min(127, nearest_int(iscale * scales[ib])));
    }
    const float d_all = load_f16(y + kQ6_KD);
    for (int j = 0; j < 16; ++j) {
      const float d = d_all * static_cast<float>(sc[j]);
      if (d == 0) continue;
      for (int ii = 0; ii < 16; ++ii) {
        const int l = nearest_int(x[16 * j + ii] / d);
        L[16 * j + ii] = static_cast<std::int8_t>(clamp_int(l, -32, 31) + 32);
      }
    }
    std::uint8_t* ql = y + kQ6_KQl;
    std::uint8_t* qh = y + kQ6_KQh;
    for (int j = 0; j < kQKK; j += 128, ql += 64, qh += 32) {
      for (int l = 0; l < 32; ++l) {
        const int q1 = L[j + l] & 0xF, q2 = L[j + l + 32] & 0xF;
        const int q3 = L[j + l + 64] & 0xF, q4 = L[j + l + 96] & 0xF;
        ql[l] = static_cast<std::uint8_t>(q1 | (q3 << 4));
        ql[l + 32] = static_cast<std::uint8_t>(q2 | (q4 << 4));
        qh[l] = static_cast<std::uint8_t>((L[j + l] >> 4) | ((L[j + l + 32] >> 4) << 2) |
                                          ((L[j + l + 64] >> 4) << 4) | ((L[j + l + 96] >> 4) << 6));
      }
    }
  }
}

}  // namespace apr::quant
