#include "engine/int8_dot.hpp"

#include <cmath>
#include <cstring>

#include "core/cpu_features.hpp"
#include "core/switches.hpp"
#include "engine/int8_dot_avx512.hpp"
#include "tensor/quant_common.hpp"

namespace apr::engine {

namespace {

using u8 = std::uint8_t;
using namespace apr::quant;

// Bytes per block and values per block of the kernel types (0: no kernel).
int block_bytes(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::Q4_0: return kQ4_0Bytes;
    case GgmlType::Q4_1: return kQ4_1Bytes;
    case GgmlType::Q5_0: return kQ5_0Bytes;
    case GgmlType::Q5_1: return kQ5_1Bytes;
    case GgmlType::Q8_0: return kQ8_0Bytes;
    case GgmlType::Q4_K: return kQ4_KBytes;
    case GgmlType::Q6_K: return kQ6_KBytes;
    default: return 0;
  }
}

bool is_k(GgmlType t) noexcept { return t == GgmlType::Q4_K || t == GgmlType::Q6_K; }

// One 32-value legacy block -> u[32], its scale and min.
void unpack_legacy(GgmlType t, const u8* x, u8* u, float& d, float& m) noexcept {
  d = load_f16(x);
  m = 0;
  switch (t) {
    case GgmlType::Q8_0:
      for (int l = 0; l < 32; ++l) u[l] = static_cast<u8>(x[2 + l] ^ 0x80);  // int8 q + 128
      return;
    case GgmlType::Q4_0:
    case GgmlType::Q4_1: {
      const u8* qs = x + (t == GgmlType::Q4_1 ? 4 : 2);
      if (t == GgmlType::Q4_1) m = load_f16(x + 2);
      for (int l = 0; l < 16; ++l) {
        u[l] = qs[l] & 0x0F;
        u[l + 16] = qs[l] >> 4;
      }
      return;
    }
    case GgmlType::Q5_0:
    case GgmlType::Q5_1: {
      const bool mn = t == GgmlType::Q5_1;
      if (mn) m = load_f16(x + 2);
      const std::uint32_t qh = load_u32(x + (mn ? 4 : 2));
      const u8* qs = x + (mn ? 8 : 6);
      for (int l = 0; l < 16; ++l) {
        u[l] = static_cast<u8>((qs[l] & 0x0F) | (((qh >> l) & 1u) << 4));
        u[l + 16] = static_cast<u8>((qs[l] >> 4) | (((qh >> (l + 16)) & 1u) << 4));
      }
      return;
    }
    default: return;
  }
}

void scalar_rows(GgmlType type, const Int8Rows& w, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                 std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept {
  const int c = int8_offset(type);
  const bool mn = int8_has_min(type);
  Int8Pair pw;
  for (std::int64_t r = 0; r < r1 - r0; ++r) {
    const u8* row = w.row(r0 + r);
    for (std::int64_t t = 0; t < T; ++t) {
      const std::int8_t* q = a.q_row(t0 + t);
      const float* d = a.d_row(t0 + t);
      const std::int32_t* gs = a.gs_row(t0 + t);
      const float* s = a.s_row(t0 + t);
      float acc[16] = {};
      for (std::int64_t p = 0; p < a.pairs; ++p) {
        int8_unpack_pair(type, row, a.n, p, pw);
        for (int i = 0; i < 16; ++i) {
          std::int32_t S = (i % 4 == 0) ? c * gs[4 * p + i / 4] : 0;
          for (int k = 0; k < 4; ++k) S += static_cast<std::int32_t>(pw.u[4 * i + k]) * q[64 * p + 4 * i + k];
          const float dx = d[2 * p + i / 8];
          acc[i] = std::fma(static_cast<float>(S), pw.dw[i] * dx, acc[i]);
        }
        if (mn)
          for (int i = 0; i < 16; ++i) {
            const float sx = (i % 8 == 0) ? s[2 * p + i / 8] : 0.0f;
            acc[i] = std::fma(pw.mw[i], sx, acc[i]);
          }
      }
      for (int wdt = 8; wdt >= 1; wdt /= 2)
        for (int i = 0; i < wdt; ++i) acc[i] += acc[i + wdt];
      y[t * ldy + r] = acc[0];
    }
  }
}

}  // namespace

int int8_offset(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::Q8_0: return 128;
    case GgmlType::Q4_0: return 8;
    case GgmlType::Q5_0: return 16;
    case GgmlType::Q6_K: return 32;
    default: return 0;
  }
}

bool int8_has_min(GgmlType t) noexcept {
  return t == GgmlType::Q4_1 || t == GgmlType::Q5_1 || t == GgmlType::Q4_K;
}

bool int8_supported(GgmlType t, std::int64_t n) noexcept {
  if (block_bytes(t) == 0 || n <= 0) return false;
  return n % (is_k(t) ? 256 : 32) == 0;
}

void int8_unpack_pair(GgmlType t, const u8* row, std::int64_t n, std::int64_t p, Int8Pair& o) noexcept {
  if (!is_k(t)) {
    const int bb = block_bytes(t);
    const std::int64_t nb = n / 32;
    for (int h = 0; h < 2; ++h) {
      const std::int64_t b = 2 * p + h;
      float d = 0, m = 0;
      if (b < nb)
        unpack_legacy(t, row + b * bb, o.u + 32 * h, d, m);
      else
        std::memset(o.u + 32 * h, 0, 32);
      for (int i = 0; i < 8; ++i) {
        o.dw[8 * h + i] = d;
        o.mw[8 * h + i] = m;
      }
    }
    return;
  }
  const std::int64_t sb = p / 4, j = p % 4;
  if (t == GgmlType::Q4_K) {
    const u8* x = row + sb * kQ4_KBytes;
    const float d = load_f16(x + kQ4_KD), dmin = load_f16(x + kQ4_KDmin);
    const u8* q = x + kQ4_KQs + 32 * j;
    for (int l = 0; l < 32; ++l) {
      o.u[l] = q[l] & 0x0F;
      o.u[32 + l] = q[l] >> 4;
    }
    for (int h = 0; h < 2; ++h) {
      u8 sc, m;
      get_scale_min_k4(static_cast<int>(2 * j + h), x + kQ4_KScales, sc, m);
      const float dw = d * static_cast<float>(sc), mw = -(dmin * static_cast<float>(m));
      for (int i = 0; i < 8; ++i) {
        o.dw[8 * h + i] = dw;
        o.mw[8 * h + i] = mw;
      }
    }
    return;
  }
  // Q6_K: value e (0..63) of quarter j is element 128h + 64(j % 2) + e of the super-block (h = j / 2):
  // low 4 bits from ql[64h + e] (low nibble for even j, high for odd), high 2 bits from
  // qh[32h + e % 32] >> 2k with k = 2(j % 2) + e / 32; scale sc[4j + e / 16].
  const u8* x = row + sb * kQ6_KBytes;
  const float d = load_f16(x + kQ6_KD);
  const std::int64_t h = j / 2, odd = j % 2;
  const u8* ql = x + kQ6_KQl + 64 * h;
  const u8* qh = x + kQ6_KQh + 32 * h;
  const auto* sc = reinterpret_cast<const std::int8_t*>(x + kQ6_KScales);
  for (int e = 0; e < 64; ++e) {
    const int lo = odd ? (ql[e] >> 4) : (ql[e] & 0x0F);
    const int k = static_cast<int>(2 * odd) + e / 32;
    const int hi = (qh[e % 32] >> (2 * k)) & 3;
    o.u[e] = static_cast<u8>(lo | (hi << 4));
  }
  for (int i = 0; i < 16; ++i) {
    o.dw[i] = d * static_cast<float>(sc[4 * j + i / 4]);
    o.mw[i] = 0;
  }
}

bool int8_avx512_available() noexcept {
  static const bool v = int8_avx512_cpu() && apr::cpu_has_avx_f16c() && !apr::switches().engine_no_avx512;
  return v;
}

bool int8_amx_available() noexcept {
  static const bool v = int8_avx512_available() && !apr::switches().engine_no_amx && int8_amx_cpu();
  return v;
}

void int8_rows(GgmlType type, const Int8Rows& w, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
               std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy, Int8Isa isa) noexcept {
  if (r1 <= r0) return;
  if (isa != Int8Isa::scalar && int8_avx512_available()) {
    int8_rows_avx512(type, w, r0, r1, a, t0, T, y, ldy);
    return;
  }
  scalar_rows(type, w, r0, r1, a, t0, T, y, ldy);
}

}  // namespace apr::engine
