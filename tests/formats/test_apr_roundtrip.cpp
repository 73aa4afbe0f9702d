// APR v2 writer -> reader: every supported dtype byte-identical, determinism, CRC detection.
#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "formats/apr.hpp"
#include "helpers.hpp"

using namespace apr;
using namespace apr::aprfmt;
using apr::test::TempDir;

namespace {
struct Built {
  std::vector<std::vector<std::byte>> data;
  std::vector<std::string> names;
};
Built build_all_dtypes(Writer& w) {
  Built b;
  std::uint32_t seed = 1;
  for (std::uint32_t id = 0; id < kGgmlTypeCount; ++id) {
    const DTypeInfo* d = find_dtype(id);
    if (!d || !d->supported) continue;
    std::vector<std::int64_t> shape = {3, static_cast<std::int64_t>(d->block_elems) * 2};
    b.data.push_back(test::random_bytes(tensor_bytes(d->type, shape), seed++));
    b.names.push_back("t." + std::string(d->name));
    w.add_tensor(b.names.back(), d->type, shape, test::as_span(b.data.back()));
  }
  return b;
}
}  // namespace

TEST_CASE("apr: every supported dtype round-trips byte-identically, sorted, aligned") {
  TempDir dir;
  Writer w;
  w.set_metadata({{"architecture", "llama"}, {"hidden_size", 64}, {"b", {1, 2}}});
  Built b = build_all_dtypes(w);
  REQUIRE(b.names.size() == 14);  // every supported dtype, IQ4_NL included
  w.write(dir / "m.apr");
  auto r = Reader::open(dir / "m.apr");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK((r->flags() & kFlagRowMajor) != 0);
  CHECK((r->flags() & kFlagQuantized) != 0);
  CHECK(r->metadata()["architecture"] == "llama");
  CHECK(r->metadata()["hidden_size"] == 64);
  REQUIRE(r->tensors().size() == b.names.size());
  for (std::size_t k = 1; k < r->tensors().size(); ++k) CHECK(r->tensors()[k - 1].name < r->tensors()[k].name);
  for (std::size_t k = 0; k < b.names.size(); ++k) {
    const TensorInfo* t = r->find_tensor(b.names[k]);
    REQUIRE(t);
    CHECK(t->offset % 64 == 0);
    CHECK(t->shape[0] == 3);
    REQUIRE(t->data.size() == b.data[k].size());
    CHECK(std::memcmp(t->data.data(), b.data[k].data(), t->size) == 0);
    CHECK(dtype_name(t->type) == b.names[k].substr(2));
  }
  // Deterministic: the same inputs give the same bytes; a passthrough re-write too.
  Writer w2;
  w2.set_metadata(r->metadata());
  for (const auto& t : r->tensors()) w2.add_tensor(t.name, t.type, t.shape, t.data);
  w2.write(dir / "m2.apr");
  CHECK(test::read_bytes(dir / "m.apr") == test::read_bytes(dir / "m2.apr"));
  // Header fields as laid out in the reference.
  std::string raw = test::read_bytes(dir / "m.apr");
  CHECK(raw.substr(0, 4) == std::string("APR\0", 4));
  CHECK(raw[4] == 2);
  CHECK(raw[5] == 0);
  std::uint32_t footer;
  std::memcpy(&footer, raw.data() + raw.size() - 4, 4);
  CHECK(footer == crc32(test::as_span(raw.substr(0, raw.size() - 4))));
}

TEST_CASE("apr: a flipped byte anywhere in the header or data is detected by a CRC") {
  TempDir dir;
  Writer w;
  w.set_metadata({{"k", "v"}});
  auto d1 = test::random_bytes(4 * 16, 7);
  auto d2 = test::random_bytes(34 * 2, 8);
  w.add_tensor("a", GgmlType::F32, {16}, test::as_span(d1));
  w.add_tensor("b", GgmlType::Q8_0, {64}, test::as_span(d2));
  w.write(dir / "m.apr");
  const std::string good = test::read_bytes(dir / "m.apr");
  REQUIRE(Reader::open(dir / "m.apr").ok());
  int detected = 0, total = 0;
  for (std::size_t pos = 0; pos < good.size(); ++pos) {
    std::string bad = good;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x01);
    test::write_bytes(dir / "bad.apr", bad);
    auto r = Reader::open(dir / "bad.apr");
    ++total;
    if (!r.ok()) ++detected;
    if (r.ok()) INFO("undetected flip at " << pos);
    CHECK_MESSAGE(!r.ok(), "flip at byte " << pos << " went undetected");
  }
  CHECK(detected == total);
  // Without the footer CRC (header-only open), a data flip is invisible but a header flip is not.
  std::string bad = good;
  bad[good.size() - 10] ^= 0x01;
  test::write_bytes(dir / "bad.apr", bad);
  CHECK(Reader::open(dir / "bad.apr", false).ok());
  test::expect_error(Reader::open(dir / "bad.apr", true), ErrorCategory::validation, {"footer CRC32"});
  bad = good;
  bad[9] ^= 0x01;
  test::write_bytes(dir / "bad.apr", bad);
  test::expect_error(Reader::open(dir / "bad.apr", false), ErrorCategory::validation, {"header CRC32", "offset 40"});
}

TEST_CASE("apr: empty model and writer validation") {
  TempDir dir;
  Writer w;
  w.write(dir / "e.apr");
  auto r = Reader::open(dir / "e.apr");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->tensors().empty());
  CHECK(r->metadata().is_object());
  CHECK((r->flags() & kFlagQuantized) == 0);
  Writer w2;
  auto d = test::random_bytes(8, 1);
  w2.add_tensor("x", GgmlType::F32, {3}, test::as_span(d));
  CHECK_THROWS_WITH_AS(w2.write(dir / "x.apr"), doctest::Contains("expected 12 bytes"), Error);
  Writer w3;
  w3.add_tensor(std::string(257, 'n'), GgmlType::F32, {2}, test::as_span(d));
  CHECK_THROWS_WITH_AS(w3.write(dir / "x.apr"), doctest::Contains("name length"), Error);
}
