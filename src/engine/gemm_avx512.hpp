// apr-qa engine (internal): the batched (prefill) matrix product on AVX-512, register-blocked.
//
// y[t * ldy + r] = dot(w[r], x + t * ldx, n) for r < rows, t < tokens, each value bit-identical to
// kernels.hpp's dot() (32 lanes, element i to lane i % 32 in index order, mul then add, the
// fixed halving tree): the blocking changes which values are computed together, never the
// operations that produce one value. So prefill stays bitwise equal to one-token decoding.
//
// How: lanes 0-15 of dot() only ever see elements 32j..32j+15 and lanes 16-31 only
// 32j+16..32j+31, so the two halves are accumulated in two passes with one register per
// (row, token) pair. A 4-row x 5-token micro-kernel keeps 20 accumulators and 5 activation
// vectors in registers: per 16 elements it loads 9 vectors for 20 multiplies and 20 adds
// (dot4 loaded 5 for 4), so the activations are read from cache a quarter as often.
// Requires n % 16 == 0 and a CPU with AVX-512F (gemm_avx512_available()).
#pragma once

#include <cstdint>

namespace apr::engine {

bool gemm_avx512_available() noexcept;

// w[r] points at row r (n floats, any number of rows); token t's activations start at x + t * ldx.
void gemm_rows_avx512(const float* const* w, std::int64_t rows, const float* x, std::int64_t ldx,
                      std::int64_t tokens, std::int64_t n, float* y, std::int64_t ldy) noexcept;

// Attention scores of one query against nk keys in rows of a cache: y[j] = dot(k + j * stride, q, n)
// for j < nk, each bit-identical to dot(). Sixteen keys at a time share one reduction: their
// halving trees run side by side in vectors (the same additions of the same pairs), so the tree
// costs 15 vector adds per 16 scores instead of a horizontal reduction per score. n % 16 == 0.
void key_scores_avx512(const float* k, std::int64_t stride, std::int64_t nk, const float* q, std::int64_t n,
                       float* y) noexcept;

}  // namespace apr::engine
