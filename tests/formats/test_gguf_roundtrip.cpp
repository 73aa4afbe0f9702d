// GGUF writer -> reader round trips: every KV type, arrays, alignment, dtypes, shapes, passthrough.
#include "formats/gguf.hpp"
#include "helpers.hpp"

using namespace apr;
using namespace apr::gguf;
using apr::test::TempDir;

namespace {

std::vector<KV> all_kv_types() {
  std::vector<KV> kvs;
  kvs.push_back({"general.architecture", Value::str("llama")});
  kvs.push_back({"t.u8", Value::u8(250)});
  kvs.push_back({"t.i8", Value::i8(-120)});
  kvs.push_back({"t.u16", Value::u16(65000)});
  kvs.push_back({"t.i16", Value::i16(-32000)});
  kvs.push_back({"t.u32", Value::u32(4000000000u)});
  kvs.push_back({"t.i32", Value::i32(-2000000000)});
  kvs.push_back({"t.f32", Value::f32(1.0e-6f)});
  kvs.push_back({"t.bool", Value::boolean(true)});
  kvs.push_back({"t.str", Value::str("h\xc3\xa9llo \"world\"\n")});
  kvs.push_back({"t.u64", Value::u64(18000000000000000000ull)});
  kvs.push_back({"t.i64", Value::i64(-9000000000000000000ll)});
  kvs.push_back({"t.f64", Value::f64(3.141592653589793)});
  Value a = Value::array_of(ValueType::UINT8);
  a.arr_u = {0, 1, 255};
  kvs.push_back({"a.u8", a});
  a = Value::array_of(ValueType::INT16);
  a.arr_i = {-32768, 0, 32767};
  kvs.push_back({"a.i16", a});
  a = Value::array_of(ValueType::UINT64);
  a.arr_u = {0, ~0ull};
  kvs.push_back({"a.u64", a});
  a = Value::array_of(ValueType::BOOL);
  a.arr_b = {1, 0, 1};
  kvs.push_back({"a.bool", a});
  a = Value::array_of(ValueType::FLOAT64);
  a.arr_f = {1.5, -2.25};
  kvs.push_back({"a.f64", a});
  kvs.push_back({"a.f32", Value::f32_array({0.5, -1.0, static_cast<double>(1e30f)})});
  kvs.push_back({"a.i32", Value::i32_array({-1, 2, -3})});
  kvs.push_back({"a.str", Value::str_array({"a", "", "b c"})});
  kvs.push_back({"a.empty", Value::array_of(ValueType::STRING)});
  return kvs;
}

struct Spec {
  std::string name;
  GgmlType type;
  std::vector<std::int64_t> shape;
};

}  // namespace

TEST_CASE("gguf: every KV type and several dtypes round-trip exactly") {
  TempDir dir;
  std::vector<Spec> specs = {
      {"tok.weight", GgmlType::F32, {3, 5}},
      {"half", GgmlType::F16, {7}},
      {"bf", GgmlType::BF16, {2, 3, 4}},
      {"q8", GgmlType::Q8_0, {2, 64}},
      {"q4k", GgmlType::Q4_K, {3, 256}},
      {"q6k", GgmlType::Q6_K, {1, 1, 2, 512}},
      {"q4_1", GgmlType::Q4_1, {32}},
      {"scalar", GgmlType::F32, {}},
  };
  std::vector<std::vector<std::byte>> data;
  Writer w;
  for (auto& kv : all_kv_types()) w.add_kv(kv.key, kv.value);
  for (std::size_t k = 0; k < specs.size(); ++k) {
    data.push_back(test::random_bytes(tensor_bytes(specs[k].type, specs[k].shape), 100 + k));
    w.add_tensor(specs[k].name, specs[k].type, specs[k].shape, test::as_span(data.back()));
  }
  w.write(dir / "a.gguf");

  auto r = Reader::open(dir / "a.gguf");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->version() == 3);
  CHECK(r->alignment() == 32);
  CHECK(r->data_offset() % 32 == 0);
  auto kvs = all_kv_types();
  REQUIRE(r->kvs().size() == kvs.size());
  for (std::size_t k = 0; k < kvs.size(); ++k) {
    CHECK(r->kvs()[k].key == kvs[k].key);
    CHECK_MESSAGE(r->kvs()[k].value == kvs[k].value, kvs[k].key);
  }
  // f32 values are stored as float: the reader's double is the float, not the literal.
  CHECK(r->find("t.f32")->f == static_cast<double>(1.0e-6f));
  REQUIRE(r->tensors().size() == specs.size());
  std::uint64_t expect_off = 0;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    const auto& t = r->tensors()[k];
    CHECK(t.name == specs[k].name);
    CHECK(t.type == specs[k].type);
    CHECK(t.shape == specs[k].shape);
    REQUIRE(t.ne.size() == specs[k].shape.size());
    for (std::size_t d = 0; d < t.ne.size(); ++d)
      CHECK(t.ne[d] == static_cast<std::uint64_t>(specs[k].shape[specs[k].shape.size() - 1 - d]));
    CHECK(t.offset == expect_off);
    expect_off += (t.nbytes + 31) / 32 * 32;
    REQUIRE(t.data.size() == data[k].size());
    CHECK(std::memcmp(t.data.data(), data[k].data(), data[k].size()) == 0);
    // Zero-copy: the view points into the mapping.
    CHECK(t.data.data() >= r->file()->data());
    CHECK(t.data.data() < r->file()->data() + r->file()->size());
  }
  CHECK(r->find_tensor("q4k")->view().row_len() == 256);
  CHECK(r->find_tensor("missing") == nullptr);
  CHECK(r->find("absent") == nullptr);

  // Passthrough: re-writing from the reader's views gives the identical file.
  Writer w2;
  for (const auto& kv : r->kvs()) w2.add_kv(kv.key, kv.value);
  for (const auto& t : r->tensors()) w2.add_tensor(t.name, t.type, t.shape, t.data);
  w2.write(dir / "b.gguf");
  CHECK(test::read_bytes(dir / "a.gguf") == test::read_bytes(dir / "b.gguf"));
}

TEST_CASE("gguf: general.alignment is honoured and producers fill one tensor") {
  TempDir dir;
  Writer w;
  w.add_kv("general.alignment", Value::u32(128));
  auto d1 = test::random_bytes(4 * 3, 1);
  w.add_tensor("a", GgmlType::F32, {3}, test::as_span(d1));
  int calls = 0;
  w.add_tensor("b", GgmlType::F16, {2, 8}, [&](std::span<std::byte> dst) {
    ++calls;
    CHECK(dst.size() == 32);
    for (std::size_t i = 0; i < dst.size(); ++i) dst[i] = static_cast<std::byte>(i);
  });
  w.write(dir / "x.gguf");
  CHECK(calls == 1);
  auto r = Reader::open(dir / "x.gguf");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->alignment() == 128);
  CHECK(r->data_offset() % 128 == 0);
  CHECK(r->tensors()[1].offset == 128);
  CHECK(static_cast<int>(r->tensors()[1].data[31]) == 31);
  CHECK(std::filesystem::file_size(dir / "x.gguf") == r->data_offset() + 256);
}

TEST_CASE("gguf: a file without tensors round-trips") {
  TempDir dir;
  Writer w;
  w.add_kv("general.architecture", Value::str("x"));
  w.write(dir / "e.gguf");
  auto r = Reader::open(dir / "e.gguf");
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->tensors().empty());
  CHECK(r->kvs().size() == 1);
}

TEST_CASE("gguf: writer rejects what a reader would reject") {
  TempDir dir;
  auto d = test::random_bytes(16, 3);
  SUBCASE("size mismatch") {
    Writer w;
    w.add_tensor("a", GgmlType::F32, {5}, test::as_span(d));
    CHECK_THROWS_WITH_AS(w.write(dir / "a.gguf"), doctest::Contains("expected 20 bytes"), Error);
  }
  SUBCASE("duplicate tensor") {
    Writer w;
    w.add_tensor("a", GgmlType::F32, {4}, test::as_span(d));
    w.add_tensor("a", GgmlType::F32, {4}, test::as_span(d));
    CHECK_THROWS_WITH_AS(w.write(dir / "a.gguf"), doctest::Contains("duplicate"), Error);
  }
  SUBCASE("alignment type") {
    Writer w;
    CHECK_THROWS_WITH_AS(w.add_kv("general.alignment", Value::u64(32)), doctest::Contains("expected UINT32"), Error);
    CHECK_THROWS_WITH_AS(w.add_kv("general.alignment", Value::u32(48)), doctest::Contains("power of two"), Error);
  }
  SUBCASE("unsupported dtype") {
    Writer w;
    w.add_tensor("a", GgmlType::IQ2_XXS, {256}, test::as_span(d));
    CHECK_THROWS_WITH_AS(w.write(dir / "a.gguf"), doctest::Contains("IQ2_XXS"), Error);
  }
  SUBCASE("value out of declared range") {
    Writer w;
    Value v = Value::u8(1);
    v.u = 300;
    w.add_kv("k", v);
    CHECK_THROWS_AS(w.write(dir / "a.gguf"), Error);
  }
  CHECK_FALSE(std::filesystem::exists(dir / "a.gguf"));  // atomic: nothing left behind
}

TEST_CASE("gguf: Value accessors accept any integer width and reject mismatches") {
  CHECK(Value::u8(7).as_u64() == 7);
  CHECK(Value::i16(-3).as_i64() == -3);
  CHECK(Value::u32(9).as_i64() == 9);
  CHECK(Value::f32(0.5f).as_f64() == 0.5);
  CHECK(Value::i32(4).as_f64() == 4.0);
  CHECK_THROWS_AS(Value::i8(-1).as_u64(), Error);
  CHECK_THROWS_AS(Value::str("x").as_i64(), Error);
  CHECK_THROWS_AS(Value::u64(~0ull).as_i64(), Error);
  CHECK(Value::str_array({"a", "b"}).array_size() == 2);
  CHECK(Value::u8(1).is_integer());
  CHECK_FALSE(Value::f64(1).is_integer());
  CHECK(std::string(to_string(ValueType::FLOAT64)) == "FLOAT64");
}
