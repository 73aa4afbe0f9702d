// Benchmark (not a test): single-thread dequantization throughput per supported dtype, in GB/s
// of f32 output, and reference-quantizer throughput in MB/s of f32 input.
//
//   bench_dequant [--mb N] [--runs N] [--quant-mb N] [--types Q4_K,Q8_0,...]
//
// The dequantization buffer holds N MB of f32 output (default 64, far larger than L2) so the
// numbers include streaming the quantized input from memory. Each figure is the median of
// --runs timed passes (default 7) after one warm-up pass, both in wall-clock time and in thread
// CPU time (the latter is robust when other processes share the cores). Input data are N(0,1) floats quantized
// once with apr-qa's own reference quantizers.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#include "tensor/dequantize.hpp"
#include "tensor/dtype.hpp"
#include "tensor/fp16.hpp"
#include "tensor/quantize.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::int64_t mb = 64;
  std::int64_t quant_mb = 16;
  int runs = 7;
  std::vector<apr::GgmlType> types;
};

void usage() {
  std::printf(
      "usage: bench_dequant [--mb N] [--runs N] [--quant-mb N] [--types T1,T2,...]\n"
      "  --mb N        MB of f32 output per dequantization pass (default 64)\n"
      "  --quant-mb N  MB of f32 input per quantization pass (default 16)\n"
      "  --runs N      timed passes per figure; the median is reported (default 7, minimum 5)\n"
      "  --types LIST  comma-separated dtype names (default: every supported type)\n");
}

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        usage();
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--mb") o.mb = std::stoll(next());
    else if (a == "--quant-mb") o.quant_mb = std::stoll(next());
    else if (a == "--runs") o.runs = std::max(5, std::stoi(next()));
    else if (a == "--types") {
      std::string list = next();
      std::size_t p = 0;
      while (p <= list.size()) {
        const std::size_t q = std::min(list.find(',', p), list.size());
        const auto t = apr::dtype_from_name(list.substr(p, q - p));
        if (!t || !apr::dtype_info(*t).supported) {
          std::fprintf(stderr, "bench_dequant: unknown or unsupported dtype '%s'\n", list.substr(p, q - p).c_str());
          std::exit(2);
        }
        o.types.push_back(*t);
        p = q + 1;
      }
    } else if (a == "--help" || a == "-h") {
      usage();
      std::exit(0);
    } else {
      std::fprintf(stderr, "bench_dequant: unknown option '%s'\n", a.c_str());
      usage();
      std::exit(2);
    }
  }
  if (o.types.empty()) {
    for (const char* n : {"F32", "F16", "BF16", "Q8_0", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q2_K", "Q3_K", "Q4_K",
                          "Q5_K", "Q6_K"}) {
      o.types.push_back(*apr::dtype_from_name(n));
    }
  }
  return o;
}

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
}

struct Timing {
  double wall = 0;  // median wall-clock seconds
  double cpu = 0;   // median thread CPU seconds (excludes time the thread was descheduled)
};

template <class F>
Timing median_seconds(int runs, F&& f) {
  f();  // warm-up: page in buffers, settle caches
  std::vector<double> w, c;
  for (int r = 0; r < runs; ++r) {
    const double c0 = thread_cpu_seconds();
    const auto t0 = Clock::now();
    f();
    w.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    c.push_back(thread_cpu_seconds() - c0);
  }
  std::sort(w.begin(), w.end());
  std::sort(c.begin(), c.end());
  return {w[w.size() / 2], c[c.size() / 2]};
}

std::vector<float> gaussian(std::size_t n) {
  std::mt19937 rng(42);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(n);
  for (auto& v : x) v = nd(rng);
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  const std::int64_t n = (o.mb << 20) / 4 / 256 * 256;            // output elements
  const std::int64_t nq = (o.quant_mb << 20) / 4 / 256 * 256;     // quantizer input elements
  const std::int64_t row = 4096;                                  // elements per dequantize_row call
  std::printf("apr-qa dequantization benchmark: 1 thread, %lld MB f32 output per pass, median of %d runs\n",
              static_cast<long long>(o.mb), o.runs);
  std::printf("F16C fast path: %s\n\n", apr::fp16_simd_available() ? "yes" : "no");
  std::printf("wall = median wall-clock time; cpu = median thread CPU time (robust on a loaded host)\n");
  std::printf("%-6s %14s %14s %14s %14s\n", "dtype", "deq GB/s wall", "deq GB/s cpu", "quant MB/s wall",
              "quant MB/s cpu");

  const std::vector<float> src = gaussian(static_cast<std::size_t>(n));
  std::vector<float> out(static_cast<std::size_t>(n));
  double sink = 0;
  for (apr::GgmlType t : o.types) {
    const std::vector<std::byte> q = apr::quantize(t, src, row);
    const std::uint64_t rb = apr::row_bytes(t, row);
    const Timing s = median_seconds(o.runs, [&] {
      for (std::int64_t r = 0; r < n / row; ++r) {
        apr::dequantize_row(t, q.data() + static_cast<std::uint64_t>(r) * rb, out.data() + r * row, row);
      }
    });
    sink += out[static_cast<std::size_t>(n / 3)];
    const double bytes_out = static_cast<double>(n) * 4;

    std::vector<std::byte> qout(apr::row_bytes(t, static_cast<std::uint64_t>(nq)));
    const Timing sq = median_seconds(o.runs, [&] { apr::quantize_row(t, src.data(), qout.data(), nq); });
    sink += static_cast<double>(qout[qout.size() / 2]);
    const double bytes_in = static_cast<double>(nq) * 4;
    std::printf("%-6s %14.2f %14.2f %14.1f %14.1f\n", std::string(apr::dtype_name(t)).c_str(), bytes_out / s.wall / 1e9,
                bytes_out / s.cpu / 1e9, bytes_in / sq.wall / 1e6, bytes_in / sq.cpu / 1e6);
  }
  std::printf("\n(checksum %g)\n", sink);
  return 0;
}
