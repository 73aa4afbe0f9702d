// Unit tests of the engine's reference kernels against their direct formulas.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/kernels.hpp"

using namespace apr::engine;

namespace {
std::vector<float> randv(std::size_t n, unsigned seed, float sc = 1.0f) {
  std::mt19937 r(seed);
  std::normal_distribution<float> d(0, sc);
  std::vector<float> v(n);
  for (auto& x : v) x = d(r);
  return v;
}
}  // namespace

TEST_CASE("dot: close to the exact sum and follows the documented lane order bit for bit") {
  for (std::size_t n : {1u, 7u, 31u, 32u, 33u, 100u, 576u, 4864u}) {
    auto a = randv(n, 1 + n), b = randv(n, 2 + n);
    double exact = 0, mag = 0;
    for (std::size_t i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];
      mag += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    const float d = dot(a.data(), b.data(), static_cast<std::int64_t>(n));
    CHECK(std::fabs(d - exact) <= 1e-6 * mag + 1e-30);
    // The contract: lane i % kLanes, then a halving tree.
    float acc[kLanes] = {};
    for (std::size_t i = 0; i < n; ++i) acc[i % kLanes] += a[i] * b[i];
    for (int w = kLanes / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
    CHECK(d == acc[0]);
  }
}

TEST_CASE("rmsnorm matches x / sqrt(mean(x^2) + eps) * w") {
  auto x = randv(576, 3, 5.0f), w = randv(576, 4);
  std::vector<float> y(576);
  rmsnorm(x.data(), w.data(), y.data(), 576, 1e-5);
  double ss = 0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const double s = 1.0 / std::sqrt(ss / 576 + 1e-5);
  for (std::size_t i = 0; i < 576; ++i) CHECK(std::fabs(y[i] - x[i] * s * w[i]) <= 1e-6 * (std::fabs(x[i] * s * w[i]) + 1e-6));
}

TEST_CASE("rope_neox rotates pairs (i, i+d/2) by pos * theta^(-2i/d) and keeps the norm") {
  const std::int64_t d = 64;
  std::vector<double> inv(d / 2);
  for (std::int64_t i = 0; i < d / 2; ++i) inv[i] = std::pow(10000.0, -2.0 * i / d);
  auto x = randv(d, 5);
  for (std::int64_t pos : {0, 1, 17, 1000}) {
    auto y = x;
    rope_neox(y.data(), d, pos, inv.data());
    double n0 = 0, n1 = 0;
    for (std::int64_t i = 0; i < d / 2; ++i) {
      const double th = pos * std::pow(10000.0, -2.0 * i / d);
      const double e0 = x[i] * std::cos(th) - x[i + d / 2] * std::sin(th);
      const double e1 = x[i] * std::sin(th) + x[i + d / 2] * std::cos(th);
      CHECK(std::fabs(y[i] - e0) < 1e-5);
      CHECK(std::fabs(y[i + d / 2] - e1) < 1e-5);
    }
    for (std::int64_t i = 0; i < d; ++i) { n0 += x[i] * x[i]; n1 += y[i] * y[i]; }
    CHECK(std::fabs(n0 - n1) < 1e-4 * n0);
    if (pos == 0) CHECK(y == x);
  }
}

TEST_CASE("softmax matches exp(x - max) / sum and survives large inputs") {
  auto x = randv(50, 6, 10.0f);
  x[3] = 1e4f;  // would overflow without the max shift
  auto y = x;
  softmax(y.data(), 50);
  double mx = -1e30, sum = 0;
  for (float v : x) mx = std::max<double>(mx, v);
  for (float v : x) sum += std::exp(v - mx);
  for (std::size_t i = 0; i < 50; ++i) CHECK(std::fabs(y[i] - std::exp(x[i] - mx) / sum) < 1e-6);
  CHECK(y[3] == doctest::Approx(1.0));
}

TEST_CASE("swiglu is silu(g) * u") {
  auto g = randv(100, 7, 3.0f), u = randv(100, 8);
  std::vector<float> y(100);
  swiglu(g.data(), u.data(), y.data(), 100);
  for (std::size_t i = 0; i < 100; ++i) {
    const double e = g[i] / (1 + std::exp(-static_cast<double>(g[i]))) * u[i];
    CHECK(std::fabs(y[i] - e) < 1e-5 * (std::fabs(e) + 1e-3));
  }
}

#include <cstring>

#include "engine/dequant_fast.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/quantize.hpp"

TEST_CASE("engine's fast Q4_0/Q4_1 dequantization is bit-identical to the tensor layer's") {
  for (auto t : {apr::GgmlType::Q4_0, apr::GgmlType::Q4_1}) {
    auto x = randv(64 * 96, 9, 3.0f);
    x[5] = 0.0f;
    x[100] = -1e4f;
    auto q = apr::quantize(t, x, 64 * 96);
    // Also random bytes (arbitrary scales, including inf/NaN halves).
    std::mt19937 r(3);
    std::vector<std::byte> raw(q.size());
    for (auto& b : raw) b = static_cast<std::byte>(r() & 0xFF);
    for (const auto* src : {&q, &raw}) {
      std::vector<float> a(64 * 96), b(64 * 96);
      REQUIRE(dequantize_fast(t, src->data(), a.data(), 64 * 96));
      apr::dequantize_row(t, src->data(), b.data(), 64 * 96);
      CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
    }
  }
  std::vector<float> out(32);
  std::vector<std::byte> b(64);
  CHECK_FALSE(dequantize_fast(apr::GgmlType::Q8_0, b.data(), out.data(), 32));
}

TEST_CASE("dot4 equals four dot() calls bit for bit") {
  for (std::size_t n : {1u, 31u, 32u, 45u, 576u, 4864u}) {
    auto w = randv(n, 20 + n);
    std::vector<std::vector<float>> xs;
    for (unsigned k = 0; k < 4; ++k) xs.push_back(randv(n, 30 + k + n));
    const float* xp[4] = {xs[0].data(), xs[1].data(), xs[2].data(), xs[3].data()};
    float out[4];
    dot4(w.data(), xp, static_cast<std::int64_t>(n), out);
    for (int k = 0; k < 4; ++k) CHECK(out[k] == dot(w.data(), xp[k], static_cast<std::int64_t>(n)));
  }
}

TEST_CASE("fused Q4_0/Q4_1/Q8_0 dequantize+dot equals dot(dequantized row, x) bit for bit") {
  for (auto t : {apr::GgmlType::Q4_0, apr::GgmlType::Q4_1, apr::GgmlType::Q8_0}) {
    for (std::int64_t n : {32, 576, 1536}) {
      auto w = randv(static_cast<std::size_t>(n), 40 + static_cast<unsigned>(n), 2.0f);
      auto x = randv(static_cast<std::size_t>(n), 50 + static_cast<unsigned>(n));
      auto q = apr::quantize(t, w, n);
      std::vector<float> deq(static_cast<std::size_t>(n));
      apr::dequantize_row(t, q.data(), deq.data(), n);
      float fused = 0;
      if (dot_fast(t, q.data(), x.data(), n, &fused)) CHECK(fused == dot(deq.data(), x.data(), n));
      else MESSAGE("no fused kernel on this CPU for " << apr::dtype_name(t));
    }
  }
}
