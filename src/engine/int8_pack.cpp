#include "engine/int8_pack.hpp"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>

#include "core/cpu_features.hpp"
#include "engine/int8_dot_avx512.hpp"
#include "tensor/quant_common.hpp"

namespace apr::engine {

namespace {

using u8 = std::uint8_t;
using namespace apr::quant;

constexpr int kLanes = 16;

// Packed bytes per 16 rows and values per packed unit (int8_pack.hpp).
std::size_t unit_bytes(GgmlType t) noexcept {
  switch (t) {
    case GgmlType::Q8_0: return 544;
    case GgmlType::Q4_0: return 288;
    case GgmlType::Q4_1: return 320;
    case GgmlType::Q5_0: return 352;
    case GgmlType::Q5_1: return 384;
    case GgmlType::Q4_K: return 2304;
    case GgmlType::Q6_K: return 3360;
    default: return 0;
  }
}
std::int64_t unit_values(GgmlType t) noexcept { return t == GgmlType::Q4_K || t == GgmlType::Q6_K ? 256 : 32; }

bool is_q5(GgmlType t) noexcept { return t == GgmlType::Q5_0 || t == GgmlType::Q5_1; }

// Q4_0/Q4_1/Q5_0/Q5_1 per 32 values: 4 x 64 nibble bytes (groups k and k + 4), for Q5 a 64-byte
// vector whose byte 4r + i holds bit 4 of value i of group k at bit k, then d f16 x 16 and for
// Q4_1/Q5_1 m f16 x 16.
void pack_legacy(GgmlType t, const u8* const* src, std::int64_t n, std::int64_t b, u8* o) noexcept {
  const bool q5 = is_q5(t), mn = t == GgmlType::Q4_1 || t == GgmlType::Q5_1;
  const std::size_t bb = t == GgmlType::Q4_0 ? kQ4_0Bytes : t == GgmlType::Q4_1 ? kQ4_1Bytes
                         : t == GgmlType::Q5_0 ? kQ5_0Bytes : kQ5_1Bytes;
  u8* sc = o + 256 + (q5 ? 64 : 0);
  Int8Pair pw;
  for (int l = 0; l < kLanes; ++l) {
    if (!src[l]) continue;
    int8_unpack_pair(t, src[l], n, b / 2, pw);
    const u8* u = pw.u + 32 * (b % 2);
    for (int k = 0; k < 4; ++k)
      for (int i = 0; i < 4; ++i) {
        const int a = u[4 * k + i], c = u[4 * (k + 4) + i];
        o[64 * k + 4 * l + i] = static_cast<u8>((a & 0x0F) | ((c & 0x0F) << 4));
        if (q5) o[256 + 4 * l + i] = static_cast<u8>(o[256 + 4 * l + i] | ((a >> 4) << k) | ((c >> 4) << (k + 4)));
      }
    const u8* x = src[l] + static_cast<std::size_t>(b) * bb;
    sc[2 * l] = x[0];
    sc[2 * l + 1] = x[1];
    if (mn) {
      sc[32 + 2 * l] = x[2];
      sc[33 + 2 * l] = x[3];
    }
  }
}

void pack_q8(const u8* const* src, std::int64_t b, u8* o) noexcept {
  for (int l = 0; l < kLanes; ++l) {
    if (!src[l]) continue;
    const u8* x = src[l] + b * kQ8_0Bytes;
    for (int g = 0; g < 8; ++g)
      for (int i = 0; i < 4; ++i) o[64 * g + 4 * l + i] = static_cast<u8>(x[2 + 4 * g + i] ^ 0x80);
    o[512 + 2 * l] = x[0];
    o[513 + 2 * l] = x[1];
  }
}

void pack_q4k(const u8* const* src, std::int64_t sb, u8* o) noexcept {
  for (int l = 0; l < kLanes; ++l) {
    if (!src[l]) continue;
    const u8* x = src[l] + sb * kQ4_KBytes;
    o[2 * l] = x[kQ4_KD];
    o[2 * l + 1] = x[kQ4_KD + 1];
    o[32 + 2 * l] = x[kQ4_KDmin];
    o[33 + 2 * l] = static_cast<u8>(x[kQ4_KDmin + 1] ^ 0x80);  // -dmin: the f16 sign bit
    for (int k = 0; k < 12; ++k) o[64 + 16 * k + l] = x[kQ4_KScales + k];
    for (int j = 0; j < 8; ++j) {
      const u8* qs = x + kQ4_KQs + 32 * (j / 2);
      u8 u[32];
      for (int e = 0; e < 32; ++e) u[e] = (j % 2) ? static_cast<u8>(qs[e] >> 4) : static_cast<u8>(qs[e] & 0x0F);
      u8* q = o + 256 + 256 * j;
      for (int k = 0; k < 4; ++k)
        for (int i = 0; i < 4; ++i) q[64 * k + 4 * l + i] = static_cast<u8>(u[4 * k + i] | (u[4 * (k + 4) + i] << 4));
    }
  }
}

void pack_q6k(const u8* const* src, std::int64_t n, std::int64_t sb, u8* o) noexcept {
  Int8Pair pw;
  for (int l = 0; l < kLanes; ++l) {
    if (!src[l]) continue;
    const u8* x = src[l] + sb * kQ6_KBytes;
    o[2 * l] = x[kQ6_KD];
    o[2 * l + 1] = x[kQ6_KD + 1];
    for (int k = 0; k < 16; ++k) o[32 + 16 * k + l] = x[kQ6_KScales + k];
    for (int j = 0; j < 8; ++j) {
      if (j % 2 == 0) int8_unpack_pair(GgmlType::Q6_K, src[l], n, 4 * sb + j / 2, pw);
      const u8* u = pw.u + 32 * (j % 2);
      u8* ql = o + 288 + 384 * j;
      u8* qh = ql + 256;
      for (int k = 0; k < 4; ++k)
        for (int i = 0; i < 4; ++i) {
          const int a = u[4 * k + i], b = u[4 * (k + 4) + i];
          ql[64 * k + 4 * l + i] = static_cast<u8>((a & 0x0F) | ((b & 0x0F) << 4));
          qh[4 * l + i] = static_cast<u8>(qh[4 * l + i] | ((a >> 4) << (2 * k)));
          qh[64 + 4 * l + i] = static_cast<u8>(qh[64 + 4 * l + i] | ((b >> 4) << (2 * k)));
        }
    }
  }
}

// The portable kernel: int8_pack.hpp's operations for row lane l of group grp and one token.
float scalar_one(const Int8Packed& p, const u8* grp, int l, const QuantizedActs& a, std::int64_t t) noexcept {
  const std::int8_t* q = a.q_row(t);
  const float* dx = a.d_row(t);
  const std::int32_t* gs = a.gs_row(t);
  const float* s = a.s_row(t);
  const std::int64_t units = p.cols / unit_values(p.type);
  float acc = 0.0f;
  switch (p.type) {
    case GgmlType::Q8_0:
      for (std::int64_t b = 0; b < units; ++b) {
        const u8* o = grp + b * 544;
        std::int32_t S = 128 * (gs[2 * b] + gs[2 * b + 1]);
        for (int g = 0; g < 8; ++g)
          for (int i = 0; i < 4; ++i) S += o[64 * g + 4 * l + i] * q[32 * b + 4 * g + i];
        const float dw = load_f16(o + 512 + 2 * l);
        acc = std::fma(static_cast<float>(S), dw * dx[b], acc);
      }
      break;
    case GgmlType::Q4_K:
      for (std::int64_t sb = 0; sb < units; ++sb) {
        const u8* o = grp + sb * 2304;
        const float d = load_f16(o + 2 * l), nd = load_f16(o + 32 + 2 * l);
        u8 scb[12];
        for (int k = 0; k < 12; ++k) scb[k] = o[64 + 16 * k + l];
        for (int j = 0; j < 8; ++j) {
          u8 sc, m;
          get_scale_min_k4(j, scb, sc, m);
          const float dw = d * static_cast<float>(sc), mw = nd * static_cast<float>(m);
          const std::int64_t b = 8 * sb + j;
          const u8* qs = o + 256 + 256 * j;
          std::int32_t S = 0;
          for (int g = 0; g < 8; ++g)
            for (int i = 0; i < 4; ++i) {
              const u8 v = qs[64 * (g % 4) + 4 * l + i];
              S += (g < 4 ? (v & 0x0F) : (v >> 4)) * q[32 * b + 4 * g + i];
            }
          acc = std::fma(static_cast<float>(S), dw * dx[b], acc);
          acc = std::fma(mw, s[b], acc);
        }
      }
      break;
    case GgmlType::Q6_K:
      for (std::int64_t sb = 0; sb < units; ++sb) {
        const u8* o = grp + sb * 3360;
        const float d = load_f16(o + 2 * l);
        for (int j = 0; j < 8; ++j) {
          const std::int64_t b = 8 * sb + j;
          const u8* ql = o + 288 + 384 * j;
          const u8* qh = ql + 256;
          for (int h = 0; h < 2; ++h) {
            std::int32_t S = 32 * gs[2 * b + h];
            for (int k = 0; k < 4; ++k)
              for (int i = 0; i < 4; ++i) {
                const u8 v = ql[64 * k + 4 * l + i];
                const int lo = h ? (v >> 4) : (v & 0x0F);
                const int hi = (qh[64 * h + 4 * l + i] >> (2 * k)) & 3;
                S += (lo | (hi << 4)) * q[32 * b + 16 * h + 4 * k + i];
              }
            const auto sc = static_cast<std::int8_t>(o[32 + 16 * (2 * j + h) + l]);
            const float dw = d * static_cast<float>(sc);
            acc = std::fma(static_cast<float>(S), dw * dx[b], acc);
          }
        }
      }
      break;
    case GgmlType::Q4_0:
    case GgmlType::Q4_1:
    case GgmlType::Q5_0:
    case GgmlType::Q5_1: {
      const bool q5 = is_q5(p.type), mn = int8_has_min(p.type);
      const int c = int8_offset(p.type);
      for (std::int64_t b = 0; b < units; ++b) {
        const u8* o = grp + b * static_cast<std::int64_t>(unit_bytes(p.type));
        const u8* sc = o + 256 + (q5 ? 64 : 0);
        std::int32_t S = c * (gs[2 * b] + gs[2 * b + 1]);
        for (int g = 0; g < 8; ++g)
          for (int i = 0; i < 4; ++i) {
            const u8 v = o[64 * (g % 4) + 4 * l + i];
            int u = g < 4 ? (v & 0x0F) : (v >> 4);
            if (q5) u |= ((o[256 + 4 * l + i] >> g) & 1) << 4;
            S += u * q[32 * b + 4 * g + i];
          }
        acc = std::fma(static_cast<float>(S), load_f16(sc + 2 * l) * dx[b], acc);
        if (mn) acc = std::fma(load_f16(sc + 32 + 2 * l), s[b], acc);
      }
      break;
    }
    default: break;
  }
  return acc;
}

}  // namespace

bool int8_packable(GgmlType t, std::int64_t n) noexcept {
  return unit_bytes(t) != 0 && n > 0 && n % unit_values(t) == 0;
}

Int8Packed int8_pack(GgmlType t, const Int8Rows& w, std::int64_t rows, std::int64_t cols,
                     const std::function<void(std::size_t, std::size_t)>& done) {
  Int8Packed p;
  p.type = t;
  p.rows = rows;
  p.cols = cols;
  const std::int64_t units = cols / unit_values(t), groups = (rows + kLanes - 1) / kLanes;
  p.group_bytes = static_cast<std::size_t>(units) * unit_bytes(t);
  p.bytes = p.group_bytes * static_cast<std::size_t>(groups);
  const std::size_t alloc = (p.bytes + 63) / 64 * 64;
  auto* mem = static_cast<u8*>(std::aligned_alloc(64, alloc == 0 ? 64 : alloc));
  if (!mem) throw std::bad_alloc();
  p.data = {mem, [](u8* m) { std::free(m); }};
  std::memset(mem + p.bytes, 0, alloc - p.bytes);
  constexpr std::int64_t kReleaseEvery = 64;  // groups (1024 rows)
  std::size_t released = 0;
  for (std::int64_t g = 0; g < groups; ++g) {
    std::memset(mem + static_cast<std::size_t>(g) * p.group_bytes, 0, p.group_bytes);  // pages touched as filled
    const u8* src[kLanes];
    for (int l = 0; l < kLanes; ++l) src[l] = g * kLanes + l < rows ? w.row(g * kLanes + l) : nullptr;
    u8* o = mem + static_cast<std::size_t>(g) * p.group_bytes;
    for (std::int64_t u = 0; u < units; ++u) {
      u8* ou = o + static_cast<std::size_t>(u) * unit_bytes(t);
      if (t == GgmlType::Q8_0)
        pack_q8(src, u, ou);
      else if (t == GgmlType::Q4_K)
        pack_q4k(src, u, ou);
      else if (t == GgmlType::Q6_K)
        pack_q6k(src, cols, u, ou);
      else
        pack_legacy(t, src, cols, u, ou);
    }
    if (done && !w.map && ((g + 1) % kReleaseEvery == 0 || g + 1 == groups)) {
      const std::size_t end = w.stride * static_cast<std::size_t>(std::min(rows, (g + 1) * kLanes));
      done(released, end);
      released = end;
    }
  }
  return p;
}

void int8_packed_rows(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a, std::int64_t t0,
                      std::int64_t T, float* y, std::int64_t ldy, Int8Isa isa) noexcept {
  if (r1 <= r0 || T <= 0) return;
  if ((isa == Int8Isa::amx || (isa == Int8Isa::best && T >= 16)) && int8_amx_available()) {
    int8_packed_rows_amx(p, r0, r1, a, t0, T, y, ldy);
    return;
  }
  if (isa == Int8Isa::amx) isa = Int8Isa::best;
  // A decode step: the prefill's AMX scratch (this thread's) is not needed now.
  if (T == 1 && int8_amx_available()) int8_packed_amx_trim();
  if ((isa == Int8Isa::best || isa == Int8Isa::avx512) && int8_avx512_available()) {
    int8_packed_rows_avx512(p, r0, r1, a, t0, T, y, ldy);
    return;
  }
  static const bool avx2 = int8_packed_avx2_cpu() && apr::cpu_has_avx_f16c();
  if (isa != Int8Isa::scalar && avx2) {
    int8_packed_rows_avx2(p, r0, r1, a, t0, T, y, ldy);
    return;
  }
  for (std::int64_t r = r0; r < r1; ++r)
    for (std::int64_t t = 0; t < T; ++t)
      y[t * ldy + (r - r0)] = scalar_one(p, p.group(r / kLanes), static_cast<int>(r % kLanes), a, t0 + t);
}

}  // namespace apr::engine
