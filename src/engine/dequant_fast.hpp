// apr-qa engine: vectorisable dequantization kernels for the engine's hot 32-element types
// (Q4_0, Q4_1), where the tensor layer's kernels do not vectorise (AVX2 when the CPU has it,
// else portable loops).
//
// Contract: bit-identical to apr::dequantize_row for every input (same ggml formula and
// operation order per element, no FMA): Q4_0 y = (q - 8) * d; Q4_1 y = q * d + m, with d and m
// converted by fp16_to_fp32. Checked against dequantize_row in tests/engine. Returns false for
// any other type (the caller then uses the tensor layer).
#pragma once

#include <cstddef>
#include <cstdint>

#include "tensor/dtype.hpp"

namespace apr::engine {

bool dequantize_fast(GgmlType t, const std::byte* src, float* dst, std::int64_t n) noexcept;

// Fused dequantize-and-dot of one stored row w (n elements) with x: *out is bit-identical to
// dot(dequantized w, x, n) (kernels.hpp's 32 lanes and tree). Q4_0/Q4_1/Q8_0 on AVX2 CPUs only;
// returns false otherwise (the caller dequantizes and calls dot()).
bool dot_fast(GgmlType t, const std::byte* w, const float* x, std::int64_t n, float* out) noexcept;

}  // namespace apr::engine
