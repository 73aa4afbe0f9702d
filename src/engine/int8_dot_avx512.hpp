// apr-qa engine (internal): the AVX-512 VNNI kernels of int8_dot.hpp (same operations, same bits
// as its scalar kernel). Call only where int8_avx512_available().
#pragma once

#include <cstddef>
#include <cstdint>

#include "engine/act_quant.hpp"
#include "engine/int8_dot.hpp"
#include "tensor/dtype.hpp"

namespace apr::engine {

// Whether the CPU has AVX-512F/BW/VL and AVX-512 VNNI (F16C is checked by the caller).
bool int8_avx512_cpu() noexcept;

void int8_rows_avx512(GgmlType type, const Int8Rows& w, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                      std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept;

struct Int8Packed;
// The packed matrices' kernels (int8_pack.hpp): AVX-512 VNNI, and AVX2 + FMA + F16C
// (int8_packed_avx2_cpu() says whether the CPU has AVX2 and FMA; F16C is checked by the caller).
bool int8_packed_avx2_cpu() noexcept;
void int8_packed_rows_avx2(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                           std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept;
void int8_packed_rows_avx512(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                             std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept;

}  // namespace apr::engine
