// Micro-benchmark of decode's access pattern (not a test): one token against packed int8 matrices
// that do not fit in any cache, as decode streams every weight once per token. For each packed
// type, copies of 0.5B-shaped matrices (896 x 4864 and 4864 x 896 alternating; Q4_K and Q6_K:
// 896 x 4864 only) fill about 384 MB; a pass multiplies one token with each in turn on one
// thread, with the kernel decode uses (AVX-512 VNNI where the CPU has it; APR_ENGINE_NO_AVX512=1:
// AVX2). Prints, per type, the packed bytes streamed per second next to a plain read of the same
// bytes in the same run (the single-thread roofline) and their ratio: the share of the memory
// bandwidth the kernel keeps. Medians of 5 passes. Results: docs/performance.md.
//   bench_engine_int8_stream [type ...]     (default: every packed type)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "engine/act_quant.hpp"
#include "engine/int8_pack.hpp"
#include "tensor/quantize.hpp"

using namespace apr;
using namespace apr::engine;

namespace {

constexpr std::size_t kTarget = 384ull << 20;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The plain read of the same bytes (as bench_membw reads: vector loads, independent sums).
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
std::uint64_t sum_words(const std::uint64_t* p, std::size_t n) {
  std::uint64_t acc[16] = {};
  for (std::size_t i = 0; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) acc[l] += p[i + l];
  std::uint64_t s = 0;
  for (auto a : acc) s ^= a;
  return s;
}

double read_pass(const std::vector<Int8Packed>& ms) {
  const auto t0 = std::chrono::steady_clock::now();
  std::uint64_t acc = 0;
  for (const auto& m : ms) acc += sum_words(reinterpret_cast<const std::uint64_t*>(m.data.get()), m.bytes / 8);
  const double s = seconds_since(t0);
  volatile std::uint64_t keep = acc;
  (void)keep;
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const GgmlType all[] = {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0,
                          GgmlType::Q5_1, GgmlType::Q4_K, GgmlType::Q6_K};
  std::vector<GgmlType> types;
  for (int i = 1; i < argc; ++i)
    for (auto t : all)
      if (dtype_name(t) == argv[i]) types.push_back(t);
  if (types.empty()) types.assign(std::begin(all), std::end(all));
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  std::printf("one token, one thread, ~%zu MB of packed weights per pass (median of 5)\n", kTarget >> 20);
  std::printf("%-5s %10s %10s %7s\n", "type", "kernel", "read", "share");
  for (auto t : types) {
    // Q4_K and Q6_K need rows of a multiple of 256 values: only ffn_down's shape there.
    std::vector<std::pair<std::int64_t, std::int64_t>> shapes;  // rows, cols
    for (auto s : {std::pair<std::int64_t, std::int64_t>{896, 4864}, {4864, 896}})
      if (int8_packable(t, s.second)) shapes.push_back(s);
    if (shapes.empty()) continue;
    std::vector<std::vector<std::uint8_t>> src;  // one quantized matrix per shape, packed many times
    for (auto [rows, n] : shapes) {
      std::vector<float> w(static_cast<std::size_t>(rows * n));
      for (auto& v : w) v = 0.05f * nd(rng);
      const auto q = apr::quantize(t, w, n);
      src.emplace_back(reinterpret_cast<const std::uint8_t*>(q.data()),
                       reinterpret_cast<const std::uint8_t*>(q.data()) + q.size());
    }
    std::vector<Int8Packed> ms;
    std::size_t bytes = 0;
    for (std::size_t k = 0; bytes < kTarget; ++k) {
      const auto [rows, n] = shapes[k % shapes.size()];
      const auto& q = src[k % shapes.size()];
      ms.push_back(int8_pack(t, Int8Rows{q.data(), q.size() / static_cast<std::size_t>(rows)}, rows, n));
      bytes += ms.back().bytes;
    }
    std::vector<float> x(4864);
    for (auto& v : x) v = nd(rng);
    QuantizedActs a896, a4864;
    quantize_acts(x.data(), 896, 1, 896, a896);
    quantize_acts(x.data(), 4864, 1, 4864, a4864);
    std::vector<float> y(4864);
    std::vector<double> ks, rs;
    for (int r = 0; r < 5; ++r) {
      auto t0 = std::chrono::steady_clock::now();
      for (const auto& m : ms) int8_packed_rows(m, 0, m.rows, m.cols == 896 ? a896 : a4864, 0, 1, y.data(), m.rows);
      ks.push_back(seconds_since(t0));
      rs.push_back(read_pass(ms));
    }
    std::sort(ks.begin(), ks.end());
    std::sort(rs.begin(), rs.end());
    const double gk = static_cast<double>(bytes) / ks[2] * 1e-9, gr = static_cast<double>(bytes) / rs[2] * 1e-9;
    std::printf("%-5s %7.1f GB/s %5.1f GB/s %6.0f %%\n", std::string(dtype_name(t)).c_str(), gk, gr, 100 * gk / gr);
  }
  return 0;
}
