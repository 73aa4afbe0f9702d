// SafeTensors writer -> reader round trips: single file, sharded, metadata, reference layout.
#include <nlohmann/json.hpp>

#include "formats/safetensors.hpp"
#include "helpers.hpp"

using namespace apr;
using namespace apr::safetensors;
using apr::test::TempDir;

TEST_CASE("safetensors: single file round trip with metadata and reference layout") {
  TempDir dir;
  auto a = test::random_bytes(2 * 3 * 2, 1);   // F16 [2,3]
  auto b = test::random_bytes(4 * 4, 2);       // F32 [4]
  auto c = test::random_bytes(2 * 5, 3);       // BF16 [5]
  auto s = test::random_bytes(4, 4);           // F32 scalar
  Writer w;
  w.set_metadata({{"format", "pt"}, {"note", "x\"y"}});
  w.add_tensor("z.half", GgmlType::F16, {2, 3}, test::as_span(a));
  w.add_tensor("b.f32", GgmlType::F32, {4}, test::as_span(b));
  w.add_tensor("a.bf16", GgmlType::BF16, {5}, test::as_span(c));
  w.add_tensor("scalar", GgmlType::F32, {}, test::as_span(s));
  w.add_tensor("empty", GgmlType::F32, {0, 3}, std::span<const std::byte>());
  w.write(dir / "m.safetensors");

  std::string raw = test::read_bytes(dir / "m.safetensors");
  std::uint64_t n;
  std::memcpy(&n, raw.data(), 8);
  CHECK(n % 8 == 0);
  std::string header = raw.substr(8, n);
  // __metadata__ first, then F32 tensors by name, BF16, F16 (the reference's order).
  CHECK(header.rfind("{\"__metadata__\":{\"format\":\"pt\",\"note\":\"x\\\"y\"},\"b.f32\":", 0) == 0);
  CHECK(header.find("\"b.f32\"") < header.find("\"empty\""));
  CHECK(header.find("\"scalar\"") < header.find("\"a.bf16\""));
  CHECK(header.find("\"a.bf16\"") < header.find("\"z.half\""));

  auto r = Reader::open(dir / "m.safetensors");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->metadata().at("format") == "pt");
  CHECK(r->metadata().at("note") == "x\"y");
  REQUIRE(r->tensors().size() == 5);
  CHECK(r->tensors()[0].name == "a.bf16");  // sorted by name
  const TensorInfo* t = r->find_tensor("z.half");
  REQUIRE(t);
  CHECK(t->type == GgmlType::F16);
  CHECK(t->dtype == "F16");
  CHECK(t->shape == std::vector<std::int64_t>{2, 3});
  CHECK(std::memcmp(t->data.data(), a.data(), a.size()) == 0);
  CHECK(std::memcmp(r->find_tensor("a.bf16")->data.data(), c.data(), c.size()) == 0);
  CHECK(r->find_tensor("scalar")->shape.empty());
  CHECK(r->find_tensor("scalar")->data.size() == 4);
  CHECK(r->find_tensor("empty")->data.size() == 0);
  CHECK(r->find_tensor("nope") == nullptr);

  // Passthrough re-write is byte-identical.
  Writer w2;
  w2.set_metadata(r->metadata());
  for (const auto& ti : r->tensors()) w2.add_tensor(ti.name, ti.type, ti.shape, ti.data);
  w2.write(dir / "m2.safetensors");
  CHECK(test::read_bytes(dir / "m2.safetensors") == raw);
}

TEST_CASE("safetensors: sharded write and read through the index") {
  TempDir dir;
  std::vector<std::vector<std::byte>> data;
  Writer w;
  w.set_metadata({{"format", "pt"}});
  for (int k = 0; k < 5; ++k) {
    data.push_back(test::random_bytes(4 * 100, 10 + k));
    w.add_tensor("layer." + std::to_string(k) + ".weight", GgmlType::F32, {10, 10}, test::as_span(data.back()));
  }
  int produced = 0;
  w.add_tensor("produced", GgmlType::BF16, {8}, [&](std::span<std::byte> d) {
    ++produced;
    std::fill(d.begin(), d.end(), std::byte{0x3f});
  });
  w.write_sharded(dir.path, 900);  // 2 tensors of 400 bytes per shard
  CHECK(produced == 1);
  CHECK(std::filesystem::exists(dir / "model-00001-of-00003.safetensors"));
  CHECK(std::filesystem::exists(dir / "model-00003-of-00003.safetensors"));
  auto idx = nlohmann::json::parse(test::read_bytes(dir / "model.safetensors.index.json"));
  CHECK(idx["metadata"]["total_size"] == 5 * 400 + 16);
  CHECK(idx["weight_map"]["layer.0.weight"] == "model-00001-of-00003.safetensors");

  auto r = Reader::open_index(dir / "model.safetensors.index.json");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->files().size() == 3);
  CHECK(r->tensors().size() == 6);
  CHECK(r->metadata().at("format") == "pt");
  for (int k = 0; k < 5; ++k) {
    auto* t = r->find_tensor("layer." + std::to_string(k) + ".weight");
    REQUIRE(t);
    CHECK(std::memcmp(t->data.data(), data[k].data(), 400) == 0);
  }
  CHECK(static_cast<int>(r->find_tensor("produced")->data[15]) == 0x3f);
}

TEST_CASE("safetensors: dtype mapping and unsupported dtypes") {
  CHECK(dtype_from_string("BF16") == GgmlType::BF16);
  CHECK(dtype_from_string("F32") == GgmlType::F32);
  CHECK_FALSE(dtype_from_string("I64").has_value());
  CHECK_FALSE(dtype_from_string("bogus").has_value());
  CHECK(dtype_to_string(GgmlType::F16) == "F16");
  CHECK_THROWS_WITH_AS(dtype_to_string(GgmlType::Q4_K), doctest::Contains("Q4_K"), Error);
  TempDir dir;
  Writer w;
  auto d = test::random_bytes(144, 1);
  w.add_tensor("q", GgmlType::Q4_K, {256}, test::as_span(d));
  CHECK_THROWS_WITH_AS(w.write(dir / "q.safetensors"), doctest::Contains("SafeTensors cannot store Q4_K"), Error);
}
