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
// AMX-INT8 (int8_pack_amx.cpp): int8_amx_cpu() says whether the CPU has AMX-TILE and AMX-INT8 and
// the OS granted this process the tile state (asked once); the kernel needs int8_avx512_available()
// too (tokens past the last whole 16-token tile go to the VNNI kernel).
bool int8_amx_cpu() noexcept;
void int8_packed_rows_amx(const Int8Packed& p, std::int64_t r0, std::int64_t r1, const QuantizedActs& a,
                          std::int64_t t0, std::int64_t T, float* y, std::int64_t ldy) noexcept;
// Frees the calling thread's AMX scratch (activations of a 128-token chunk and one group's
// unpacked weights, up to ~1 MB): called by decode steps, so that it does not stay resident.
void int8_packed_amx_trim() noexcept;

}  // namespace apr::engine
