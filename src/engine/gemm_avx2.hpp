// apr-qa engine (internal): the batched (prefill) matrix product on AVX2, register-blocked; the
// AVX-512 product's (gemm_avx512.hpp) counterpart for CPUs without AVX-512 (e.g. Zen 3).
//
// y[t * ldy + r] = dot(w[r], x + t * ldx, n) for r < rows, t < tokens, each value bit-identical to
// kernels.hpp's dot() (32 lanes, element i to lane i % 32 in index order, mul then add, the
// fixed halving tree).
//
// How: dot()'s lanes 8q..8q+7 (quarter q) only ever see elements 32j + 8q .. 32j + 8q + 7, so the
// four quarters are accumulated in four passes with one 8-lane register per (row, token). A
// 3-row x 3-token micro-kernel keeps 9 accumulators and 3 activation vectors in the 16 registers.
// The passes run over segments of kSegment elements (accumulators parked in memory between
// segments), so the rows and activations of a segment are read from L1 by all four passes.
// Requires n % 8 == 0 and a CPU with AVX2 (gemm_avx2_available()).
#pragma once

#include <cstdint>

namespace apr::engine {

bool gemm_avx2_available() noexcept;

// w[r] points at row r (n floats, any number of rows); token t's activations start at x + t * ldx.
void gemm_rows_avx2(const float* const* w, std::int64_t rows, const float* x, std::int64_t ldx, std::int64_t tokens,
                    std::int64_t n, float* y, std::int64_t ldy) noexcept;

}  // namespace apr::engine
