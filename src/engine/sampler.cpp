#include "engine/sampler.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <vector>

namespace apr::engine {

namespace {
std::uint64_t splitmix64(std::uint64_t& x) {
  std::uint64_t z = (x += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
inline std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
}  // namespace

Rng::Rng(std::uint64_t seed) {
  std::uint64_t x = seed;
  for (auto& s : s_) s = splitmix64(x);
}

std::uint64_t Rng::next() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

std::int32_t argmax(std::span<const float> logits) {
  std::size_t best = 0;
  for (std::size_t i = 1; i < logits.size(); ++i)
    if (logits[i] > logits[best]) best = i;
  return static_cast<std::int32_t>(best);
}

std::int32_t sample(std::span<const float> logits, const SamplerParams& p, Rng& rng) {
  if (!(p.temperature > 0)) return argmax(logits);
  std::vector<std::int32_t> idx(logits.size());
  std::iota(idx.begin(), idx.end(), 0);
  auto by_logit = [&](std::int32_t a, std::int32_t b) {
    const float la = logits[static_cast<std::size_t>(a)], lb = logits[static_cast<std::size_t>(b)];
    return la > lb || (la == lb && a < b);
  };
  std::size_t keep = idx.size();
  if (p.top_k > 0 && static_cast<std::size_t>(p.top_k) < keep) {
    keep = static_cast<std::size_t>(p.top_k);
    std::partial_sort(idx.begin(), idx.begin() + static_cast<std::ptrdiff_t>(keep), idx.end(), by_logit);
  } else {
    std::sort(idx.begin(), idx.end(), by_logit);
  }
  const double inv_t = 1.0 / p.temperature;
  const double zmax = static_cast<double>(logits[static_cast<std::size_t>(idx[0])]) * inv_t;
  std::vector<double> prob(keep);
  double sum = 0;
  for (std::size_t i = 0; i < keep; ++i) {
    prob[i] = std::exp(static_cast<double>(logits[static_cast<std::size_t>(idx[i])]) * inv_t - zmax);
    sum += prob[i];
  }
  double mass = 0;
  std::size_t n = keep;
  if (p.top_p < 1.0) {
    for (std::size_t i = 0; i < keep; ++i) {
      mass += prob[i] / sum;
      if (mass >= p.top_p) {
        n = i + 1;
        break;
      }
    }
  }
  double kept = 0;
  for (std::size_t i = 0; i < n; ++i) kept += prob[i];
  const double target = rng.uniform() * kept;
  double cum = 0;
  for (std::size_t i = 0; i < n; ++i) {
    cum += prob[i];
    if (cum > target) return idx[i];
  }
  return idx[n - 1];
}

}  // namespace apr::engine
