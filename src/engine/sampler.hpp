// apr-qa engine: token sampling with a seeded, library-independent RNG.
//
// Rng is xoshiro256** seeded through splitmix64 (same stream on every platform and standard
// library). sample():
//   temperature <= 0 -> argmax (lowest id among equal maxima), no RNG draw;
//   else z = logit / temperature; candidates sorted by z descending (ties: lower id first);
//   top_k > 0 keeps the first top_k; probabilities = softmax in double over the kept set;
//   top_p < 1 keeps the shortest prefix whose cumulative probability >= top_p (at least one);
//   one uniform double u in [0,1) picks the first candidate whose cumulative mass exceeds
//   u * (kept mass).
#pragma once

#include <cstdint>
#include <span>

namespace apr::engine {

class Rng {
 public:
  explicit Rng(std::uint64_t seed);
  std::uint64_t next();
  double uniform();  // [0, 1) with 53 random bits

 private:
  std::uint64_t s_[4];
};

struct SamplerParams {
  double temperature = 0;
  int top_k = 0;
  double top_p = 1.0;
};

std::int32_t argmax(std::span<const float> logits);
std::int32_t sample(std::span<const float> logits, const SamplerParams& p, Rng& rng);

}  // namespace apr::engine
