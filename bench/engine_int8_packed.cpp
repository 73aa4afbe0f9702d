// Micro-benchmark of the fast mode's packed int8 matmul (int8_pack.hpp) per kernel: GMAC per
// CPU second (this thread's CPU time: the machine may be shared) for prefill-sized products (a
// 0.5B model's shapes), median of 5 runs, 1 thread. Not a test.
//   bench_engine_int8_packed [T] [type ...]     (default T = 512, every packed type)
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "engine/act_quant.hpp"
#include "engine/int8_pack.hpp"
#include "tensor/quantize.hpp"

using namespace apr;
using namespace apr::engine;

int main(int argc, char** argv) {
  const std::int64_t T = argc > 1 ? std::atoll(argv[1]) : 512;
  std::vector<GgmlType> types;
  for (int i = 2; i < argc; ++i)
    for (auto t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q4_K,
                   GgmlType::Q6_K})
      if (dtype_name(t) == argv[i]) types.push_back(t);
  if (types.empty())
    types = {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q4_K,
             GgmlType::Q6_K};
  std::mt19937 rng(1);
  std::normal_distribution<float> nd;
  const std::pair<std::int64_t, std::int64_t> shapes[] = {{896, 896}, {4864, 896}, {896, 4864}};  // rows, cols
  std::printf("T = %lld; GMAC per CPU second: avx512 (VNNI) / amx%s\n", static_cast<long long>(T),
              int8_amx_available() ? "" : " (AMX unavailable: runs as best)");
  for (auto t : types)
    for (auto [rows, n] : shapes) {
      if (!int8_packable(t, n)) continue;
      std::vector<float> w(static_cast<std::size_t>(rows * n)), x(static_cast<std::size_t>(T * n));
      for (auto& v : w) v = 0.05f * nd(rng);
      for (auto& v : x) v = nd(rng);
      const auto q = apr::quantize(t, w, n);
      const Int8Packed p = int8_pack(t, Int8Rows{reinterpret_cast<const std::uint8_t*>(q.data()), q.size() / static_cast<std::size_t>(rows)}, rows, n);
      QuantizedActs a;
      quantize_acts(x.data(), n, T, n, a);
      std::vector<float> y(static_cast<std::size_t>(T * rows));
      std::printf("%-5s %5lld x %5lld:", std::string(dtype_name(t)).c_str(), static_cast<long long>(rows),
                  static_cast<long long>(n));
      for (auto isa : {Int8Isa::avx512, Int8Isa::amx}) {
        std::vector<double> s;
        for (int r = 0; r < 5; ++r) {
          timespec b{}, e{};
          clock_gettime(CLOCK_THREAD_CPUTIME_ID, &b);
          int8_packed_rows(p, 0, rows, a, 0, T, y.data(), rows, isa);
          clock_gettime(CLOCK_THREAD_CPUTIME_ID, &e);
          s.push_back(static_cast<double>(e.tv_sec - b.tv_sec) + 1e-9 * static_cast<double>(e.tv_nsec - b.tv_nsec));
        }
        std::sort(s.begin(), s.end());
        std::printf(" %7.1f", static_cast<double>(rows * n * T) / s[2] * 1e-9);
      }
      std::printf("\n");
    }
  return 0;
}
