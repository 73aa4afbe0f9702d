#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/mapped_file.hpp"
#include "core/result.hpp"

namespace fs = std::filesystem;
using namespace apr;

static std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

TEST_CASE("crc32 matches the IEEE check value") {
  CHECK(crc32(as_bytes("123456789")) == 0xCBF43926u);
  CHECK(crc32(as_bytes("")) == 0u);
  auto st = crc32_update(crc32_init(), as_bytes("12345"));
  st = crc32_update(st, as_bytes("6789"));
  CHECK(crc32_final(st) == 0xCBF43926u);
}

TEST_CASE("sha256 of known strings") {
  CHECK(sha256_hex(as_bytes("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(sha256_hex(as_bytes("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("Error renders one line with its location fields") {
  auto e = validation_error("expected u32, found string").at_path("m.gguf").at_key("general.alignment").at_offset(24);
  CHECK(std::string(e.what()) == "m.gguf: key 'general.alignment': offset 24: expected u32, found string");
  CHECK(e.category() == ErrorCategory::validation);
  auto t = parse_error("bad").at_tensor("blk.0.attn_q.weight").with_context("reading tensors");
  CHECK(std::string(t.what()) == "tensor 'blk.0.attn_q.weight': reading tensors: bad");
}

TEST_CASE("Result carries value or error; capture converts throws") {
  Result<int> ok = 5;
  CHECK(ok.ok());
  CHECK(*ok == 5);
  Result<int> bad = io_error("nope");
  CHECK_FALSE(bad.ok());
  CHECK_THROWS_AS(bad.value(), Error);
  auto r = capture([]() -> int { throw unsupported_error("IQ2_XXS"); });
  CHECK_FALSE(r.ok());
  CHECK(r.error().category() == ErrorCategory::unsupported);
}

TEST_CASE("MappedFile maps files, refuses directories and missing paths, bounds-checks slices") {
  auto dir = fs::temp_directory_path() / "apr-qa-core-test";
  fs::create_directories(dir);
  auto p = dir / "x.bin";
  { std::ofstream(p, std::ios::binary) << "hello world"; }
  auto m = MappedFile::open(p);
  REQUIRE(m.ok());
  CHECK((*m)->size() == 11);
  CHECK(std::memcmp((*m)->data(), "hello", 5) == 0);
  CHECK_THROWS_AS((void)(*m)->slice(5, 7), Error);
  CHECK((*m)->slice(6, 5).size() == 5);

  auto d = MappedFile::open(dir);
  REQUIRE_FALSE(d.ok());
  CHECK(std::string(d.error().what()).find("is a directory") != std::string::npos);
  auto missing = MappedFile::open(dir / "nope.gguf");
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().category() == ErrorCategory::io);
  fs::remove_all(dir);
}

TEST_CASE("AtomicFile leaves nothing behind unless committed") {
  auto dir = fs::temp_directory_path() / "apr-qa-atomic-test";
  fs::remove_all(dir);
  fs::create_directories(dir);
  {
    AtomicFile f(dir / "out.bin");
    f.write(std::string_view("partial"));
  }
  CHECK(fs::is_empty(dir));
  {
    AtomicFile f(dir / "out.bin");
    f.write(std::string_view("0123456789"));
    std::string x = "AB";
    f.patch(2, as_bytes(x));
    f.commit();
  }
  std::ifstream in(dir / "out.bin");
  std::string s((std::istreambuf_iterator<char>(in)), {});
  CHECK(s == "01AB456789");
  fs::remove_all(dir);
}

TEST_CASE("crc32 streaming equals one-shot over a large buffer with odd chunking") {
  std::vector<std::byte> buf(3 * 1024 * 1024 + 7);
  std::uint32_t x = 12345;
  for (auto& b : buf) {
    x = x * 1103515245u + 12345u;
    b = static_cast<std::byte>(x >> 24);
  }
  auto one = crc32(buf);
  auto st = crc32_init();
  std::size_t pos = 0, step = 1;
  while (pos < buf.size()) {
    std::size_t k = std::min(step, buf.size() - pos);
    st = crc32_update(st, std::span<const std::byte>(buf.data() + pos, k));
    pos += k;
    step = step * 3 + 1;
  }
  CHECK(crc32_final(st) == one);
  // A flipped bit changes the checksum.
  buf[buf.size() / 2] ^= std::byte{0x10};
  CHECK(crc32(buf) != one);
}
