// Logits files: the .npy header layout and the raw float32 body.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include <unistd.h>

#include "core/error.hpp"
#include "engine/logits_io.hpp"

using namespace apr::engine;

namespace {
std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
}  // namespace

TEST_CASE("write_logits: .npy v1.0 header (shape, <f4, 64-byte aligned) then the values; raw otherwise") {
  const auto dir = std::filesystem::temp_directory_path() / ("apr_engine_io_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  std::vector<float> v(3 * 5);
  for (std::size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(i) * 0.5f - 3.0f;
  write_logits(dir / "a.npy", v, 3, 5);
  write_logits(dir / "a.bin", v, 3, 5);
  const std::string npy = slurp(dir / "a.npy"), raw = slurp(dir / "a.bin");
  REQUIRE(raw.size() == v.size() * 4);
  CHECK(std::memcmp(raw.data(), v.data(), raw.size()) == 0);
  REQUIRE(npy.size() > 10);
  CHECK(npy.compare(0, 6, "\x93NUMPY") == 0);
  CHECK(npy[6] == 1);
  CHECK(npy[7] == 0);
  const std::size_t hlen = static_cast<unsigned char>(npy[8]) | (static_cast<unsigned char>(npy[9]) << 8);
  CHECK((10 + hlen) % 64 == 0);
  const std::string dict = npy.substr(10, hlen);
  CHECK(dict.find("'descr': '<f4'") != std::string::npos);
  CHECK(dict.find("'fortran_order': False") != std::string::npos);
  CHECK(dict.find("'shape': (3, 5)") != std::string::npos);
  CHECK(dict.back() == '\n');
  REQUIRE(npy.size() == 10 + hlen + v.size() * 4);
  CHECK(std::memcmp(npy.data() + 10 + hlen, v.data(), v.size() * 4) == 0);
  CHECK_THROWS_AS(write_logits(dir / "bad.npy", v, 4, 5), apr::Error);
  CHECK_FALSE(std::filesystem::exists(dir / "bad.npy"));
  std::filesystem::remove_all(dir);
}
