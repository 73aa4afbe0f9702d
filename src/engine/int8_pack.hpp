// apr-qa engine, fast mode (non-reference): weight matrices repacked for the row-lane int8
// kernels, for Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q4_K and Q6_K weights (the engine's fast mode packs
// every such matrix; int8_dot.hpp's older kernels remain for reference and comparison).
//
// Packing (once, when a fast-mode engine is created): canonical rows (the row-order map baked
// in) in groups of 16 (the last group padded with zero rows); per group and per block, the
// values in "VNNI order": for each 4-value group g, one 64-byte vector holding 4 bytes for each
// of the 16 rows, plus the block's scales for the 16 rows. The packed bytes equal the source's:
//   Q8_0 (per 32 values, 544 bytes): u = q + 128 for groups 0-7 (8 x 64), then d f16 x 16.
//   Q4_0/Q4_1/Q5_0/Q5_1 (per 32 values, 288/320/352/384 bytes): 4 x 64 bytes, vector k holding
//     group k in the low nibbles and group k + 4 in the high nibbles; for Q5 one 64-byte vector
//     whose byte 4r + i holds bit 4 of value i of group k at bit k; d f16 x 16; (Q4_1/Q5_1) m f16 x 16.
//   Q4_K (per 256 values, 2304 bytes): d f16 x 16, -dmin f16 x 16, the 12 packed 6-bit scale
//     bytes (byte k of the 16 rows together, 12 x 16), then per 32-value sub-block 4 x 64 bytes
//     whose vector k holds group k in the low nibbles and group k + 4 in the high nibbles.
//   Q6_K (per 256 values, 3360 bytes): d f16 x 16, the int8 scales (scale k of 16 rows
//     together, 16 x 16), then per 32-value block 4 x 64 low-nibble bytes as for Q4_K and
//     2 x 64 bytes whose vector h holds bits 4-5 of group 4h + k at bits 2k, 2k + 1.
//
// Semantics: value w = dw * (u - c) + mw as in int8_dot.hpp (c: Q8_0 128, Q4_0 8, Q5_0 16, Q6_K 32,
// else 0; dw the scale of its scale group: legacy types d per 32, Q4_K d * sc per 32, Q6_K d * sc
// per 16; mw = m for Q4_1/Q5_1, -(dmin * m) for Q4_K, else none). Each output (row, token) is ONE sequential f32 chain over the row's
// scale groups in order, starting from acc = 0:
//   S   = sum over the group's values of u * q  +  c * (the group's sum of q, as gs)   (int32, exact)
//   acc = fma(float(S), dw * dx, acc)            (dx: the scale of the activation block)
//   acc = fma(mw, s, acc)                         (types with a min; s: the activation block's d * sum q)
// The AVX-512 VNNI kernel (16 rows in the 16 int32 lanes, vpdpbusd with the activation bytes
// broadcast), the AVX2 kernel (two halves of 8 rows), the AMX-INT8 kernel (prefill: one tile
// product per scale group and 16 tokens, int8_pack_amx.cpp) and the portable scalar kernel perform
// exactly these operations, so they give the same bits (unit-tested). A result depends on its row and token only: not on the token count
// (prefill or decode), the tile shape, the thread count or how rows are split between threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "engine/act_quant.hpp"
#include "engine/int8_dot.hpp"
#include "tensor/dtype.hpp"

namespace apr::engine {

// Whether rows of type t and length n get the packed kernel (Q8_0, Q4_0, Q4_1, Q5_0, Q5_1 with
// n % 32 == 0, Q4_K and Q6_K with n % 256 == 0): the same as int8_supported().
bool int8_packable(GgmlType t, std::int64_t n) noexcept;

struct Int8Packed {
  GgmlType type = GgmlType::F32;
  std::int64_t rows = 0, cols = 0;
  std::size_t group_bytes = 0;  // bytes per group of 16 rows
  std::size_t bytes = 0;        // all groups
  std::unique_ptr<std::uint8_t, void (*)(std::uint8_t*)> data{nullptr, nullptr};  // 64-byte aligned
  const std::uint8_t* group(std::int64_t g) const { return data.get() + static_cast<std::size_t>(g) * group_bytes; }
};

// Packs canonical rows 0..rows-1 of w (n = cols values each). Requires int8_packable(t, cols).
// Without a row map, done(b, e) is called as packing proceeds with source byte ranges [b, e)
// (offsets from w.base) that it has finished reading, so that the caller can drop them from RSS
// while the packed pages fill (peak RSS: about the source, not source + packed copy).
Int8Packed int8_pack(GgmlType t, const Int8Rows& w, std::int64_t rows, std::int64_t cols,
                     const std::function<void(std::size_t, std::size_t)>& done = {});

// y[t * ldy + (r - r0)] = row r . activation row t0 + t, for r in [r0, r1) and t < T.
void int8_packed_rows(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a, std::int64_t t0,
                      std::int64_t T, float* y, std::int64_t ldy, Int8Isa isa = Int8Isa::best) noexcept;

}  // namespace apr::engine
