// apr-qa engine, fast mode (non-reference): integer dot products of stored weight rows with int8
// activations (act_quant.hpp), for Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K and Q6_K weights. The
// engine's fast mode computes its matrices with the packed row-lane kernels instead
// (int8_pack.hpp, other semantics); Matrix::int8_rows() falls back to these only for a matrix
// that was not packed (none in the engine since every int8_supported() type is packable).
//
// Every weight row is read as pairs of 64 values (two 32-blocks, or a quarter of a K-quant
// super-block), each value w = dw * (u - c) + mw with u an unsigned byte, c the type's offset
// (Q8_0 128 (u = q + 128), Q4_0 8, Q5_0 16, Q6_K 32, else 0), dw the scale of its 16-value group
// (Q6_K: d * sc; Q4_K: d * sc of its 32-value sub-block; legacy types: d) and mw the min of its
// 32-value block (Q4_1/Q5_1: m; Q4_K: -(dmin * m); else 0) — exactly the tensor layer's
// dequantized value, whose factors are all exact in f32. The dot with activations x = dx * q:
//   sum over 4-value lanes i of the pair (16 lanes; lane i in group i / 4, block i / 8):
//     S_i   = sum of u * q over the lane's 4 values + c * gs(group, on the group's first lane)  (int32, exact)
//     acc_i = fma(float(S_i), dw_i * dx_i, acc_i);  then, for types with a min,
//     acc_i = fma(mw_i, s(block, on the block's first lane), acc_i)
//   pairs in order, then the 16 lanes summed by a fixed halving tree (i + 8, + 4, + 2, + 1).
// The AVX-512 VNNI kernels (vpdpbusd) and the portable scalar kernel perform exactly these
// operations, so they give the same bits (unit-tested); results depend on the row length only,
// not on how many rows or tokens are computed together: the fast mode is deterministic for a
// given build and CPU, across thread counts and prefill/decode. It is not the reference result
// (activations are rounded to int8), and nothing that gates a model may use it.
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/act_quant.hpp"
#include "tensor/dtype.hpp"

namespace apr::engine {

// Whether rows of type t and length n have an int8 kernel (a listed type, n % 32 == 0, and
// n % 256 == 0 for the K-quants). The fast mode runs every other matrix on the reference path.
bool int8_supported(GgmlType t, std::int64_t n) noexcept;

// Whether this CPU runs the AVX-512 VNNI kernels (AVX-512F/BW/VL + VNNI + F16C, and
// APR_ENGINE_NO_AVX512 unset).
bool int8_avx512_available() noexcept;

// Whether this CPU runs the packed kernels' AMX-INT8 path (int8_pack.hpp): AMX-TILE + AMX-INT8,
// the OS's permission for the tile state (Linux: requested once per process),
// int8_avx512_available() and no APR_ENGINE_NO_AMX switch (the VNNI kernel then: same bits).
bool int8_amx_available() noexcept;

// avx2: the packed kernels' AVX2 path (int8_pack.hpp) even on an AVX-512 CPU (tests); amx: the
// packed kernels' AMX path for whole 16-token tiles (best picks it for 16 tokens or more where
// int8_amx_available(); elsewhere amx acts as best). The row kernels here treat both as best.
enum class Int8Isa { best, scalar, avx512, avx2, amx };

// Where row r of a weight matrix is stored: base + stride * (map ? map[r] : r).
struct Int8Rows {
  const std::uint8_t* base;
  std::size_t stride;
  const std::int32_t* map = nullptr;  // a row-order map (canonical row -> stored row), or null
  const std::uint8_t* row(std::int64_t r) const {
    return base + stride * static_cast<std::size_t>(map ? map[r] : r);
  }
};

// y[t * ldy + (r - r0)] = row r . activation row t0 + t, for r in [r0, r1) and t < T. Requires
// int8_supported(type, a.n); isa avx512 requires int8_avx512_available().
void int8_rows(GgmlType type, const Int8Rows& w, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
               std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy, Int8Isa isa = Int8Isa::best) noexcept;

// One pair of a row unpacked (the scalar kernel and the tests use it; the AVX-512 kernels unpack
// the same values in registers): u[64], dw[16] per lane, mw[16] per lane (0 without a min).
struct Int8Pair {
  std::uint8_t u[64];
  float dw[16];
  float mw[16];
};
// Pair p of a row of n values of type t (a pair past the last block of an odd count is zeros).
void int8_unpack_pair(GgmlType t, const std::uint8_t* row, std::int64_t n, std::int64_t p, Int8Pair& out) noexcept;
// The offset c of type t and whether it has a min term.
int int8_offset(GgmlType t) noexcept;
bool int8_has_min(GgmlType t) noexcept;

}  // namespace apr::engine
