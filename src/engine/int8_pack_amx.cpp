// The AMX-INT8 kernel of the packed int8 matrices (int8_pack.hpp), for prefill (16 tokens or
// more): same integers and the same f32 operations as the scalar and VNNI kernels, so the same bits.
//
// Per call, for each chunk of whole 16-token tiles and each 16-row group, the group's packed
// values are first unpacked (AVX-512) into a per-thread scratch as signed int8 in the AMX B-tile
// layout, which is the packed "VNNI order" itself: per scale group of V values (32; Q6_K 16),
// V / 4 rows of 64 bytes, row g holding values 4g..4g+3 of the 16 weight rows. The unpacked value
// is u - c (Q8_0 u ^ 0x80 = the stored q), so the tile product of a 16-token x V activation tile
// (signed) with it (_tile_dpbssd) is sum (u - c) q = sum u q + c x gs: exactly the VNNI kernel's
// int32 S (its offset correction included; int32 arithmetic, exact). The scales are unpacked as
// f32 rows (dw = the same f32 products as in the VNNI kernel). Each scale group's 16 x 16 int32
// tile is stored, and per token the epilogue runs the contract's chain in scale-group order:
// acc = fma(float(S), dw * dx, acc) (+ fma(mw, s, acc)). A remainder of fewer than 8 tokens past
// the last whole tile goes to the VNNI kernel (the same bits); 8 or more fill a zero-padded tile.
#include "engine/int8_dot_avx512.hpp"
#include "engine/int8_pack.hpp"

#if defined(__x86_64__) && defined(__GNUC__)

#include <cpuid.h>
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma"))), \
                             apply_to = function)
#else
#pragma GCC push_options
#pragma GCC target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512vnni,f16c,fma")
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#pragma GCC diagnostic ignored "-Wuninitialized"
#endif

namespace apr::engine {

namespace {

using u8 = std::uint8_t;

// CPUID leaf 7 EDX bits 24 (AMX-TILE) and 25 (AMX-INT8); Linux grants the tile data state per
// process on request (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA); then XCR0 bits 17
// and 18 (XTILECFG, XTILEDATA) must be enabled.
bool amx_cpu_os() noexcept {
  unsigned a = 0, b = 0, c = 0, d = 0;
  if (__get_cpuid_max(0, nullptr) < 7) return false;
  __cpuid_count(7, 0, a, b, c, d);
  if (!((d >> 24) & 1u) || !((d >> 25) & 1u)) return false;
  if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 27) & 1u)) return false;  // OSXSAVE
#if defined(__linux__)
  constexpr long kReqXcompPerm = 0x1023, kXfeatureXtiledata = 18;
  if (syscall(SYS_arch_prctl, kReqXcompPerm, kXfeatureXtiledata) != 0) return false;
#endif
  unsigned lo = 0, hi = 0;
  __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
  (void)hi;
  return ((lo >> 17) & 3u) == 3u;
}

// Tiles 0-3: C (16 tokens x 16 rows int32); 4 and 6: A (16 tokens x V int8 activations);
// 5 and 7: B (V / 4 rows x 64 bytes of unpacked weights).
struct alignas(64) TileConfig {
  u8 palette = 1, start_row = 0, reserved[14] = {};
  std::uint16_t colsb[16] = {};
  u8 rows[16] = {};
};

void configure(int V) noexcept {
  TileConfig c;
  for (int i = 0; i < 4; ++i) {
    c.colsb[i] = 64;
    c.rows[i] = 16;
  }
  for (int i : {4, 6}) {
    c.colsb[i] = static_cast<std::uint16_t>(V);
    c.rows[i] = 16;
  }
  for (int i : {5, 7}) {
    c.colsb[i] = 64;
    c.rows[i] = static_cast<u8>(V / 4);
  }
  _tile_loadconfig(&c);
}

// The per-thread scratch: one group's unpacked weights and scales, and the stored C tiles.
struct Scratch {
  u8* p = nullptr;
  std::size_t cap = 0;
  ~Scratch() { std::free(p); }
  u8* get(std::size_t n) noexcept {
    if (n > cap) {
      std::free(p);
      cap = (n + 4095) / 4096 * 4096;
      p = static_cast<u8*>(std::aligned_alloc(64, cap));
      if (!p) cap = 0;
    }
    return p;
  }
};
thread_local Scratch scratch;

inline __m512 f16x16(const u8* p) noexcept {
  return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
}
inline __m512i bytes32(const u8* p) noexcept {
  return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
inline void put(u8* p, __m512i v) noexcept { _mm512_store_si512(p, v); }

// One group's unpacked operands: wq (units x 16V bytes), dw and (types with a min) mw (units x 16 f32).
struct Unpacked {
  u8* wq;
  float* dw;
  float* mw;
};

void unpack_q8_0(const u8* grp, std::int64_t nb, const Unpacked& u) noexcept {
  const __m512i flip = _mm512_set1_epi8(static_cast<char>(0x80));
  for (std::int64_t b = 0; b < nb; ++b) {
    const u8* o = grp + b * 544;
    for (int g = 0; g < 8; ++g) put(u.wq + 512 * b + 64 * g, _mm512_xor_si512(_mm512_loadu_si512(o + 64 * g), flip));
    _mm512_store_ps(u.dw + 16 * b, f16x16(o + 512));
  }
}

template <GgmlType Ty>
void unpack_legacy(const u8* grp, std::int64_t nb, const Unpacked& u) noexcept {
  constexpr bool q5 = Ty == GgmlType::Q5_0 || Ty == GgmlType::Q5_1;
  constexpr bool mn = Ty == GgmlType::Q4_1 || Ty == GgmlType::Q5_1;
  constexpr int c = Ty == GgmlType::Q4_0 ? 8 : Ty == GgmlType::Q5_0 ? 16 : 0;
  constexpr std::int64_t ub = 256 + (q5 ? 64 : 0) + 32 + (mn ? 32 : 0);
  const __m512i m4 = _mm512_set1_epi8(0x0F), b4 = _mm512_set1_epi8(0x10), off = _mm512_set1_epi8(c);
  for (std::int64_t b = 0; b < nb; ++b) {
    const u8* o = grp + b * ub;
    __m512i HB = _mm512_setzero_si512();
    if constexpr (q5) HB = _mm512_loadu_si512(o + 256);
    for (int k = 0; k < 4; ++k) {
      const __m512i v = _mm512_loadu_si512(o + 64 * k);
      __m512i lo = _mm512_and_si512(v, m4);
      __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
      if constexpr (q5) {  // bit k (lo) and k + 4 (hi) of HB to bit 4
        lo = _mm512_or_si512(lo, _mm512_and_si512(_mm512_sllv_epi16(HB, _mm512_set1_epi16(static_cast<short>(4 - k))), b4));
        hi = _mm512_or_si512(hi, _mm512_and_si512(_mm512_srlv_epi16(HB, _mm512_set1_epi16(static_cast<short>(k))), b4));
      }
      put(u.wq + 512 * b + 64 * k, _mm512_sub_epi8(lo, off));
      put(u.wq + 512 * b + 64 * (k + 4), _mm512_sub_epi8(hi, off));
    }
    const u8* sc = o + 256 + (q5 ? 64 : 0);
    _mm512_store_ps(u.dw + 16 * b, f16x16(sc));
    if constexpr (mn) _mm512_store_ps(u.mw + 16 * b, f16x16(sc + 32));
  }
}

void unpack_q4_k(const u8* grp, std::int64_t nsb, const Unpacked& u) noexcept {
  const __m512i m4 = _mm512_set1_epi8(0x0F);
  const __m512i m6 = _mm512_set1_epi32(63), m4d = _mm512_set1_epi32(15);
  for (std::int64_t sb = 0; sb < nsb; ++sb) {
    const u8* o = grp + sb * 2304;
    const __m512 d = f16x16(o), nd = f16x16(o + 32);
    const u8* B = o + 64;
    for (int j = 0; j < 8; ++j) {
      __m512i sc, m;  // get_scale_min_k4 for 16 rows (as the VNNI kernel)
      if (j < 4) {
        sc = _mm512_and_si512(bytes32(B + 16 * j), m6);
        m = _mm512_and_si512(bytes32(B + 16 * (j + 4)), m6);
      } else {
        const __m512i b4 = bytes32(B + 16 * (j + 4));
        sc = _mm512_or_si512(_mm512_and_si512(b4, m4d), _mm512_slli_epi32(_mm512_srli_epi32(bytes32(B + 16 * (j - 4)), 6), 4));
        m = _mm512_or_si512(_mm512_srli_epi32(b4, 4), _mm512_slli_epi32(_mm512_srli_epi32(bytes32(B + 16 * j), 6), 4));
      }
      const std::int64_t b = 8 * sb + j;
      _mm512_store_ps(u.dw + 16 * b, _mm512_mul_ps(d, _mm512_cvtepi32_ps(sc)));
      _mm512_store_ps(u.mw + 16 * b, _mm512_mul_ps(nd, _mm512_cvtepi32_ps(m)));
      const u8* qs = o + 256 + 256 * j;
      for (int k = 0; k < 4; ++k) {
        const __m512i v = _mm512_loadu_si512(qs + 64 * k);
        put(u.wq + 512 * b + 64 * k, _mm512_and_si512(v, m4));
        put(u.wq + 512 * b + 64 * (k + 4), _mm512_and_si512(_mm512_srli_epi16(v, 4), m4));
      }
    }
  }
}

// Q6_K: scale groups of 16 (unit 2j + h of a super-block: half h of 32-block j).
void unpack_q6_k(const u8* grp, std::int64_t nsb, const Unpacked& u) noexcept {
  const __m512i m4 = _mm512_set1_epi8(0x0F), m30 = _mm512_set1_epi8(0x30), off = _mm512_set1_epi8(32);
  for (std::int64_t sb = 0; sb < nsb; ++sb) {
    const u8* o = grp + sb * 3360;
    const __m512 d = f16x16(o);
    for (int j = 0; j < 8; ++j) {
      const u8* ql = o + 288 + 384 * j;
      for (int h = 0; h < 2; ++h) {
        const std::int64_t un = 2 * (8 * sb + j) + h;
        const __m512i Hv = _mm512_loadu_si512(ql + 256 + 64 * h);
        for (int k = 0; k < 4; ++k) {  // bits 2k, 2k + 1 of Hv to bits 4, 5
          const __m512i v = _mm512_loadu_si512(ql + 64 * k);
          const __m512i lo = h ? _mm512_and_si512(_mm512_srli_epi16(v, 4), m4) : _mm512_and_si512(v, m4);
          const __m512i hb = k < 3 ? _mm512_sllv_epi16(Hv, _mm512_set1_epi16(static_cast<short>(4 - 2 * k)))
                                   : _mm512_srli_epi16(Hv, 2);
          put(u.wq + 256 * un + 64 * k, _mm512_sub_epi8(_mm512_or_si512(lo, _mm512_and_si512(hb, m30)), off));
        }
        const __m128i sc = _mm_loadu_si128(reinterpret_cast<const __m128i*>(o + 32 + 16 * (2 * j + h)));
        _mm512_store_ps(u.dw + 16 * un, _mm512_mul_ps(d, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(sc))));
      }
    }
  }
}

// One scale group's tile product into C tile J (A tile TA, B tile TB), stored to c.
#define APR_AMX_UNIT(J, TA, TB, A, B, c) \
  do {                                   \
    _tile_zero(J);                       \
    _tile_loadd(TA, A, V);               \
    _tile_loadd(TB, B, 64);              \
    _tile_dpbssd(J, TA, TB);             \
    _tile_stored(J, c, 64);              \
  } while (0)

// The tile product of item i (its A tile, B tile) into C tile i % 4, stored to c.
template <int V>
inline void issue1(std::int64_t i, const std::int8_t* A, const u8* B, std::int32_t* c) noexcept {
  switch (i & 3) {
    case 0: APR_AMX_UNIT(0, 4, 5, A, B, c); break;
    case 1: APR_AMX_UNIT(1, 6, 7, A, B, c); break;
    case 2: APR_AMX_UNIT(2, 4, 5, A, B, c); break;
    default: APR_AMX_UNIT(3, 6, 7, A, B, c); break;
  }
}

// Tokens per chunk (activations laid out as A tiles once per chunk) and scale groups per K block
// (a group's unpacked weights of one K block stay in L1 while every tile of the chunk uses them).
constexpr std::int64_t kChunk = 128, kKBlock = 16;

// Chunk operands: aq [tile][unit][16 tokens][V] int8, dxT / sxT [tile][block][16 tokens] f32,
// accT [tile][16 tokens][16 rows] f32 (the chains between K blocks).
struct Chunk {
  std::int8_t* aq;
  float* dxT;
  float* sxT;
  float* accT;
  std::int64_t tiles;
};

// The next group's packed bytes, fetched into L2 a few lines per batch while this group computes.
struct Prefetch {
  const u8* p;
  const u8* end;
  std::int64_t per;  // lines per batch
  void step() noexcept {
    for (std::int64_t k = 0; k < per && p < end; ++k, p += 64) _mm_prefetch(reinterpret_cast<const char*>(p), _MM_HINT_T1);
  }
};

// Where a whole group's results go: token t's 16 rows at y + t * ldy, for t < tokens.
struct Out {
  float* y;
  std::int64_t ldy, tokens;
};

// The group unpacked in u against every tile of chunk ch, scale groups [ub, ue); acc chains in
// accT, or (the last K block, out given) written to the output.
template <int V, bool MN>
void kblock(const Unpacked& u, std::int64_t units, std::int64_t ub, std::int64_t ue, const Chunk& ch,
            std::int32_t* cbuf, Prefetch& pf, const Out* out) noexcept {
  const std::int64_t nb = units * V / 32, per = ue - ub, total = ch.tiles * per;
  // Item i = (tile ti, scale group un); item i + kAhead's tile product is issued before item i's
  // epilogue (four C tiles and buffers in rotation). Counters, not divisions.
  constexpr std::int64_t kAhead = 2;
  std::int64_t nti = 0, nun = ub, ni = 0;
  auto go = [&]() {
    issue1<V>(ni, ch.aq + (nti * units + nun) * 16 * V, u.wq + 16 * V * nun, cbuf + (ni & 3) * 256);
    ++ni;
    if (++nun == ue) {
      nun = ub;
      ++nti;
    }
  };
  for (std::int64_t i = 0; i < kAhead && i < total; ++i) go();
  __m512 acc[16];
  std::int64_t ti = 0, un = ub;
  for (std::int64_t i = 0; i < total; ++i) {
    if (ni < total) go();
    if ((i & 3) == 0) pf.step();
    float* at = ch.accT + ti * 256;
    if (un == ub) {
#pragma GCC unroll 16
      for (int k = 0; k < 16; ++k) acc[k] = ub == 0 ? _mm512_setzero_ps() : _mm512_load_ps(at + 16 * k);
    }
    const std::int32_t* c = cbuf + (i & 3) * 256;
    const std::int64_t blk = un * V / 32;
    const __m512 dw = _mm512_load_ps(u.dw + 16 * un);
    const float* d = ch.dxT + (ti * nb + blk) * 16;
#pragma GCC unroll 16
    for (int k = 0; k < 16; ++k) {
      const __m512 S = _mm512_cvtepi32_ps(_mm512_load_si512(c + 16 * k));
      acc[k] = _mm512_fmadd_ps(S, _mm512_mul_ps(dw, _mm512_set1_ps(d[k])), acc[k]);
    }
    if constexpr (MN) {
      const __m512 mw = _mm512_load_ps(u.mw + 16 * un);
      const float* sv = ch.sxT + (ti * nb + blk) * 16;
#pragma GCC unroll 16
      for (int k = 0; k < 16; ++k) acc[k] = _mm512_fmadd_ps(mw, _mm512_set1_ps(sv[k]), acc[k]);
    }
    if (++un == ue) {
      if (out && ue == units) {  // the chains are complete: to the output, spread over the compute
        const std::int64_t valid = std::min<std::int64_t>(16, out->tokens - 16 * ti);
        float* o = out->y + 16 * ti * out->ldy;
#pragma GCC unroll 16
        for (int k = 0; k < 16; ++k)
          if (k < valid) _mm512_storeu_ps(o + k * out->ldy, acc[k]);
      } else {
#pragma GCC unroll 16
        for (int k = 0; k < 16; ++k) _mm512_store_ps(at + 16 * k, acc[k]);
      }
      un = ub;
      ++ti;
    }
  }
}

std::size_t chunk_bytes(std::int64_t cols) noexcept {
  const auto nb = static_cast<std::size_t>(cols / 32);
  return static_cast<std::size_t>(kChunk) * (static_cast<std::size_t>(cols) + 8 * nb + 64);
}

template <GgmlType Ty>
void run(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a, std::int64_t t0,
         std::int64_t Tv, float* y, std::int64_t ldy, u8* mem) noexcept {
  constexpr int V = Ty == GgmlType::Q6_K ? 16 : 32;
  constexpr bool MN = Ty == GgmlType::Q4_1 || Ty == GgmlType::Q5_1 || Ty == GgmlType::Q4_K;
  const std::int64_t units = p.cols / V, nb = p.cols / 32;
  auto* cbuf = reinterpret_cast<std::int32_t*>(mem);  // 2 x 4 C tiles
  Chunk ch{reinterpret_cast<std::int8_t*>(mem + 8192), nullptr, nullptr, nullptr, 0};
  ch.dxT = reinterpret_cast<float*>(ch.aq + kChunk * p.cols);
  ch.sxT = ch.dxT + kChunk * nb;
  ch.accT = ch.sxT + kChunk * nb;
  Unpacked u{mem + 8192 + chunk_bytes(p.cols), nullptr, nullptr};
  u.dw = reinterpret_cast<float*>(u.wq + units * 16 * V);
  u.mw = u.dw + units * 16;
  configure(V);
  const std::int64_t g0 = r0 / 16, g1 = (r1 + 15) / 16;
  for (std::int64_t tc = 0; tc < Tv; tc += kChunk) {
    const std::int64_t tn = std::min(kChunk, Tv - tc);
    ch.tiles = (tn + 15) / 16;
    for (std::int64_t t = tn; t < 16 * ch.tiles; ++t) {  // a last partial tile: zero tokens, not written
      std::int8_t* at = ch.aq + (t / 16) * units * 16 * V + (t % 16) * V;
      for (std::int64_t un = 0; un < units; ++un) std::memset(at + un * 16 * V, 0, V);
      for (std::int64_t b = 0; b < nb; ++b) ch.dxT[((t / 16) * nb + b) * 16 + t % 16] = ch.sxT[((t / 16) * nb + b) * 16 + t % 16] = 0.0f;
    }
    for (std::int64_t t = 0; t < tn; ++t) {
      const std::int8_t* q = a.q_row(t0 + tc + t);
      const float* d = a.d_row(t0 + tc + t);
      const float* sv = a.s_row(t0 + tc + t);
      std::int8_t* at = ch.aq + (t / 16) * units * 16 * V + (t % 16) * V;
      for (std::int64_t un = 0; un < units; ++un) std::memcpy(at + un * 16 * V, q + un * V, V);
      float* dt = ch.dxT + (t / 16) * nb * 16 + t % 16;
      float* st = ch.sxT + (t / 16) * nb * 16 + t % 16;
      for (std::int64_t b = 0; b < nb; ++b) {
        dt[16 * b] = d[b];
        if (MN) st[16 * b] = sv[b];
      }
    }
    for (std::int64_t g = g0; g < g1; ++g) {
      const u8* grp = p.group(g);
      if constexpr (Ty == GgmlType::Q8_0)
        unpack_q8_0(grp, units, u);
      else if constexpr (Ty == GgmlType::Q4_K)
        unpack_q4_k(grp, units / 8, u);
      else if constexpr (Ty == GgmlType::Q6_K)
        unpack_q6_k(grp, units / 16, u);
      else
        unpack_legacy<Ty>(grp, units, u);
      Prefetch pf{nullptr, nullptr, 0};
      if (g + 1 < g1) {
        const std::int64_t batches = ch.tiles * units / 4 + 1;
        const auto lines = static_cast<std::int64_t>(p.group_bytes / 64);
        pf = {p.group(g + 1), p.group(g + 1) + p.group_bytes, (lines + batches - 1) / batches};
      }
      const std::int64_t lo = std::max(r0, 16 * g), hi = std::min(r1, 16 * g + 16);
      const bool whole = lo == 16 * g && hi == 16 * g + 16;
      const Out out{y + tc * ldy + (lo - r0), ldy, tn};
      for (std::int64_t ub = 0; ub < units; ub += kKBlock)
        kblock<V, MN>(u, units, ub, std::min(units, ub + kKBlock), ch, cbuf, pf, whole ? &out : nullptr);
      if (whole) continue;
      for (std::int64_t t = 0; t < tn; ++t) {
        float* o = y + (tc + t) * ldy;
        const float* v = ch.accT + 16 * t;
        for (std::int64_t r = lo; r < hi; ++r) o[r - r0] = v[r - 16 * g];
      }
    }
  }
  _tile_release();
}

}  // namespace

bool int8_amx_cpu() noexcept {
  static const bool v = amx_cpu_os();
  return v;
}


void int8_packed_rows_amx(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                          std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept {
  // Whole 16-token tiles, and a last partial one (zero-padded) when it holds 8 tokens or more;
  // fewer go to the VNNI kernel (it streams the weights once more, which costs about as much).
  const std::int64_t T16 = T % 16 >= 8 ? T : T / 16 * 16;
  const int V = p.type == GgmlType::Q6_K ? 16 : 32;
  const std::int64_t units = p.cols / V;
  const std::size_t need = 8192 + chunk_bytes(p.cols) + static_cast<std::size_t>(units) * (16 * V + 128);
  u8* mem = T16 ? scratch.get(need) : nullptr;
  std::int64_t done = 0;
  if (mem) {
    done = T16;
    switch (p.type) {
      case GgmlType::Q8_0: run<GgmlType::Q8_0>(p, r0, r1, a, t0, T16, y, ldy, mem); break;
      case GgmlType::Q4_0: run<GgmlType::Q4_0>(p, r0, r1, a, t0, T16, y, ldy, mem); break;
      case GgmlType::Q4_1: run<GgmlType::Q4_1>(p, r0, r1, a, t0, T16, y, ldy, mem); break;
      case GgmlType::Q5_0: run<GgmlType::Q5_0>(p, r0, r1, a, t0, T16, y, ldy, mem); break;
      case GgmlType::Q5_1: run<GgmlType::Q5_1>(p, r0, r1, a, t0, T16, y, ldy, mem); break;
      case GgmlType::Q4_K: run<GgmlType::Q4_K>(p, r0, r1, a, t0, T16, y, ldy, mem); break;
      case GgmlType::Q6_K: run<GgmlType::Q6_K>(p, r0, r1, a, t0, T16, y, ldy, mem); break;
      default: done = 0; break;
    }
  }
  if (done < T) int8_packed_rows_avx512(p, r0, r1, a, t0 + done, T - done, y + done * ldy, ldy);
}

}  // namespace apr::engine

#if defined(__clang__)
#pragma clang attribute pop
#else
#pragma GCC pop_options
#endif

namespace apr::engine {
// Outside the AMX/AVX-512 target region (called only where int8_amx_available()).
void int8_packed_amx_trim() noexcept {
  if (scratch.cap == 0) return;
  std::free(scratch.p);
  scratch.p = nullptr;
  scratch.cap = 0;
}
}  // namespace apr::engine

#else

namespace apr::engine {
bool int8_amx_cpu() noexcept { return false; }
void int8_packed_amx_trim() noexcept {}
void int8_packed_rows_amx(const Int8Packed&, std::int64_t, std::int64_t, const QuantizedActs&, std::int64_t,
                          std::int64_t, float*, std::int64_t) noexcept {}
}  // namespace apr::engine

#endif
