// apr-qa engine: vectorisable dequantization kernels for the engine's hot 32-element types
// (Q4_0, Q4_1), where the tensor layer's kernels do not vectorise (AVX2 when the CPU has it,
// else portable loops), and fused dequantize+dot kernels (Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q6_K).
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

// ISA level of the fused kernels: best = the widest this CPU has (AVX-512F+F16C, else AVX2; the
// environment variable APR_ENGINE_NO_AVX512, when set, makes best skip AVX-512 — every level
// gives the same bits, so it only changes speed);
// avx2/avx512 force one level (false when the CPU lacks it) so tests can check every level.
enum class FusedIsa { best, avx2, avx512 };

// Fused dequantize-and-dot of one stored row w (n elements) with x: *out is bit-identical to
// dot(dequantized w, x, n) (kernels.hpp's 32 lanes and tree) at every ISA level. Q4_0/Q4_1/Q8_0/BF16
// on AVX2 or AVX-512 CPUs, Q5_0/Q5_1/Q4_K/Q6_K/F16 on AVX-512 or AVX2+F16C CPUs (F16/BF16 rows
// whose length is a multiple of 32); returns false otherwise (the caller dequantizes and calls dot()).
bool dot_fast(GgmlType t, const std::byte* w, const float* x, std::int64_t n, float* out,
              FusedIsa isa = FusedIsa::best) noexcept;

// dot_fast for `rows` consecutive stored rows starting at w, `stride` bytes apart:
// out[r] = dot_fast(row r). One dispatch for the whole range (decode's matrix-vector products).
bool dot_fast_rows(GgmlType t, const std::byte* w, std::size_t stride, std::int64_t rows, const float* x,
                   std::int64_t n, float* out) noexcept;

}  // namespace apr::engine
