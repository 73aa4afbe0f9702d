// Micro-benchmark of the engine's reference kernels: dequantize_row per dtype and the fixed-lane
// dot product, in ns per element (median of 7 runs). Not a test.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <random>
#include <vector>

#include "engine/kernels.hpp"
#include "engine/weights.hpp"
#include "tensor/quantize.hpp"

using namespace apr;

template <typename F>
double ns_per(F&& f, double elems) {
  std::vector<double> t;
  for (int r = 0; r < 7; ++r) {
    auto a = std::chrono::steady_clock::now();
    f();
    t.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - a).count() / elems);
  }
  std::sort(t.begin(), t.end());
  return t[3];
}

int main() {
  const std::int64_t n = 2048, rows = 2048;
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::vector<float> w(static_cast<std::size_t>(n * rows)), x(static_cast<std::size_t>(n)), tmp(static_cast<std::size_t>(n));
  for (auto& v : w) v = nd(rng);
  for (auto& v : x) v = nd(rng);
  volatile float sink = 0;
  for (auto t : {GgmlType::F32, GgmlType::F16, GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q4_K, GgmlType::Q6_K}) {
    auto q = apr::quantize(t, w, n);
    const auto rb = q.size() / static_cast<std::size_t>(rows);
    double deq = ns_per([&] {
      for (std::int64_t r = 0; r < rows; ++r) engine::dequantize_into(t, q.data() + r * rb, tmp.data(), n);
      sink = sink + tmp[0];
    }, static_cast<double>(n * rows));
    double both = ns_per([&] {
      float s = 0;
      for (std::int64_t r = 0; r < rows; ++r) {
        engine::dequantize_into(t, q.data() + r * rb, tmp.data(), n);
        s += engine::dot(tmp.data(), x.data(), n);
      }
      sink = sink + s;
    }, static_cast<double>(n * rows));
    std::printf("%-5s dequantize %.3f ns/elem, dequantize+dot %.3f ns/elem\n", std::string(dtype_name(t)).c_str(), deq, both);
  }
  double d = ns_per([&] {
    float s = 0;
    for (std::int64_t r = 0; r < rows; ++r) s += engine::dot(w.data() + r * n, x.data(), n);
    sink = sink + s;
  }, static_cast<double>(n * rows));
  std::printf("dot (f32 rows streaming) %.3f ns/elem\n", d);
  return 0;
}
