// apr-qa tensor layer: reference quantizers, byte-identical to ggml's non-imatrix path.
//
// Contract:
//  * Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K produce exactly the bytes of
//    llama.cpp's quantize_row_<type>_ref (what ggml_quantize_chunk / llama-quantize write when no
//    importance matrix is given), for every finite input; checked on >= 10,000 blocks per type
//    against libggml-base.so by tests/oracle/test_tensor_quants.py.
//  * IQ4_NL (the fallback of Q2_K/Q3_K rows not a multiple of 256) produces exactly the bytes of
//    ggml_quantize_chunk without an importance matrix (ggml has no plain _ref for it: its scale
//    search is the reference); same test.
//  * F32 (copy), F16 and BF16 (fp32_to_fp16 / fp32_to_bf16, ggml rounding) are plain conversions.
//  * Any other type throws an `unsupported` Error naming it (e.g. Q8_K, IQ4_XS).
//  * n (elements per row) must be a non-negative multiple of the block size (validation Error).
//    src holds n floats, dst row_bytes(t, n) bytes; no alignment needed.
//  * Rows are independent: quantize_rows gives the same bytes for any n_threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tensor/dtype.hpp"

namespace apr {

// Quantize one row of n elements.
void quantize_row(GgmlType t, const float* src, std::byte* dst, std::int64_t n);

// Quantize nrows rows of n_per_row elements each (row-major, contiguous). n_threads <= 1 runs on
// the calling thread; more split the rows between threads (bytes do not depend on it).
void quantize_rows(GgmlType t, const float* src, std::byte* dst, std::int64_t nrows, std::int64_t n_per_row,
                   int n_threads = 1);

// Convenience: quantize values (a whole number of rows of n_per_row) into a new byte buffer.
std::vector<std::byte> quantize(GgmlType t, std::span<const float> values, std::int64_t n_per_row,
                                int n_threads = 1);

// Whether quantize_row accepts t (the dtype table's `quantizable` flag).
bool can_quantize(GgmlType t) noexcept;

}  // namespace apr
