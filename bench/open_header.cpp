// Benchmark: header-only open of >= 1 GB model files (GGUF, SafeTensors, APR).
//
// For each format it creates (once, reused afterwards) a synthetic model of ~1.1 GB in
// $APR_QA_BENCH_DIR (default /tmp/apr-qa-bench) — GGUF with a realistic tokenizer header (49152
// tokens, 48900 merges) — then measures Reader::open (map + parse + validate):
//   cold: the file's page cache is dropped with posix_fadvise(DONTNEED) before every open;
//   warm: opened again with the header pages cached.
// After each cold open it counts, with mincore(), how many pages of the *data region* became
// resident: header-only opening must leave them untouched (kernel readahead around the header may
// bring in a few neighbouring pages; the number is reported, not hidden).
// APR is measured twice: verify_data_crc=false (header CRC only) and true (footer CRC over the
// whole file, which necessarily reads every page).
// Usage: bench_open_header [--runs N] [--model PATH ...]   (extra GGUF/ST/APR files to measure)
// Prints medians; goal: header-only open < 5 ms with the data pages untouched.
#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "formats/apr.hpp"
#include "formats/detect.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"

using namespace apr;
namespace fs = std::filesystem;

namespace {

constexpr int kTensors = 32;
constexpr std::int64_t kRows = 4096, kCols = 4096;  // F16 4096x4096 = 32 MiB each -> 1 GiB

void fill(std::span<std::byte> d) {
  for (std::size_t i = 0; i < d.size(); ++i) d[i] = static_cast<std::byte>((i * 2654435761u) >> 24);
}

void drop_cache(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return;
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
  ::close(fd);
}

// Resident pages of [begin, end) of a mapping.
std::pair<std::uint64_t, std::uint64_t> resident(const std::byte* base, std::uint64_t begin, std::uint64_t end) {
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::uint64_t a = (begin + page - 1) / page * page;  // first whole page of the region
  if (end <= a) return {0, 0};
  std::uint64_t n = (end - a + page - 1) / page;
  std::vector<unsigned char> v(n);
  if (::mincore(const_cast<std::byte*>(base) + a, end - a, v.data()) != 0) return {~0ull, n};
  std::uint64_t r = 0;
  for (auto c : v) r += c & 1;
  return {r, n};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void make_gguf(const fs::path& p) {
  gguf::Writer w;
  w.add_kv("general.architecture", gguf::Value::str("llama"));
  w.add_kv("general.name", gguf::Value::str("apr-qa synthetic 1GB"));
  std::vector<std::string> tokens, merges;
  for (int i = 0; i < 49152; ++i) tokens.push_back("tok_" + std::to_string(i));
  for (int i = 0; i < 48900; ++i) merges.push_back("m" + std::to_string(i) + " x");
  w.add_kv("tokenizer.ggml.tokens", gguf::Value::str_array(tokens));
  w.add_kv("tokenizer.ggml.merges", gguf::Value::str_array(merges));
  w.add_kv("tokenizer.ggml.token_type", gguf::Value::i32_array(std::vector<std::int64_t>(49152, 1)));
  for (int k = 0; k < kTensors; ++k) w.add_tensor("blk." + std::to_string(k) + ".w", GgmlType::F16, {kRows, kCols}, fill);
  w.write(p);
}
void make_st(const fs::path& p) {
  safetensors::Writer w;
  w.set_metadata({{"format", "pt"}});
  for (int k = 0; k < kTensors; ++k)
    w.add_tensor("model.layers." + std::to_string(k) + ".w", GgmlType::F16, {kRows, kCols}, fill);
  w.write(p);
}
void make_apr(const fs::path& p) {
  aprfmt::Writer w;
  w.set_metadata({{"architecture", "llama"}, {"name", "apr-qa synthetic 1GB"}});
  for (int k = 0; k < kTensors; ++k)
    w.add_tensor("model.layers." + std::to_string(k) + ".w", GgmlType::F16, {kRows, kCols}, fill);
  w.write(p);
}

// Data region of an opened file; residency is measured through the page cache (file_resident).
struct Opened {
  std::uint64_t data_begin, size;
  std::size_t tensors;
};
using Opener = std::function<Opened(const fs::path&)>;

Opened open_any(const fs::path& p, bool apr_crc) {
  auto f = detect_format_of_file(p).value();
  if (f == ModelFormat::gguf) {
    auto r = gguf::Reader::open(p).value();
    return {r.data_offset(), r.file()->size(), r.tensors().size()};
  }
  if (f == ModelFormat::safetensors) {
    auto r = safetensors::Reader::open(p).value();
    std::uint64_t b = ~0ull;
    for (auto& t : r.tensors()) b = std::min(b, t.file_offset);
    return {b, static_cast<std::uint64_t>(fs::file_size(p)), r.tensors().size()};
  }
  auto r = aprfmt::Reader::open(p, apr_crc).value();
  std::uint64_t b = r.tensors().empty() ? 0 : static_cast<std::uint64_t>(r.tensors()[0].data.data() - r.file()->data());
  return {b, r.file()->size(), r.tensors().size()};
}

// Page-cache residency of [begin, end) of a file, via a fresh mapping (reads nothing).
std::pair<std::uint64_t, std::uint64_t> file_resident(const fs::path& p, std::uint64_t begin, std::uint64_t end) {
  int fd = ::open(p.c_str(), O_RDONLY);
  if (fd < 0) return {~0ull, 0};
  void* m = ::mmap(nullptr, end, PROT_READ, MAP_SHARED, fd, 0);
  ::close(fd);
  if (m == MAP_FAILED) return {~0ull, 0};
  auto r = resident(static_cast<const std::byte*>(m), begin, end);
  ::munmap(m, end);
  return r;
}

void measure(const std::string& label, const fs::path& p, bool apr_crc, int runs) {
  std::vector<double> cold, warm;
  std::uint64_t max_res = 0, pages = 0, size = 0;
  std::size_t tensors = 0;
  for (int i = 0; i < runs; ++i) {
    drop_cache(p);
    auto t0 = std::chrono::steady_clock::now();
    Opened o = open_any(p, apr_crc);
    auto t1 = std::chrono::steady_clock::now();
    cold.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    auto [r, n] = file_resident(p, o.data_begin, o.size);
    max_res = std::max(max_res, r);
    pages = n;
    size = o.size;
    tensors = o.tensors;
    auto t2 = std::chrono::steady_clock::now();
    (void)open_any(p, apr_crc);
    auto t3 = std::chrono::steady_clock::now();
    warm.push_back(std::chrono::duration<double, std::milli>(t3 - t2).count());
  }
  const double page_kib = static_cast<double>(::sysconf(_SC_PAGESIZE)) / 1024.0;
  std::printf("%-34s %7.2f GB %5zu tensors  cold median %8.3f ms  warm median %8.3f ms  data pages resident after cold open: %llu of %llu (%.0f KiB)\n",
              label.c_str(), size / 1e9, tensors, median(cold), median(warm),
              static_cast<unsigned long long>(max_res), static_cast<unsigned long long>(pages), max_res * page_kib);
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 21;
  std::vector<fs::path> extra;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--runs" && i + 1 < argc) runs = std::max(1, std::atoi(argv[++i]));
    else if (a == "--model" && i + 1 < argc) extra.emplace_back(argv[++i]);
    else {
      std::fprintf(stderr, "usage: %s [--runs N] [--model PATH ...]\n", argv[0]);
      return 2;
    }
  }
  const char* env = std::getenv("APR_QA_BENCH_DIR");
  fs::path dir = env && *env ? env : "/tmp/apr-qa-bench";
  fs::create_directories(dir);
  struct F { const char* name; void (*make)(const fs::path&); };
  const F files[] = {{"synthetic.gguf", make_gguf}, {"synthetic.safetensors", make_st}, {"synthetic.apr", make_apr}};
  try {
    for (auto& f : files) {
      fs::path p = dir / f.name;
      std::error_code ec;
      if (!fs::exists(p, ec) || fs::file_size(p, ec) < (1ull << 30)) {
        std::printf("creating %s ...\n", p.c_str());
        std::fflush(stdout);
        f.make(p);
      }
    }
    std::printf("header-only open, %d runs each (goal: < 5 ms, data pages untouched)\n", runs);
    measure("gguf (49k-token vocab header)", dir / "synthetic.gguf", false, runs);
    measure("safetensors", dir / "synthetic.safetensors", false, runs);
    measure("apr verify_data_crc=false", dir / "synthetic.apr", false, runs);
    measure("apr verify_data_crc=true", dir / "synthetic.apr", true, std::min(runs, 5));
    for (auto& p : extra) measure(p.filename().string(), p, false, runs);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_open_header: %s\n", e.what());
    return 1;
  }
  return 0;
}
