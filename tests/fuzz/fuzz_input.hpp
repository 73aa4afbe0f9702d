// Helpers shared by the fuzz targets (tests/fuzz/fuzz_*.cpp): the readers work on files, so an
// input is written to one memfd (rewritten for every input) or to a file in one scratch folder.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace apr::fuzz {

// /proc/self/fd/N of a memfd now holding exactly [data, data + size).
inline std::string memfd_with(const std::uint8_t* data, std::size_t size) {
  static const int fd = [] {
    int f = ::memfd_create("apr_fuzz", 0);
    if (f < 0) std::abort();
    return f;
  }();
  if (::ftruncate(fd, 0) != 0) std::abort();
  std::size_t done = 0;
  while (done < size) {
    ssize_t n = ::pwrite(fd, data + done, size - done, static_cast<off_t>(done));
    if (n <= 0) std::abort();
    done += static_cast<std::size_t>(n);
  }
  return "/proc/self/fd/" + std::to_string(fd);
}

// A scratch folder for this process (removed by nobody: it lives under the temp dir).
inline const std::filesystem::path& scratch_dir() {
  static const std::filesystem::path dir = [] {
    std::string t = (std::filesystem::temp_directory_path() / "apr-fuzz-XXXXXX").string();
    if (!::mkdtemp(t.data())) std::abort();
    return std::filesystem::path(t);
  }();
  return dir;
}

inline void write_file(const std::filesystem::path& p, const void* data, std::size_t size) {
  std::ofstream f(p, std::ios::binary | std::ios::trunc);
  f.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!f) std::abort();
}

}  // namespace apr::fuzz

#include "core/error.hpp"

namespace apr::fuzz {

// An apr::Error is the expected end of a bad input, except an internal one (exit 4: a bug).
inline void expect_clean(const apr::Error& e) {
  (void)e.what();
  if (e.category() == apr::ErrorCategory::internal) {
    std::fprintf(stderr, "internal error on a fuzz input: %s\n", e.what());
    std::abort();
  }
}

}  // namespace apr::fuzz
