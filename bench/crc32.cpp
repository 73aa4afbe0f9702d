// Benchmark: CRC-32 throughput, ours (crc32_update: PCLMULQDQ folding where available) next to
// zlib's crc32 (crc32_update_zlib), alternating on the same buffers.
//
// Two working sets: 256 KiB (cache-resident: the compute ceiling) and 256 MiB (streamed from
// memory, like a footer CRC over a large file). Each measurement runs the loop over about
// 1 GiB of data and reports GB/s from the thread's CPU time (so time stolen by other processes
// on a shared machine does not count) and from wall time; medians over --runs.
// Both results are checked equal on every run.
//   bench_crc32 [--runs N]   (default 5)
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <vector>

#include "core/hash.hpp"

using namespace apr;

namespace {

double cpu_now() {
  timespec t{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}
double wall_now() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}
double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

struct Sample {
  double cpu_gbs, wall_gbs;
  std::uint32_t crc;
};

Sample measure(std::uint32_t (*f)(std::uint32_t, std::span<const std::byte>) noexcept,
               const std::vector<std::byte>& buf, std::size_t reps) {
  const double c0 = cpu_now(), w0 = wall_now();
  std::uint32_t s = crc32_init();
  for (std::size_t i = 0; i < reps; ++i) s = f(s, buf);
  const double c1 = cpu_now(), w1 = wall_now();
  const double gb = static_cast<double>(buf.size()) * static_cast<double>(reps) / 1e9;
  return {gb / std::max(c1 - c0, 1e-9), gb / std::max(w1 - w0, 1e-9), crc32_final(s)};
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--runs") == 0 && i + 1 < argc) {
      runs = std::max(1, std::atoi(argv[++i]));
    } else {
      std::fprintf(stderr, "usage: bench_crc32 [--runs N]\n");
      return 2;
    }
  }
  std::printf("crc32: ours = crc32_update (%s), zlib = crc32_update_zlib; medians of %d runs\n",
              crc32_vpclmul_available() ? "VPCLMULQDQ folding" : crc32_clmul_available() ? "PCLMULQDQ folding" : "no PCLMULQDQ: zlib fallback", runs);
  std::mt19937_64 rng(42);
  int rc = 0;
  for (std::size_t size : {std::size_t(256) << 10, std::size_t(256) << 20}) {
    std::vector<std::byte> buf(size);
    for (std::size_t i = 0; i + 8 <= size; i += 8) {
      const std::uint64_t r = rng();
      std::memcpy(buf.data() + i, &r, 8);
    }
    const std::size_t reps = std::max<std::size_t>(1, (std::size_t(1) << 30) / size);
    std::vector<double> oc, ow, zc, zw;
    for (int r = 0; r < runs; ++r) {
      const Sample o = measure(&crc32_update, buf, reps);
      const Sample z = measure(&crc32_update_zlib, buf, reps);
      if (o.crc != z.crc) {
        std::fprintf(stderr, "MISMATCH at %zu bytes: ours %08x zlib %08x\n", size, o.crc, z.crc);
        rc = 1;
      }
      oc.push_back(o.cpu_gbs);
      ow.push_back(o.wall_gbs);
      zc.push_back(z.cpu_gbs);
      zw.push_back(z.wall_gbs);
    }
    std::printf("%9zu KiB x %4zu: ours %6.2f GB/s (wall %6.2f)  zlib %6.2f GB/s (wall %6.2f)  speedup %.2fx\n",
                size >> 10, reps, median(oc), median(ow), median(zc), median(zw), median(oc) / median(zc));
  }
  return rc;
}
