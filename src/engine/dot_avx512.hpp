// apr-qa engine (internal): AVX-512 fused dequantize+dot kernels over several weight rows.
//
// Contract: out[r] is bit-identical to dot(dequantize_row(row r), x, n) (kernels.hpp's 32 lanes,
// element i to lane i % 32 in index order, then the fixed halving tree) for each of `rows` rows
// stored `stride` bytes apart; nb = n / (elements per block). Four rows are processed together
// (independent accumulators, better use of the core and of memory parallelism) and the rows 8
// ahead are prefetched (decode streams every weight once per token, and the hardware prefetcher
// stops at 4 KiB pages); that changes no value since every row keeps its own lanes and order. Call only on CPUs with AVX-512F and F16C.
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.hpp"

namespace apr::engine {

using RowsDot = void (*)(const std::uint8_t* w, std::size_t stride, std::int64_t rows, const float* x,
                         std::int64_t nb, float* out) noexcept;

// The AVX-512 kernel for t (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q4_K, Q6_K, F16, BF16), or null for other types.
RowsDot avx512_rows_dot(GgmlType t) noexcept;

}  // namespace apr::engine
