// apr-qa engine, fast mode (non-reference): activations quantized to int8 for the integer dot
// kernels (int8_dot.hpp).
//
// Each row of n activations (n % 32 == 0) is cut into blocks of 32: d = amax / 127 (f32; 0 for an
// all-zero block), q = round-to-nearest-even(x / d) clamped to [-127, 127]. Every kernel type uses
// this one format, the K-quants too (finer than llama.cpp's one scale per 256 for them, and a row
// is quantized once however many weight types share it). Per row, for the kernels:
//   q   int8, padded with zeros to a multiple of 64 (a "pair" of blocks: one 512-bit vector);
//   d   f32 per block (a padding block has d = 0);
//   gs  int32 per 16-value group: minus the sum of its q (the offset correction of weights stored
//       with a bias, e.g. Q4_0's q - 8, and the group sums the K-quants need);
//   s   f32 per block: d * (sum of its q) (the min term of Q4_1/Q5_1/Q4_K).
// The quantization error per value is at most d / 2 = amax / 254 of its block.
#pragma once

#include <cstdint>
#include <vector>

namespace apr::engine {

struct QuantizedActs {
  std::int64_t n = 0;       // values per row (a multiple of 32)
  std::int64_t pairs = 0;   // ceil(n / 64)
  std::int64_t tokens = 0;  // rows
  std::vector<std::int8_t> q;    // [tokens][pairs * 64]
  std::vector<float> d;          // [tokens][pairs * 2]
  std::vector<std::int32_t> gs;  // [tokens][pairs * 4]
  std::vector<float> s;          // [tokens][pairs * 2]

  const std::int8_t* q_row(std::int64_t t) const { return q.data() + t * pairs * 64; }
  const float* d_row(std::int64_t t) const { return d.data() + t * pairs * 2; }
  const std::int32_t* gs_row(std::int64_t t) const { return gs.data() + t * pairs * 4; }
  const float* s_row(std::int64_t t) const { return s.data() + t * pairs * 2; }
};

// Quantizes rows t = 0..T-1 of x (row t at x + t * ldx, n values each; n % 32 == 0) into out
// (buffers reused when large enough). Non-finite inputs give d = inf/NaN and non-finite results,
// as in any int8 scheme; the caller's logits then show it. AVX-512 where the CPU has it, with the
// portable loop's bits (portable = true forces the loop, for the tests).
void quantize_acts(const float* x, std::int64_t ldx, std::int64_t T, std::int64_t n, QuantizedActs& out,
                   bool portable = false);

}  // namespace apr::engine
