// apr-qa engine (internal): which blocked prefill product this CPU runs. Every choice gives
// dot()'s bits per value (gemm_avx512.hpp, gemm_avx2.hpp), so the choice changes speed only.
#pragma once

#include <cstdint>

#include "engine/gemm_avx2.hpp"
#include "engine/gemm_avx512.hpp"

namespace apr::engine {

using GemmRows = void (*)(const float* const* w, std::int64_t rows, const float* x, std::int64_t ldx,
                          std::int64_t tokens, std::int64_t n, float* y, std::int64_t ldy) noexcept;

// AVX-512 for n % 16 == 0, else AVX2 for n % 8 == 0, else none (the caller uses dot()).
inline GemmRows gemm_rows_for(std::int64_t n) noexcept {
  if (n % 16 == 0 && gemm_avx512_available()) return &gemm_rows_avx512;
  if (n % 8 == 0 && gemm_avx2_available()) return &gemm_rows_avx2;
  return nullptr;
}

// Scores of one query against nk keys in a cache's rows (gemm_avx512.hpp key_scores_avx512), each
// with dot()'s bits; null where no kernel applies (the caller uses gemm_rows_for or dot()).
using KeyScores = void (*)(const float* k, std::int64_t stride, std::int64_t nk, const float* q, std::int64_t n,
                           float* y) noexcept;
inline KeyScores key_scores_for(std::int64_t n) noexcept {
  if (n % 16 == 0 && gemm_avx512_available()) return &key_scores_avx512;
  return nullptr;
}

}  // namespace apr::engine
