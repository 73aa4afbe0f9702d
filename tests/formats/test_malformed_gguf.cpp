// Hand-built malformed GGUF files, one per validation rule (in the spirit of llama.cpp's
// test-gguf): each must fail with its own category and a distinctive one-line message.
#include "formats/gguf.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::Bytes;
using apr::test::TempDir;

namespace {

// Byte builder for GGUF files, independent of the library's writer.
struct G {
  std::uint32_t version = 3;
  std::optional<std::uint64_t> n_tensors_override, n_kv_override;
  Bytes kv;        // raw KV section
  std::uint64_t n_kv = 0;
  Bytes ti;        // raw tensor-info section
  std::uint64_t n_ti = 0;
  Bytes data;      // raw data section
  std::uint64_t align = 32;
  std::string magic = "GGUF";

  G& kv_u32(const std::string& k, std::uint32_t v) {
    kv.gstr(k).u32(4).u32(v);
    ++n_kv;
    return *this;
  }
  G& kv_str(const std::string& k, const std::string& v) {
    kv.gstr(k).u32(8).gstr(v);
    ++n_kv;
    return *this;
  }
  // Tensor info with raw dims (ne order), type and offset.
  G& tensor(const std::string& name, std::vector<std::uint64_t> ne, std::uint32_t type, std::uint64_t offset) {
    ti.gstr(name).u32(static_cast<std::uint32_t>(ne.size()));
    for (auto d : ne) ti.u64(d);
    ti.u32(type).u64(offset);
    ++n_ti;
    return *this;
  }
  std::string build() const {
    Bytes b;
    b.raw(magic).u32(version).u64(n_tensors_override.value_or(n_ti)).u64(n_kv_override.value_or(n_kv));
    b.raw(kv.s).raw(ti.s);
    b.pad_to(align);
    b.raw(data.s);
    return b.s;
  }
};

Result<gguf::Reader> open_bytes(const TempDir& dir, const std::string& bytes) {
  test::write_bytes(dir / "bad.gguf", bytes);
  return gguf::Reader::open(dir / "bad.gguf");
}

// A valid base: one F32 [4] tensor.
G valid() {
  G g;
  g.kv_str("general.architecture", "llama");
  g.tensor("w", {4}, 0, 0);
  g.data.zeros(16).pad_to(32);
  return g;
}

}  // namespace

TEST_CASE("gguf malformed: the valid base opens (so each failure below is caused by its mutation)") {
  TempDir dir;
  auto r = open_bytes(dir, valid().build());
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->tensors().size() == 1);
}

TEST_CASE("gguf malformed 01: bad magic") {
  TempDir dir;
  G g = valid();
  g.magic = "GGML";
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::parse, {"bad.gguf", "offset 0", "magic", "47 47 4d 4c"});
}

TEST_CASE("gguf malformed 02: unsupported version") {
  TempDir dir;
  G g = valid();
  g.version = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::unsupported, {"version: expected 3", "found 1"});
}

TEST_CASE("gguf malformed 03: byte-swapped (big-endian) version") {
  TempDir dir;
  G g = valid();
  g.version = 0x03000000;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::unsupported, {"byte-swapped"});
}

TEST_CASE("gguf malformed 04: tensor_count larger than the file can hold (no huge allocation)") {
  TempDir dir;
  G g = valid();
  g.n_tensors_override = 1ull << 40;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor_count 1099511627776", "cannot fit"});
}

TEST_CASE("gguf malformed 05: kv_count larger than the file can hold") {
  TempDir dir;
  G g = valid();
  g.n_kv_override = 1ull << 62;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"kv_count", "cannot fit"});
}

TEST_CASE("gguf malformed 06: string length past the end of the file") {
  TempDir dir;
  G g;
  g.kv.u64(1000).raw("abc");
  g.n_kv = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"key length 1000", "runs past the end", "offset 24"});
}

TEST_CASE("gguf malformed 07: string longer than 1 GiB") {
  TempDir dir;
  G g;
  g.kv.gstr("k").u32(8).u64((1ull << 30) + 1);
  g.n_kv = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"string value length: expected at most 1073741824"});
}

TEST_CASE("gguf malformed 08: empty key") {
  TempDir dir;
  G g;
  g.kv_u32("", 1);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"non-empty key"});
}

TEST_CASE("gguf malformed 09: duplicate key") {
  TempDir dir;
  G g;
  g.kv_u32("a.b", 1).kv_u32("a.b", 2);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"key 'a.b'", "duplicate key"});
}

TEST_CASE("gguf malformed 10: unknown value type") {
  TempDir dir;
  G g;
  g.kv.gstr("k").u32(13).u32(0);
  g.n_kv = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"key 'k'", "value type: expected a GGUF value type 0..12, found 13"});
}

TEST_CASE("gguf malformed 11: nested array") {
  TempDir dir;
  G g;
  g.kv.gstr("k").u32(9).u32(9).u64(1);
  g.n_kv = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::unsupported, {"nested arrays"});
}

TEST_CASE("gguf malformed 12: array count larger than the file can hold") {
  TempDir dir;
  G g;
  g.kv.gstr("k").u32(9).u32(4).u64(1000000).u32(1);
  g.n_kv = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"array count 1000000", "cannot fit"});
}

TEST_CASE("gguf malformed 13: bool value other than 0/1") {
  TempDir dir;
  G g;
  g.kv.gstr("flag").u32(7).u8(2);
  g.n_kv = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"key 'flag'", "expected 0 or 1, found 2"});
}

TEST_CASE("gguf malformed 14: general.alignment of the wrong type") {
  TempDir dir;
  G g;
  g.kv.gstr("general.alignment").u32(10).u64(32);
  g.n_kv = 1;
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"general.alignment", "expected UINT32, found UINT64"});
}

TEST_CASE("gguf malformed 15: general.alignment not a power of two") {
  TempDir dir;
  G g;
  g.kv_u32("general.alignment", 48);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"general.alignment", "power of two", "48"});
}

TEST_CASE("gguf malformed 16: tensor name of 64 bytes or more") {
  TempDir dir;
  G g;
  g.tensor(std::string(64, 'n'), {4}, 0, 0);
  g.data.zeros(32);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor name length", "found 64"});
}

TEST_CASE("gguf malformed 17: duplicate tensor name") {
  TempDir dir;
  G g;
  g.tensor("w", {4}, 0, 0).tensor("w", {4}, 0, 32);
  g.data.zeros(64);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'w'", "duplicate tensor name"});
}

TEST_CASE("gguf malformed 18: more than 4 dimensions") {
  TempDir dir;
  G g;
  g.tensor("w", {1, 1, 1, 1, 1}, 0, 0);
  g.data.zeros(32);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"n_dims: expected at most 4, found 5"});
}

TEST_CASE("gguf malformed 19: dimension product overflows") {
  TempDir dir;
  G g;
  g.tensor("w", {1ull << 32, 1ull << 32}, 0, 0);
  g.data.zeros(32);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'w'", "overflows"});
}

TEST_CASE("gguf malformed 20: removed / out-of-range dtype id") {
  TempDir dir;
  G g;
  g.tensor("w", {32}, 4, 0);  // id 4 was Q4_2, removed
  g.data.zeros(32);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'w'", "invalid GGML type id 4"});
  G h;
  h.tensor("w", {32}, 99, 0);
  h.data.zeros(32);
  test::expect_error(open_bytes(dir, h.build()), ErrorCategory::validation, {"invalid GGML type id 99"});
}

TEST_CASE("gguf malformed 21: known but unsupported dtype is named, never read as F32") {
  TempDir dir;
  G g;
  g.tensor("w", {256}, 16, 0);  // IQ2_XXS
  g.data.zeros(96);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::unsupported, {"tensor 'w'", "IQ2_XXS"});
}

TEST_CASE("gguf malformed 22: ne[0] not a multiple of the block size") {
  TempDir dir;
  G g;
  g.tensor("q", {33, 2}, 2, 0);  // Q4_0 blocks of 32
  g.data.zeros(64);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'q'", "multiple of the Q4_0 block size 32, found 33"});
}

TEST_CASE("gguf malformed 23: offset leaves a gap (not the running sum of aligned sizes)") {
  TempDir dir;
  G g;
  g.tensor("a", {4}, 0, 0).tensor("b", {4}, 0, 64);
  g.data.zeros(128);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'b'", "data offset: expected 32", "found 64"});
}

TEST_CASE("gguf malformed 24: overlapping tensors") {
  TempDir dir;
  G g;
  g.tensor("a", {4}, 0, 0).tensor("b", {4}, 0, 0);
  g.data.zeros(64);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'b'", "expected 32", "found 0"});
}

TEST_CASE("gguf malformed 25: offset not aligned") {
  TempDir dir;
  G g;
  g.tensor("a", {4}, 0, 16);
  g.data.zeros(64);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'a'", "expected 0", "found 16"});
}

TEST_CASE("gguf malformed 26: tensor data past the end of the file") {
  TempDir dir;
  G g;
  g.tensor("a", {1024}, 0, 0);
  g.data.zeros(100);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"tensor 'a'", "tensor size 4096 exceeds the file size"});
  G h;
  h.tensor("a", {16}, 0, 0);  // 64 bytes declared, 40 present: the file is big enough, the data is not
  h.data.zeros(40);
  test::expect_error(open_bytes(dir, h.build()), ErrorCategory::validation, {"tensor data: expected the file to hold 64 bytes from offset 64"});
}

TEST_CASE("gguf malformed 27: trailing bytes after the data section") {
  TempDir dir;
  G g = valid();
  g.data.zeros(64);
  test::expect_error(open_bytes(dir, g.build()), ErrorCategory::validation, {"trailing bytes", "64 more bytes"});
}

TEST_CASE("gguf malformed 28: file truncated inside the KV section") {
  TempDir dir;
  std::string full = valid().build();
  test::expect_error(open_bytes(dir, full.substr(0, 30)), ErrorCategory::validation, {"kv_count 1 cannot fit", "offset 24"});
  test::expect_error(open_bytes(dir, full.substr(0, 54)), ErrorCategory::validation, {"truncated value type", "offset 52"});
}

TEST_CASE("gguf malformed 29: every truncation of a valid file fails cleanly") {
  TempDir dir;
  G g = valid();
  g.kv_u32("x.count", 7);
  {
    std::string full = g.build();
    // Everything up to the end of the last tensor's bytes is required (its tail padding is not).
    const std::size_t required = full.size() - 16;
    for (std::size_t n = 0; n < required; ++n) {
      auto r = open_bytes(dir, full.substr(0, n));
      CHECK_MESSAGE(!r.ok(), "truncation at " << n << " was accepted");
    }
  }
}
