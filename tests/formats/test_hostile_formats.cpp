// Hostile model files at the format layer: JSON nested 100k deep in a SafeTensors header or an
// index.json, 100k header entries (linear-time parse), FIFOs in place of model files. One-line
// Errors naming the file and offset; no stack overflow, no quadratic parse, no blocking open.
#include <sys/stat.h>

#include <chrono>

#include "formats/detect.hpp"
#include "formats/resolve.hpp"
#include "formats/safetensors.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::Bytes;
using apr::test::TempDir;

namespace {

std::string st(const std::string& header, std::size_t data_bytes) {
  Bytes b;
  b.u64(header.size()).raw(header).zeros(data_bytes);
  return b.s;
}

std::string deep(std::size_t n) { return std::string(n, '[') + std::string(n, ']'); }

double since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("hostile formats: SafeTensors header value nested 100k deep") {
  TempDir dir;
  test::write_bytes(dir / "m.safetensors", st(R"({"__metadata__":{"x":)" + deep(100000) + "}}", 0));
  auto r = safetensors::Reader::open(dir / "m.safetensors");
  test::expect_error(r, ErrorCategory::parse, {"m.safetensors", "header: JSON nested deeper than 128", "offset 155"});
}

TEST_CASE("hostile formats: SafeTensors header of 100k entries parses in linear time") {
  TempDir dir;
  std::string h = "{";
  for (int i = 0; i < 100000; ++i)
    h += (i ? "," : "") + std::string("\"t") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[" +
         std::to_string(4 * i) + "," + std::to_string(4 * i + 4) + "]}";
  test::write_bytes(dir / "ok.safetensors", st(h + "}", 400000));
  auto t0 = std::chrono::steady_clock::now();
  auto r = safetensors::Reader::open(dir / "ok.safetensors");
  const double s = since(t0);
  REQUIRE(r.ok());
  CHECK(r->tensors().size() == 100000);
  MESSAGE("100k-entry header opened in " << s << " s");
  CHECK(s < 5.0);  // the callback parser took > 120 s
  test::write_bytes(dir / "dup.safetensors", st(h + R"(,"t7":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}})", 400000));
  test::expect_error(safetensors::Reader::open(dir / "dup.safetensors"), ErrorCategory::validation, {"duplicate key 't7'"});
}

TEST_CASE("hostile formats: index.json weight_map nested 100k deep") {
  TempDir dir;
  test::write_bytes(dir / "model.safetensors.index.json", R"({"weight_map":{"a":)" + deep(100000) + "}}");
  test::expect_error(safetensors::Reader::open_index(dir / "model.safetensors.index.json"), ErrorCategory::parse,
                     {"nested deeper than 128"});
  test::expect_error(resolve_artifact((dir / "model.safetensors.index.json").string()), ErrorCategory::parse,
                     {"nested deeper than 128"});
}

TEST_CASE("hostile formats: a FIFO as a model file is refused without blocking") {
  TempDir dir;
  REQUIRE(::mkfifo((dir / "m.gguf").c_str(), 0600) == 0);
  auto t0 = std::chrono::steady_clock::now();
  test::expect_error(safetensors::Reader::open(dir / "m.gguf"), ErrorCategory::validation, {"is a FIFO"});
  test::expect_error(detect_format_of_file(dir / "m.gguf"), ErrorCategory::validation, {"is a FIFO"});
  CHECK(since(t0) < 2.0);
}
