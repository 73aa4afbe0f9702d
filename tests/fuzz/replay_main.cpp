// replay_<target>: runs a fuzz target's LLVMFuzzerTestOneInput on every file of the folders (or
// files) named on the command line, with the normal (gcc) build: the committed regression corpus
// tests/fuzz/corpus/<target>/ is replayed by CTest (fuzz.replay.<target>) and, under the
// asan-ubsan preset, with the sanitizers. A crash, a sanitizer report or an exception escaping the
// target fails the test; so does an input that takes longer than --max-seconds (default 10).
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

int main(int argc, char** argv) {
  namespace fs = std::filesystem;
  double max_seconds = 10;
  std::vector<fs::path> files;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--max-seconds") == 0 && i + 1 < argc) {
      max_seconds = std::atof(argv[++i]);
      continue;
    }
    fs::path p = argv[i];
    if (fs::is_directory(p)) {
      for (const auto& e : fs::directory_iterator(p))
        if (e.is_regular_file()) files.push_back(e.path());
    } else {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  if (files.empty()) {
    std::fprintf(stderr, "%s: no inputs (expected corpus folders or files)\n", argv[0]);
    return 2;
  }
  int slow = 0;
  double worst = 0;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto t0 = std::chrono::steady_clock::now();
    LLVMFuzzerTestOneInput(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    worst = std::max(worst, s);
    if (s > max_seconds) {
      std::fprintf(stderr, "%s: %s took %.2f s (more than %.1f s)\n", argv[0], f.string().c_str(), s, max_seconds);
      ++slow;
    }
  }
  std::printf("%s: %zu inputs replayed, slowest %.3f s, %d over %.1f s\n", fs::path(argv[0]).filename().c_str(),
              files.size(), worst, slow, max_seconds);
  return slow == 0 ? 0 : 1;
}
