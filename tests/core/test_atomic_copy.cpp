// AtomicFile::copy_from (copy_file_range) and MappedFile's kept descriptor: copied ranges land
// at the stream position between ordinary writes, unsupported sources return 0 (the caller's
// write() fallback), and the APR_QA_NO_COPY_FILE_RANGE escape hatch is honoured.
#include <doctest/doctest.h>

#include "core/switches.hpp"
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "core/atomic_file.hpp"
#include "core/mapped_file.hpp"

namespace fs = std::filesystem;
using namespace apr;

namespace {

fs::path scratch(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("apr-qa-core-copy-" + std::to_string(::getpid()));
  fs::create_directories(d);
  return d / name;
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
std::string random_text(std::size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (auto& c : s) c = static_cast<char>(rng() & 0xFF);
  return s;
}

}  // namespace

TEST_CASE("AtomicFile::copy_from appends file ranges between writes") {
  const std::string src = random_text(3'000'017, 1);
  const fs::path sp = scratch("src.bin"), dp = scratch("dst.bin");
  { std::ofstream(sp, std::ios::binary).write(src.data(), static_cast<std::streamsize>(src.size())); }
  auto map = MappedFile::open(sp).value();
  REQUIRE(map->fd() >= 0);
  {
    AtomicFile out(dp);
    out.write(std::string_view("head"));
    CHECK(out.copy_from(map->fd(), 5, 2'000'000) == 2'000'000);
    CHECK(out.position() == 4 + 2'000'000);
    out.write(std::string_view("mid"));
    CHECK(out.copy_from(map->fd(), 2'999'000, 1017) == 1017);
    out.write(std::string_view("tail"));
    // Asking past the source's end appends what exists and reports the short count.
    CHECK(out.copy_from(map->fd(), 3'000'000, 100) == 17);
    out.commit();
  }
  const std::string want = "head" + src.substr(5, 2'000'000) + "mid" + src.substr(2'999'000, 1017) + "tail" +
                           src.substr(3'000'000, 17);
  CHECK(slurp(dp) == want);
  fs::remove_all(dp.parent_path());
}

TEST_CASE("AtomicFile::copy_from returns 0 where the kernel cannot copy; writes still work") {
  const fs::path dp = scratch("dst2.bin");
  int pipefd[2];
  REQUIRE(::pipe(pipefd) == 0);
  {
    AtomicFile out(dp);
    out.write(std::string_view("a"));
    CHECK(out.copy_from(-1, 0, 10) == 0);         // EBADF
    CHECK(out.copy_from(pipefd[0], 0, 10) == 0);  // a pipe has no offsets: EINVAL/ESPIPE
    out.write(std::string_view("b"));
    CHECK(out.position() == 2);
    out.commit();
  }
  ::close(pipefd[0]);
  ::close(pipefd[1]);
  CHECK(slurp(dp) == "ab");

  const std::string src = random_text(5000, 2);
  const fs::path sp = scratch("src2.bin");
  { std::ofstream(sp, std::ios::binary).write(src.data(), static_cast<std::streamsize>(src.size())); }
  auto map = MappedFile::open(sp).value();
  apr::switches().no_copy_file_range = true;
  {
    AtomicFile out(dp);
    CHECK(out.copy_from(map->fd(), 0, 5000) == 0);
    CHECK(out.position() == 0);
  }
  apr::switches().no_copy_file_range = false;
  {
    AtomicFile out(dp);
    CHECK(out.copy_from(map->fd(), 0, 5000) == 5000);
    out.commit();
  }
  apr::switches().no_copy_file_range = false;
  CHECK(slurp(dp) == src);
  fs::remove_all(dp.parent_path());
}

TEST_CASE("MappedFile keeps its descriptor for its lifetime; an empty file has none") {
  const fs::path p = scratch("m.bin"), e = scratch("empty.bin");
  { std::ofstream(p, std::ios::binary) << "hello world"; }
  { std::ofstream(e, std::ios::binary); }
  int fd = -1;
  {
    auto map = MappedFile::open(p).value();
    fd = map->fd();
    REQUIRE(fd >= 0);
    char c = 0;
    CHECK(::pread(fd, &c, 1, 6) == 1);
    CHECK(c == 'w');
    map->populate(0, map->size());  // advisory; must not disturb the bytes
    CHECK(std::string(reinterpret_cast<const char*>(map->data()), 11) == "hello world");
    CHECK(MappedFile::open(e).value()->fd() == -1);
  }
  CHECK(::fcntl(fd, F_GETFD) == -1);  // closed with the mapping
  fs::remove_all(p.parent_path());
}

TEST_CASE("AtomicFile: reserve, direct and buffered writes past the write-behind window, fewer bytes than reserved") {
  const fs::path dp = scratch("big.bin");
  const std::string big = random_text(AtomicFile::kWriteBehind + (3u << 20) + 5, 3);  // > one writeback window
  const std::string small = random_text(1000, 4);
  {
    AtomicFile out(dp);
    out.reserve(AtomicFile::kWriteBehind * 2);  // more than will be written
    out.write(std::string_view("hd"));
    out.write(big);                              // direct: larger than kDirectBytes
    out.write(small);                            // buffered
    out.write(std::string_view(big).substr(0, AtomicFile::kDirectBytes));
    CHECK(out.position() == 2 + big.size() + small.size() + AtomicFile::kDirectBytes);
    out.commit();
  }
  CHECK(slurp(dp) == "hd" + big + small + big.substr(0, AtomicFile::kDirectBytes));
  // The blocks reserved past the end were freed at commit (KEEP_SIZE would keep them).
  struct stat st {};
  REQUIRE(::stat(dp.c_str(), &st) == 0);
  CHECK(static_cast<std::uint64_t>(st.st_size) == 2 + big.size() + small.size() + AtomicFile::kDirectBytes);
  CHECK(static_cast<std::uint64_t>(st.st_blocks) * 512 < static_cast<std::uint64_t>(st.st_size) + (1u << 20));
  // A reservation of exactly what is written leaves the same bytes.
  {
    AtomicFile out(dp);
    out.reserve(big.size());
    out.write(big);
    out.commit();
  }
  CHECK(slurp(dp) == big);
  fs::remove_all(dp.parent_path());
}
