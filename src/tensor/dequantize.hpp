// apr-qa tensor layer: dequantization of stored tensor bytes to f32.
//
// Contract:
//  * Supported: F32, F16, BF16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, IQ4_NL.
//    Any other type throws the dtype error of require_supported_dtype (unsupported/validation,
//    naming the type) — never a silent fallback.
//  * Bit-exact with ggml's dequantize_row_* and gguf-py's gguf.quants.dequantize: every output
//    element is computed with ggml's formula and operation order, e.g. (d*sc)*q - (dmin*m) for
//    K-quants, with no FMA contraction (the tree builds with -ffp-contract=off) and fp16 scales
//    converted by fp16_to_fp32 (NaN quieted, as ggml-base and F16C do).
//  * n is the number of elements; it must be >= 0 and a multiple of the type's block size
//    (validation Error otherwise). src must hold row_bytes(t, n) bytes and dst n floats; src needs
//    no particular alignment. The kernels are single-threaded; rows are independent, so callers
//    may parallelise over rows without changing any bit.
//  * Little-endian hosts only (as GGUF/ggml); enforced at compile time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tensor/dtype.hpp"
#include "tensor/tensor_view.hpp"

namespace apr {

// Dequantize n elements (a whole number of blocks) of type t from src into dst.
void dequantize_row(GgmlType t, const std::byte* src, float* dst, std::int64_t n);

// Dequantize a whole tensor (all rows). Throws validation Error if data.size() does not equal
// tensor_bytes(type, shape), or the row length is not a multiple of the block size.
std::vector<float> dequantize(const TensorView& view);

// Same, into a caller-provided buffer of exactly view.numel() floats (validation Error otherwise).
void dequantize_into(const TensorView& view, std::span<float> out);

}  // namespace apr
