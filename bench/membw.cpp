// Memory read bandwidth of this machine (not a test): the roofline for decode, which streams
// every weight once per token. Reads a 1 GiB buffer (page-faulted in first) with 1 and 2 threads
// (or THREADS), each summing its share with 16 independent f32 accumulators (the compiler
// vectorises them); prints the median of 5 passes in GB/s (1e9 bytes/s) as JSON.
//   bench_membw [THREADS...]        (default: 1 2)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

namespace {

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target_clones("avx512f", "avx2", "default")))
#endif
float sum_floats(const float* p, std::size_t n) {
  float acc[16] = {};
  for (std::size_t i = 0; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) acc[l] += p[i + l];
  float s = 0;
  for (float a : acc) s += a;
  return s;
}

double pass(const std::vector<float>& buf, int threads) {
  const std::size_t per = buf.size() / static_cast<std::size_t>(threads);
  std::vector<float> sink(static_cast<std::size_t>(threads));
  const auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t)
    ts.emplace_back([&, t] { sink[static_cast<std::size_t>(t)] = sum_floats(buf.data() + per * static_cast<std::size_t>(t), per); });
  for (auto& th : ts) th.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  volatile float keep = sink[0];
  (void)keep;
  return static_cast<double>(per * static_cast<std::size_t>(threads) * sizeof(float)) / s / 1e9;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads;
  for (int i = 1; i < argc; ++i) threads.push_back(std::max(1, std::atoi(argv[i])));
  if (threads.empty()) threads = {1, 2};
  std::vector<float> buf((std::size_t{1} << 30) / sizeof(float), 1.0f);  // written: resident
  std::string out = "{";
  for (std::size_t k = 0; k < threads.size(); ++k) {
    std::vector<double> r;
    for (int i = 0; i < 5; ++i) r.push_back(pass(buf, threads[k]));
    std::sort(r.begin(), r.end());
    out += (k ? ", " : "") + std::string("\"read_gbps_") + std::to_string(threads[k]) + "t\": " + std::to_string(r[2]);
  }
  std::printf("%s}\n", out.c_str());
}
