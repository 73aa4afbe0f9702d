// Hand-built malformed SafeTensors files and shard indexes, one per validation rule of the
// reference implementation (plus shard confinement): each fails with its own one-line message.
#include "formats/safetensors.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::Bytes;
using apr::test::TempDir;

namespace {

// u64 length + header text + data bytes (no padding unless the caller adds it).
std::string st(const std::string& header, std::size_t data_bytes) {
  Bytes b;
  b.u64(header.size()).raw(header).zeros(data_bytes);
  return b.s;
}

Result<safetensors::Reader> open_bytes(const TempDir& dir, const std::string& bytes) {
  test::write_bytes(dir / "bad.safetensors", bytes);
  return safetensors::Reader::open(dir / "bad.safetensors");
}

const std::string kOne = R"("a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]})";

}  // namespace

TEST_CASE("safetensors malformed: the valid base opens") {
  TempDir dir;
  auto r = open_bytes(dir, st("{" + kOne + "}", 8));
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->tensors().size() == 1);
}

TEST_CASE("safetensors malformed 01: file shorter than the length prefix") {
  TempDir dir;
  test::expect_error(open_bytes(dir, "abc"), ErrorCategory::validation, {"header length", "found a file of 3 bytes"});
}

TEST_CASE("safetensors malformed 02: header length above 100 MB") {
  TempDir dir;
  Bytes b;
  b.u64(100'000'001).raw("{}");
  test::expect_error(open_bytes(dir, b.s), ErrorCategory::validation, {"expected at most 100000000", "found 100000001"});
}

TEST_CASE("safetensors malformed 03: header length past the end of the file") {
  TempDir dir;
  Bytes b;
  b.u64(500).raw("{}");
  test::expect_error(open_bytes(dir, b.s), ErrorCategory::validation, {"header length 500 runs past the end"});
}

TEST_CASE("safetensors malformed 04: header does not start with '{'") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(" {}", 0)), ErrorCategory::parse, {"starting with '{'", "0x20"});
}

TEST_CASE("safetensors malformed 05: header is not UTF-8") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st("{\"\xff\":1}", 0)), ErrorCategory::parse, {"invalid UTF-8"});
}

TEST_CASE("safetensors malformed 06: header is not valid JSON") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st("{\"a\":", 0)), ErrorCategory::parse, {"malformed JSON"});
}

TEST_CASE("safetensors malformed 07: duplicate tensor key") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st("{" + kOne + "," + kOne + "}", 8)), ErrorCategory::validation,
                     {"duplicate key 'a'"});
}

TEST_CASE("safetensors malformed 08: unknown dtype") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"a":{"dtype":"F7","shape":[2],"data_offsets":[0,8]}})", 8)),
                     ErrorCategory::validation, {"tensor 'a'", "found \"F7\""});
}

TEST_CASE("safetensors malformed 09: valid SafeTensors dtype that apr-qa does not read") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"a":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}})", 8)),
                     ErrorCategory::unsupported, {"tensor 'a'", "dtype I64 is not supported"});
}

TEST_CASE("safetensors malformed 10: negative dimension") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"a":{"dtype":"F32","shape":[-2],"data_offsets":[0,8]}})", 8)),
                     ErrorCategory::validation, {"tensor 'a'", "shape: expected a non-negative integer, found -2"});
}

TEST_CASE("safetensors malformed 11: element count overflows") {
  TempDir dir;
  test::expect_error(
      open_bytes(dir, st(R"({"a":{"dtype":"F32","shape":[4294967296,4294967296,16],"data_offsets":[0,8]}})", 8)),
      ErrorCategory::validation, {"tensor 'a'", "overflow"});
}

TEST_CASE("safetensors malformed 12: end before begin") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}})", 8)),
                     ErrorCategory::validation, {"tensor 'a'", "expected begin <= end"});
}

TEST_CASE("safetensors malformed 13: byte size does not match shape x dtype") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"a":{"dtype":"BF16","shape":[3],"data_offsets":[0,8]}})", 8)),
                     ErrorCategory::validation, {"tensor 'a'", "expected end - begin = 6", "found 8"});
}

TEST_CASE("safetensors malformed 14: hole between tensors") {
  TempDir dir;
  std::string h = R"({"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}})";
  test::expect_error(open_bytes(dir, st(h, 12)), ErrorCategory::validation, {"tensor 'b'", "expected begin 4", "found 8"});
}

TEST_CASE("safetensors malformed 15: overlapping tensors") {
  TempDir dir;
  std::string h = R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}})";
  test::expect_error(open_bytes(dir, st(h, 8)), ErrorCategory::validation, {"tensor 'b'", "expected begin 8", "found 4"});
}

TEST_CASE("safetensors malformed 16: trailing bytes after the last tensor") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st("{" + kOne + "}", 12)), ErrorCategory::validation,
                     {"data buffer: expected 8 bytes", "found 12"});
}

TEST_CASE("safetensors malformed 17: buffer shorter than the offsets") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st("{" + kOne + "}", 4)), ErrorCategory::validation,
                     {"data buffer: expected 8 bytes", "found 4"});
}

TEST_CASE("safetensors malformed 18: __metadata__ value that is not a string") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"__metadata__":{"format":1},)" + kOne + "}", 8)), ErrorCategory::validation,
                     {"key 'format'", "expected a string, found 1"});
}

TEST_CASE("safetensors malformed 19: missing field") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"a":{"dtype":"F32","data_offsets":[0,8]}})", 8)), ErrorCategory::validation,
                     {"tensor 'a'", "missing field 'shape'"});
}

TEST_CASE("safetensors malformed 20: data_offsets not a pair") {
  TempDir dir;
  test::expect_error(open_bytes(dir, st(R"({"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}})", 8)),
                     ErrorCategory::validation, {"tensor 'a'", "expected [begin, end]"});
}

namespace {
void good_shard(const TempDir& dir, const std::string& name, const std::string& tensor) {
  test::write_bytes(dir / name, st(R"({")" + tensor + R"(":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}})", 8));
}
Result<safetensors::Reader> open_index(const TempDir& dir, const std::string& json) {
  test::write_bytes(dir / "model.safetensors.index.json", json);
  return safetensors::Reader::open_index(dir / "model.safetensors.index.json");
}
}  // namespace

TEST_CASE("safetensors index: the valid base opens") {
  TempDir dir;
  good_shard(dir, "s1.safetensors", "a");
  good_shard(dir, "s2.safetensors", "b");
  auto r = open_index(dir, R"({"metadata":{"total_size":16},"weight_map":{"a":"s1.safetensors","b":"s2.safetensors"}})");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->tensors().size() == 2);
  CHECK(r->find_tensor("b")->file == dir / "s2.safetensors");
}

TEST_CASE("safetensors index malformed 21: shard path escaping the snapshot with ..") {
  TempDir dir;
  test::expect_error(open_index(dir, R"({"weight_map":{"a":"../s1.safetensors"}})"), ErrorCategory::validation,
                     {"tensor 'a'", "inside the snapshot directory", "../s1.safetensors"});
}

TEST_CASE("safetensors index malformed 22: absolute shard path") {
  TempDir dir;
  test::expect_error(open_index(dir, R"({"weight_map":{"a":"/tmp/s1.safetensors"}})"), ErrorCategory::validation,
                     {"/tmp/s1.safetensors"});
}

TEST_CASE("safetensors index malformed 23: weight_map entry missing from its shard") {
  TempDir dir;
  good_shard(dir, "s1.safetensors", "a");
  test::expect_error(open_index(dir, R"({"weight_map":{"a":"s1.safetensors","zz":"s1.safetensors"}})"),
                     ErrorCategory::validation, {"tensor 'zz'", "found it missing"});
}

TEST_CASE("safetensors index malformed 24: shard tensor not claimed by weight_map") {
  TempDir dir;
  good_shard(dir, "s1.safetensors", "a");
  good_shard(dir, "s2.safetensors", "b");
  test::expect_error(open_index(dir, R"({"weight_map":{"a":"s1.safetensors","x":"s2.safetensors"}})"),
                     ErrorCategory::validation, {"tensor 'b'", "not in weight_map"});
}

TEST_CASE("safetensors index malformed 25: weight_map missing or not an object") {
  TempDir dir;
  test::expect_error(open_index(dir, R"({"metadata":{}})"), ErrorCategory::validation, {"weight_map: expected an object"});
  test::expect_error(open_index(dir, R"({"weight_map":["a"]})"), ErrorCategory::validation, {"found array"});
}

TEST_CASE("safetensors index malformed 26: tensor mapped to the wrong shard") {
  TempDir dir;
  good_shard(dir, "s1.safetensors", "a");
  good_shard(dir, "s2.safetensors", "b");
  test::expect_error(open_index(dir, R"({"weight_map":{"a":"s2.safetensors","b":"s1.safetensors"}})"),
                     ErrorCategory::validation, {"expected the tensor in s2.safetensors, found it in s1.safetensors"});
}

TEST_CASE("safetensors index malformed 27: missing shard file") {
  TempDir dir;
  test::expect_error(open_index(dir, R"({"weight_map":{"a":"gone.safetensors"}})"), ErrorCategory::io,
                     {"gone.safetensors"});
}

TEST_CASE("safetensors malformed 28: every truncation of a valid file fails cleanly") {
  TempDir dir;
  std::string full = st("{" + kOne + R"(,"b":{"dtype":"F16","shape":[2,2],"data_offsets":[8,16]}})", 16);
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = open_bytes(dir, full.substr(0, n));
    CHECK_MESSAGE(!r.ok(), "truncation at " << n << " was accepted");
  }
}
