// Hand-built malformed APR v2 files, one per validation rule. The builder below lays files out
// from the reference description (anchor-conversion.md §3), independently of the library writer,
// and recomputes both CRCs after each mutation so the rule under test — not a CRC — trips.
#include "core/hash.hpp"
#include "formats/apr.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::Bytes;
using apr::test::TempDir;

namespace {

struct Entry {
  std::string name;
  std::uint8_t dtype;
  std::vector<std::uint64_t> dims;
  std::uint64_t offset, size;
};

struct A {
  std::string magic = std::string("APR\0", 4);
  std::uint8_t major = 2, minor = 0;
  std::uint16_t flags = 0x0400;
  std::optional<std::uint32_t> count_override;
  std::string meta = R"({"architecture":"llama"})";
  std::vector<Entry> entries;
  std::uint64_t data_len = 0;  // bytes of data region (zeros)

  // Fields computed by build(); a test may patch the result afterwards and call refresh().
  std::uint64_t index_offset = 0, data_offset = 0;

  std::string build() {
    Bytes idx;
    for (auto& e : entries) {
      idx.u16(static_cast<std::uint16_t>(e.name.size())).raw(e.name).u8(e.dtype).u8(static_cast<std::uint8_t>(e.dims.size()));
      for (auto d : e.dims) idx.u64(d);
      idx.u64(e.offset).u64(e.size);
    }
    index_offset = 64 + (meta.size() + 63) / 64 * 64;
    data_offset = index_offset + (idx.size() + 63) / 64 * 64;
    Bytes b;
    b.raw(magic).u8(major).u8(minor).u16(flags).u32(count_override.value_or(static_cast<std::uint32_t>(entries.size())));
    b.u64(64).u32(static_cast<std::uint32_t>(meta.size())).u64(index_offset).u64(data_offset).u32(0).zeros(20);
    b.raw(meta).pad_to(64).raw(idx.s).pad_to(64).zeros(data_len);
    std::string s = b.s;
    refresh(s);
    return s;
  }
  // Re-append the footer CRC and recompute the header CRC (footer assumed present at the end).
  static void refresh(std::string& s, bool has_footer = false) {
    if (has_footer) s.resize(s.size() - 4);
    std::uint32_t st = crc32_init();
    st = crc32_update(st, test::as_span(s.substr(0, 40)));
    st = crc32_update(st, test::as_span(s.substr(44, 20)));
    std::uint32_t h = crc32_final(st);
    std::memcpy(s.data() + 40, &h, 4);
    std::uint32_t f = crc32(test::as_span(s));
    s.append(reinterpret_cast<const char*>(&f), 4);
  }
};

template <typename T>
void patch(std::string& s, std::size_t at, T v) {
  std::memcpy(s.data() + at, &v, sizeof v);
  A::refresh(s, true);
}

// Valid base: two F32 tensors, sorted, 64-aligned.
A valid() {
  A a;
  a.entries = {{"a", 0, {4}, 0, 16}, {"b", 0, {2, 2}, 64, 16}};
  a.data_len = 128;
  return a;
}

Result<aprfmt::Reader> open_bytes(const TempDir& dir, const std::string& bytes, bool crc = true) {
  test::write_bytes(dir / "bad.apr", bytes);
  return aprfmt::Reader::open(dir / "bad.apr", crc);
}

}  // namespace

TEST_CASE("apr malformed: the independently built valid base opens") {
  TempDir dir;
  A a = valid();
  auto r = open_bytes(dir, a.build());
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->tensors().size() == 2);
  CHECK(r->metadata()["architecture"] == "llama");
}

TEST_CASE("apr malformed 01: file shorter than header + footer") {
  TempDir dir;
  test::expect_error(open_bytes(dir, std::string("APR\0\2\0", 6)), ErrorCategory::validation, {"expected at least 68 bytes"});
}

TEST_CASE("apr malformed 02: bad magic, APR v1 named") {
  TempDir dir;
  A a = valid();
  a.magic = "APR1";
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::parse, {"magic", "41 50 52 31", "APR v1"});
}

TEST_CASE("apr malformed 03: header CRC mismatch") {
  TempDir dir;
  std::string s = valid().build();
  s[8] = 9;  // tensor_count changed without fixing the CRC
  test::expect_error(open_bytes(dir, s), ErrorCategory::validation, {"offset 40", "header CRC32: expected 0x"});
}

TEST_CASE("apr malformed 04: unsupported major version") {
  TempDir dir;
  A a = valid();
  a.major = 3;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::unsupported, {"version: expected 2.x, found 3.0"});
}

TEST_CASE("apr malformed 05: LAYOUT_COLUMN_MAJOR is rejected") {
  TempDir dir;
  A a = valid();
  a.flags = 0x0800;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::unsupported, {"LAYOUT_COLUMN_MAJOR"});
}

TEST_CASE("apr malformed 06: compression / encryption flags are rejected") {
  TempDir dir;
  for (std::uint16_t f : {0x0001, 0x0002, 0x0004}) {
    A a = valid();
    a.flags = static_cast<std::uint16_t>(0x0400 | f);
    test::expect_error(open_bytes(dir, a.build()), ErrorCategory::unsupported, {"compression/encryption"});
  }
}

TEST_CASE("apr malformed 07: unknown flag bits") {
  TempDir dir;
  A a = valid();
  a.flags = 0x4400;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"unknown bits", "4400"});
}

TEST_CASE("apr malformed 08: non-zero reserved bytes") {
  TempDir dir;
  std::string s = valid().build();
  patch<std::uint8_t>(s, 50, 1);
  test::expect_error(open_bytes(dir, s), ErrorCategory::validation, {"offset 50", "reserved header bytes"});
}

TEST_CASE("apr malformed 09: metadata_offset other than 64") {
  TempDir dir;
  std::string s = valid().build();
  patch<std::uint64_t>(s, 12, 128);
  test::expect_error(open_bytes(dir, s), ErrorCategory::validation, {"metadata_offset: expected 64, found 128"});
}

TEST_CASE("apr malformed 10: metadata_size above 16 MiB") {
  TempDir dir;
  std::string s = valid().build();
  patch<std::uint32_t>(s, 20, (16u << 20) + 1);
  test::expect_error(open_bytes(dir, s), ErrorCategory::validation, {"metadata_size: expected at most 16 MiB"});
}

TEST_CASE("apr malformed 11: tensor_index_offset inconsistent with the metadata size") {
  TempDir dir;
  std::string s = valid().build();
  patch<std::uint64_t>(s, 24, 192);
  test::expect_error(open_bytes(dir, s), ErrorCategory::validation, {"tensor_index_offset: expected 128, found 192"});
}

TEST_CASE("apr malformed 12: data_offset outside the file") {
  TempDir dir;
  std::string s = valid().build();
  patch<std::uint64_t>(s, 32, 1ull << 40);
  test::expect_error(open_bytes(dir, s), ErrorCategory::validation, {"data_offset: expected a multiple of 64"});
}

TEST_CASE("apr malformed 13: metadata is not a JSON object") {
  TempDir dir;
  A a = valid();
  a.meta = "[1,2]";
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::parse, {"metadata: expected a JSON object"});
}

TEST_CASE("apr malformed 14: unsorted tensor index") {
  TempDir dir;
  A a = valid();
  std::swap(a.entries[0].name, a.entries[1].name);
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"tensor 'a'", "sorted and unique", "after 'b'"});
}

TEST_CASE("apr malformed 15: duplicate tensor names") {
  TempDir dir;
  A a = valid();
  a.entries[1].name = "a";
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"sorted and unique"});
}

TEST_CASE("apr malformed 16: unknown dtype byte (never read as F32)") {
  TempDir dir;
  A a = valid();
  a.entries[0].dtype = 200;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"tensor 'a'", "invalid GGML type id 200"});
}

TEST_CASE("apr malformed 17: more than 8 dimensions") {
  TempDir dir;
  A a = valid();
  a.entries[0].dims = {1, 1, 1, 1, 1, 1, 1, 1, 4};
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"ndim: expected at most 8, found 9"});
}

TEST_CASE("apr malformed 18: size does not match shape x dtype") {
  TempDir dir;
  A a = valid();
  a.entries[0].size = 20;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"tensor 'a'", "size: expected 16", "found 20"});
}

TEST_CASE("apr malformed 19: offset not the 64-aligned running sum") {
  TempDir dir;
  A a = valid();
  a.entries[1].offset = 16;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"tensor 'b'", "offset: expected 64", "found 16"});
}

TEST_CASE("apr malformed 20: tensor data past the data region") {
  TempDir dir;
  A a = valid();
  a.data_len = 64;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"tensor 'b'", "inside the 64-byte data region"});
}

TEST_CASE("apr malformed 21: tensor_count larger than the index region can hold") {
  TempDir dir;
  A a = valid();
  a.count_override = 1000000;
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"tensor_count 1000000", "cannot fit"});
}

TEST_CASE("apr malformed 22: footer CRC mismatch (data corruption)") {
  TempDir dir;
  std::string s = valid().build();
  s[s.size() - 20] ^= 0x40;  // inside the data region
  test::expect_error(open_bytes(dir, s), ErrorCategory::validation, {"footer CRC32: expected"});
  CHECK(open_bytes(dir, s, /*crc=*/false).ok());  // header-only open cannot see data corruption
}

TEST_CASE("apr malformed 23: dimension above INT64_MAX") {
  TempDir dir;
  A a = valid();
  a.entries[0].dims = {~0ull};
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"dim: expected <= INT64_MAX"});
}

TEST_CASE("apr malformed 24: K-quant row not a multiple of 256") {
  TempDir dir;
  A a = valid();
  a.entries[0] = {"a", 12, {2, 128}, 0, 144};  // Q4_K
  test::expect_error(open_bytes(dir, a.build()), ErrorCategory::validation, {"tensor 'a'", "Q4_K block size 256"});
}

TEST_CASE("apr malformed 25: every truncation of a valid file fails cleanly") {
  TempDir dir;
  std::string full = valid().build();
  for (std::size_t n = 0; n < full.size(); ++n) {
    auto r = open_bytes(dir, full.substr(0, n), false);
    CHECK_MESSAGE(!r.ok(), "truncation at " << n << " was accepted");
  }
}
