#include "engine/int8_dot_avx512.hpp"

#include "engine/int8_dot.hpp"

#if defined(__x86_64__) && defined(__GNUC__)

#include <immintrin.h>

#include <algorithm>
#include <cstring>
#include <new>
#include <vector>

#include "tensor/quant_common.hpp"

// Everything below is compiled for AVX-512F/BW/VL + VNNI + F16C + FMA; int8_rows() calls it only
// where int8_avx512_available(). clang takes the target as a function attribute (as in
// dot_avx512.cpp).
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

#include "engine/tree32_avx512.hpp"

namespace apr::engine {

namespace {

using u8 = std::uint8_t;
using namespace apr::quant;

inline float f16(const u8* p) noexcept {
  std::uint16_t h;
  std::memcpy(&h, p, 2);
  return _cvtsh_ss(h);
}

// lanes 0-7 = a, lanes 8-15 = b
inline __m512 halves(float a, float b) noexcept {
  return _mm512_mask_blend_ps(0xFF00, _mm512_set1_ps(a), _mm512_set1_ps(b));
}

// The two halves at b0 and b1 (and the halves 2 bytes after them, for the types with a min)
// converted at once: f = [h(b0), h(b0 + 2), h(b1), h(b1 + 2)].
inline __m128 f16x2x2(const u8* b0, const u8* b1) noexcept {
  std::int32_t v0, v1;
  std::memcpy(&v0, b0, 4);
  std::memcpy(&v1, b1, 4);
  return _mm_cvtph_ps(_mm_insert_epi32(_mm_cvtsi32_si128(v0), v1, 1));
}
// lanes 0-7 = f[i], lanes 8-15 = f[i + 2]
inline __m512 spread(__m128 f, int i) noexcept {
  const __m512i idx = i == 0 ? _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2)
                             : _mm512_setr_epi32(1, 1, 1, 1, 1, 1, 1, 1, 3, 3, 3, 3, 3, 3, 3, 3);
  return _mm512_permutexvar_ps(idx, _mm512_castps128_ps512(f));
}

// Unpackers: pair p of a row -> u (64 unsigned bytes), dw and mw (16 lanes), the same values as
// int8_unpack_pair(). kShift = log2 of the offset c (-1: none).
struct UQ8 {
  static constexpr int kShift = 7;
  static constexpr bool kMin = false;
  static void pair(const u8* row, std::int64_t p, __m512i& u, __m512& dw, __m512&) noexcept {
    const u8* b0 = row + 2 * p * kQ8_0Bytes;
    const u8* b1 = b0 + kQ8_0Bytes;
    const __m256i q0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + 2));
    const __m256i q1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b1 + 2));
    u = _mm512_xor_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q0), q1, 1), _mm512_set1_epi8(-128));
    dw = spread(f16x2x2(b0, b1), 0);
  }
};

// [a, a >> 4, b, b >> 4] & 0x0F: the 32 nibbles of two legacy 4-bit blocks in element order.
inline __m512i nibbles2(const u8* qa, const u8* qb) noexcept {
  const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qa));
  const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(qb));
  __m512i v = _mm512_mask_broadcast_i32x4(_mm512_broadcast_i32x4(a), 0xFF00, b);  // [a, a, b, b]
  v = _mm512_mask_srli_epi16(v, static_cast<__mmask32>(0xFF00FF00u), v, 4);  // 16-bit words 8-15, 24-31
  return _mm512_and_si512(v, _mm512_set1_epi8(0x0F));
}

template <bool M>
struct UQ4 {
  static constexpr int kShift = M ? -1 : 3, kBytes = M ? kQ4_1Bytes : kQ4_0Bytes;
  static constexpr bool kMin = M;
  static void pair(const u8* row, std::int64_t p, __m512i& u, __m512& dw, __m512& mw) noexcept {
    const u8* b0 = row + 2 * p * kBytes;
    const u8* b1 = b0 + kBytes;
    u = nibbles2(b0 + (M ? 4 : 2), b1 + (M ? 4 : 2));
    const __m128 f = f16x2x2(b0, b1);
    dw = spread(f, 0);
    if (M) mw = spread(f, 1);
  }
};

template <bool M>
struct UQ5 {
  static constexpr int kShift = M ? -1 : 4, kBytes = M ? kQ5_1Bytes : kQ5_0Bytes;
  static constexpr bool kMin = M;
  static void pair(const u8* row, std::int64_t p, __m512i& u, __m512& dw, __m512& mw) noexcept {
    const u8* b0 = row + 2 * p * kBytes;
    const u8* b1 = b0 + kBytes;
    constexpr int hoff = M ? 4 : 2, qoff = M ? 8 : 6;
    const std::uint64_t qh = load_u32(b0 + hoff) | (static_cast<std::uint64_t>(load_u32(b1 + hoff)) << 32);
    const __m512i n = nibbles2(b0 + qoff, b1 + qoff);
    u = _mm512_mask_add_epi8(n, static_cast<__mmask64>(qh), n, _mm512_set1_epi8(16));
    const __m128 f = f16x2x2(b0, b1);
    dw = spread(f, 0);
    if (M) mw = spread(f, 1);
  }
};

struct UQ4K {
  static constexpr int kShift = -1;
  static constexpr bool kMin = true;
  static void pair(const u8* row, std::int64_t p, __m512i& u, __m512& dw, __m512& mw) noexcept {
    const u8* x = row + (p >> 2) * kQ4_KBytes;
    const int j = static_cast<int>(p & 3);
    const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + kQ4_KQs + 32 * j));
    u = _mm512_and_si512(_mm512_inserti64x4(_mm512_castsi256_si512(q), _mm256_srli_epi16(q, 4), 1),
                         _mm512_set1_epi8(0x0F));
    const float d = f16(x + kQ4_KD), dmin = f16(x + kQ4_KDmin);
    u8 sc0, m0, sc1, m1;
    get_scale_min_k4(2 * j, x + kQ4_KScales, sc0, m0);
    get_scale_min_k4(2 * j + 1, x + kQ4_KScales, sc1, m1);
    dw = halves(d * static_cast<float>(sc0), d * static_cast<float>(sc1));
    mw = halves(-(dmin * static_cast<float>(m0)), -(dmin * static_cast<float>(m1)));
  }
};

struct UQ6K {
  static constexpr int kShift = 5;
  static constexpr bool kMin = false;
  static void pair(const u8* row, std::int64_t p, __m512i& u, __m512& dw, __m512&) noexcept {
    const u8* x = row + (p >> 2) * kQ6_KBytes;
    const int j = static_cast<int>(p & 3), h = j >> 1, odd = j & 1;
    const __m512i L = _mm512_loadu_si512(x + kQ6_KQl + 64 * h);
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i lo = odd ? _mm512_and_si512(_mm512_srli_epi16(L, 4), m4) : _mm512_and_si512(L, m4);
    const __m512i H = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(x + kQ6_KQh + 32 * h)));
    // values 0-31 take bits 2k..2k+1 with k = 2 odd, values 32-63 with k = 2 odd + 1
    const __m512i cnt = _mm512_inserti64x4(_mm512_set1_epi16(static_cast<short>(4 * odd)),
                                           _mm256_set1_epi16(static_cast<short>(4 * odd + 2)), 1);
    const __m512i hi = _mm512_slli_epi16(_mm512_and_si512(_mm512_srlv_epi16(H, cnt), _mm512_set1_epi8(3)), 4);
    u = _mm512_or_si512(lo, hi);
    std::int32_t sc4;
    std::memcpy(&sc4, x + kQ6_KScales + 4 * j, 4);
    const __m128i rep = _mm_shuffle_epi8(_mm_cvtsi32_si128(sc4),
                                         _mm_setr_epi8(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
    dw = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(rep)), _mm512_set1_ps(f16(x + kQ6_KD)));
  }
};

using avx512::tree16;  // dot()-style reduction of the 16 lanes: i + 8, + 4, + 2, + 1 (int8_dot.hpp)

// 64-byte aligned storage for the prefill buffer.
template <class T>
struct AlignedAlloc {
  using value_type = T;
  AlignedAlloc() = default;
  template <class O>
  AlignedAlloc(const AlignedAlloc<O>&) noexcept {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), std::align_val_t{64})); }
  void deallocate(T* p, std::size_t) noexcept { ::operator delete(p, std::align_val_t{64}); }
  template <class O>
  bool operator==(const AlignedAlloc<O>&) const noexcept { return true; }
};

inline __m128 load2f(const float* p) noexcept {
  return _mm_castsi128_ps(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(p)));
}

inline void prefetch_range(const u8* p, std::size_t n) noexcept {
  for (std::size_t o = 0; o < n; o += 64) _mm_prefetch(reinterpret_cast<const char*>(p + o), _MM_HINT_T0);
}

// R rows x TT tokens: every (row, token) value computed by the operations of int8_dot.hpp.
// One token's operands for the 64 values of pair p: its int8 values, their scales per lane, the
// integer offset correction (c x group sum, the dot product's start) and the block sums x their
// scales for types with a min. Shared by tile() and tile_buf(), so both compute the same bits.
struct ActPair {
  __m512i x, corr;
  __m512 dx, sx;
};

template <class U>
inline ActPair act_pair(const QuantizedActs& a, std::int64_t t, std::int64_t p) noexcept {
  const __m512i idx_d = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
  const __m512i idx_g = _mm512_setr_epi32(0, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0);
  const __m512i idx_s = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0);
  ActPair o;
  o.x = _mm512_loadu_si512(a.q_row(t) + 64 * p);
  o.dx = _mm512_permutexvar_ps(idx_d, _mm512_castps128_ps512(load2f(a.d_row(t) + 2 * p)));
  o.corr = _mm512_setzero_si512();
  if constexpr (U::kShift >= 0) {
    const __m512i g = _mm512_maskz_permutexvar_epi32(
        0x1111, idx_g, _mm512_castsi128_si512(_mm_loadu_si128(reinterpret_cast<const __m128i*>(a.gs_row(t) + 4 * p))));
    o.corr = _mm512_slli_epi32(g, U::kShift);
  }
  o.sx = _mm512_setzero_ps();
  if constexpr (U::kMin)
    o.sx = _mm512_maskz_permutexvar_ps(0x0101, idx_s, _mm512_castps128_ps512(load2f(a.s_row(t) + 2 * p)));
  return o;
}

// acc += (integer dot of one row's unsigned weights with the token) x scales (+ min x block sums).
template <class U>
inline __m512 accumulate(__m512 acc, const ActPair& x, __m512i u, __m512 dw, __m512 mw) noexcept {
  const __m512i S = _mm512_dpbusd_epi32(x.corr, u, x.x);
  acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(S), _mm512_mul_ps(dw, x.dx), acc);
  if constexpr (U::kMin) acc = _mm512_fmadd_ps(mw, x.sx, acc);
  return acc;
}

template <class U, int R, int TT>
void tile(GgmlType type, const u8* const* rows, const QuantizedActs& a, std::int64_t t0, float* y,
          std::int64_t ldy) noexcept {
  __m512 acc[R][TT];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) acc[r][t] = _mm512_setzero_ps();
  const std::int64_t full = a.n / 64;
  auto step = [&](std::int64_t p, const __m512i* u, const __m512* dw, const __m512* mw) {
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) {
      const ActPair x = act_pair<U>(a, t0 + t, p);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) acc[r][t] = accumulate<U>(acc[r][t], x, u[r], dw[r], mw[r]);
    }
  };
  for (std::int64_t p = 0; p < full; ++p) {
    __m512i u[R];
    __m512 dw[R], mw[R];
    for (int r = 0; r < R; ++r) U::pair(rows[r], p, u[r], dw[r], mw[r]);
    step(p, u, dw, mw);
  }
  if (full < a.pairs) {  // a last half pair (an odd number of 32-blocks): unpacked by the scalar code
    __m512i u[R];
    __m512 dw[R], mw[R];
    for (int r = 0; r < R; ++r) {
      Int8Pair pw;
      int8_unpack_pair(type, rows[r], a.n, full, pw);
      u[r] = _mm512_loadu_si512(pw.u);
      dw[r] = _mm512_loadu_ps(pw.dw);
      mw[r] = _mm512_loadu_ps(pw.mw);
    }
    step(full, u, dw, mw);
  }
  for (int t = 0; t < TT; ++t)
    for (int r = 0; r < R; ++r) y[t * ldy + r] = tree16(acc[r][t]);
}

constexpr int kRows = 4;
constexpr int kTokens = 5;

// Prefill: the pairs of R rows unpacked once into a buffer (per pair, per row: u, dw, mw), then
// read by every token tile; the operations per (row, token) value are tile()'s.
struct alignas(64) Unpacked {
  std::uint8_t u[64];
  float dw[16];
  float mw[16];
};

template <class U, int R, int TT>
void tile_buf(const Unpacked* buf, const QuantizedActs& a, std::int64_t t0, float* y, std::int64_t ldy) noexcept {
  __m512 acc[R][TT];
  for (int r = 0; r < R; ++r)
    for (int t = 0; t < TT; ++t) acc[r][t] = _mm512_setzero_ps();
  for (std::int64_t p = 0; p < a.pairs; ++p) {
    const Unpacked* b = buf + p * R;
#pragma GCC unroll 8
    for (int t = 0; t < TT; ++t) {
      const ActPair x = act_pair<U>(a, t0 + t, p);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r)
        acc[r][t] = accumulate<U>(acc[r][t], x, _mm512_load_si512(b[r].u), _mm512_load_ps(b[r].dw),
                                  _mm512_load_ps(b[r].mw));
    }
  }
  for (int t = 0; t < TT; ++t)
    for (int r = 0; r < R; ++r) y[t * ldy + r] = tree16(acc[r][t]);
}

template <class U, int R>
void unpack_rows(GgmlType type, const u8* const* rows, const QuantizedActs& a, Unpacked* buf) noexcept {
  // Row by row: one memory stream at a time (4 interleaved row streams read DRAM at half the
  // speed, see run()).
  const std::int64_t full = a.n / 64;
  for (int r = 0; r < R; ++r)
    for (std::int64_t p = 0; p < a.pairs; ++p) {
      Unpacked& o = buf[p * R + r];
      const u8* row = rows[r];
      if (p < full) {
        __m512i u;
        __m512 dw, mw = _mm512_setzero_ps();
        U::pair(row, p, u, dw, mw);
        _mm512_store_si512(o.u, u);
        _mm512_store_ps(o.dw, dw);
        _mm512_store_ps(o.mw, mw);
      } else {
        Int8Pair pw;
        int8_unpack_pair(type, row, a.n, p, pw);
        std::memcpy(o.u, pw.u, sizeof o.u);
        std::memcpy(o.dw, pw.dw, sizeof o.dw);
        std::memcpy(o.mw, pw.mw, sizeof o.mw);
      }
    }
}

template <class U, int R>
void tokens_buf(GgmlType type, const u8* const* rows, const QuantizedActs& a, std::int64_t t0, std::int64_t T,
                float* y, std::int64_t ldy) noexcept {
  static thread_local std::vector<Unpacked, AlignedAlloc<Unpacked>> buf;
  if (buf.size() < static_cast<std::size_t>(a.pairs * R)) buf.resize(static_cast<std::size_t>(a.pairs * R));
  unpack_rows<U, R>(type, rows, a, buf.data());
  std::int64_t t = 0;
  for (; t + kTokens <= T; t += kTokens) tile_buf<U, R, kTokens>(buf.data(), a, t0 + t, y + t * ldy, ldy);
  switch (T - t) {
    case 1: tile_buf<U, R, 1>(buf.data(), a, t0 + t, y + t * ldy, ldy); break;
    case 2: tile_buf<U, R, 2>(buf.data(), a, t0 + t, y + t * ldy, ldy); break;
    case 3: tile_buf<U, R, 3>(buf.data(), a, t0 + t, y + t * ldy, ldy); break;
    case 4: tile_buf<U, R, 4>(buf.data(), a, t0 + t, y + t * ldy, ldy); break;
    default: break;
  }
}


template <class U>
void run(GgmlType type, const Int8Rows& w, std::int64_t r0, std::int64_t r1, const QuantizedActs& a, std::int64_t t0,
         std::int64_t T, float* y, std::int64_t ldy) noexcept {
  const std::int64_t rows = r1 - r0;
  std::int64_t r = 0;
  const u8* rp[kRows];
  if (T == 1) {
    // Decode streams every weight byte once per token from memory: one row at a time, with the
    // row about 8 KiB ahead prefetched (the hardware prefetcher stops at 4 KiB pages). Measured on
    // this project's Zen 4 (a 151936 x 896 Q8_0 matrix, 144 MB): 4 rows interleaved stream at
    // 5-8 GB/s, one row at a time at 15-17 GB/s (the machine's read bandwidth is ~17.8 GB/s).
    const std::int64_t ahead = std::clamp<std::int64_t>(8192 / static_cast<std::int64_t>(w.stride), 2, 16);
    for (std::int64_t i = 0; i < std::min(rows, ahead); ++i) prefetch_range(w.row(r0 + i), w.stride);
    for (; r < rows; ++r) {
      if (r + ahead < rows) prefetch_range(w.row(r0 + r + ahead), w.stride);
      rp[0] = w.row(r0 + r);
      tile<U, 1, 1>(type, rp, a, t0, y + r, ldy);
    }
    return;
  }
  // Prefill: tiles of 4 rows unpacked once, re-read from cache by every token tile.
  for (; r + kRows <= rows; r += kRows) {
    for (int i = 0; i < kRows; ++i) rp[i] = w.row(r0 + r + i);
    tokens_buf<U, kRows>(type, rp, a, t0, T, y + r, ldy);
  }
  for (; r < rows; ++r) {
    rp[0] = w.row(r0 + r);
    tokens_buf<U, 1>(type, rp, a, t0, T, y + r, ldy);
  }
}

}  // namespace

void int8_rows_avx512(GgmlType type, const Int8Rows& w, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                      std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept {
  switch (type) {
    case GgmlType::Q8_0: run<UQ8>(type, w, r0, r1, a, t0, T, y, ldy); break;
    case GgmlType::Q4_0: run<UQ4<false>>(type, w, r0, r1, a, t0, T, y, ldy); break;
    case GgmlType::Q4_1: run<UQ4<true>>(type, w, r0, r1, a, t0, T, y, ldy); break;
    case GgmlType::Q5_0: run<UQ5<false>>(type, w, r0, r1, a, t0, T, y, ldy); break;
    case GgmlType::Q5_1: run<UQ5<true>>(type, w, r0, r1, a, t0, T, y, ldy); break;
    case GgmlType::Q4_K: run<UQ4K>(type, w, r0, r1, a, t0, T, y, ldy); break;
    case GgmlType::Q6_K: run<UQ6K>(type, w, r0, r1, a, t0, T, y, ldy); break;
    default: break;
  }
}

}  // namespace apr::engine

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace apr::engine {
bool int8_avx512_cpu() noexcept {
  static const bool v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                        __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512vnni");
  return v;
}
}  // namespace apr::engine

#else

namespace apr::engine {
bool int8_avx512_cpu() noexcept { return false; }
void int8_rows_avx512(GgmlType, const Int8Rows&, std::int64_t, std::int64_t, const QuantizedActs&, std::int64_t,
                      std::int64_t, float*, std::int64_t) noexcept {}
}  // namespace apr::engine

#endif
