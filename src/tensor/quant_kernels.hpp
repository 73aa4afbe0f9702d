// apr-qa tensor layer (internal): per-type reference quantizer kernels (quantize_legacy.cpp,
// quantize_kquants.cpp). Each takes nb blocks of
// input (32 floats for the legacy types, 256 for K-quants) and writes nb packed blocks.
// quantize.cpp validates arguments and dispatches; see quantize.hpp for the contract.
#pragma once

#include <cstdint>

namespace apr::quant {

void quantize_q8_0(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q4_0(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q4_1(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q5_0(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q5_1(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;

// IQ4_NL as ggml_quantize_chunk makes it without an importance matrix (quantize_iq4_nl.cpp).
void quantize_iq4_nl(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;

void quantize_q2_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q3_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q4_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q5_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;
void quantize_q6_k(const float* x, std::uint8_t* y, std::int64_t nb) noexcept;

}  // namespace apr::quant
