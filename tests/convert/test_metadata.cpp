// Every GGUF metadata key survives every conversion path (GGUF -> GGUF, -> APR -> GGUF,
// -> SafeTensors -> GGUF and chains), unknown vendor keys and unusual types included; `diff`
// compares every key (apr_qa.gguf_kv record vs GGUF file, like with like) and is not equal when
// one differs; the record's JSON form is exact and refuses malformed entries.
#include <cmath>
#include <cstring>
#include <limits>
#include <algorithm>
#include <map>

#include "convert/apr_meta.hpp"
#include "convert/gguf_kv_record.hpp"
#include "core/error.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"
#include "helpers.hpp"

using namespace apr;
using gguf::Value;
using gguf::ValueType;
namespace fs = std::filesystem;

namespace {

// Rewrites `src` as `dst` with the same tensors and every KV, plus/overridden by `extra`.
void rewrite_gguf(const fs::path& src, const fs::path& dst, const std::vector<gguf::KV>& extra,
                  const std::vector<std::string>& drop = {}) {
  auto r = gguf::Reader::open(src).value();
  gguf::Writer w;
  std::map<std::string, Value> over;
  for (const auto& kv : extra) over[kv.key] = kv.value;
  for (const auto& kv : r.kvs()) {
    if (std::find(drop.begin(), drop.end(), kv.key) != drop.end()) continue;
    auto it = over.find(kv.key);
    w.add_kv(kv.key, it != over.end() ? it->second : kv.value);
    if (it != over.end()) over.erase(it);
  }
  for (const auto& kv : extra)
    if (over.count(kv.key)) w.add_kv(kv.key, kv.value);
  for (const auto& t : r.tensors()) w.add_tensor(t.name, t.type, t.shape, t.data);
  w.write(dst);
}

Value array_u8(std::vector<std::uint64_t> v) {
  auto a = Value::array_of(ValueType::UINT8);
  a.arr_u = std::move(v);
  return a;
}
Value array_bool(std::vector<std::uint8_t> v) {
  auto a = Value::array_of(ValueType::BOOL);
  a.arr_b = std::move(v);
  return a;
}
Value array_f64(std::vector<double> v) {
  auto a = Value::array_of(ValueType::FLOAT64);
  a.arr_f = std::move(v);
  return a;
}
Value array_i64(std::vector<std::int64_t> v) {
  auto a = Value::array_of(ValueType::INT64);
  a.arr_i = std::move(v);
  return a;
}

// The unusual keys planted into a GGUF: arrays of strings, u8/i64/f64/bool, an unknown vendor key,
// a non-UTF-8 string, derived keys stored in other types than apr-qa writes them.
std::vector<gguf::KV> unusual_keys() {
  return {
      {"general.languages", Value::str_array({"en", "fr", "zh"})},
      {"general.tags", Value::str_array({})},
      {"general.name", Value::str("Fixture \xc3\xa9t\xc3\xa9")},
      {"general.alignment", Value::u32(64)},
      {"general.type", Value::str("adapter")},  // apr-qa writes "model" where it derives it
      {"general.base_model.count", Value::u32(1)},
      {"tokenizer.ggml.add_space_prefix", Value::boolean(false)},
      {"tokenizer.ggml.bos_token_id", Value::i32(1)},  // apr-qa would write UINT32
      {"vendor.acme.u8", Value::u8(255)},
      {"vendor.acme.i64", Value::i64(std::numeric_limits<std::int64_t>::min())},
      {"vendor.acme.u64", Value::u64(std::numeric_limits<std::uint64_t>::max())},
      {"vendor.acme.f64", Value::f64(0.1)},
      {"vendor.acme.f32_inf", Value::f32(-std::numeric_limits<float>::infinity())},
      {"vendor.acme.neg_zero", Value::f64(-0.0)},
      {"vendor.acme.flag", Value::boolean(true)},
      {"vendor.acme.i8", Value::i8(-128)},
      {"vendor.acme.u16", Value::u16(65535)},
      {"vendor.acme.i16", Value::i16(-2)},
      {"vendor.acme.bytes", Value::str(std::string("\xff\xfe\x00z", 4))},
      {"vendor.acme.arr_u8", array_u8({0, 7, 255})},
      {"vendor.acme.arr_bool", array_bool({1, 0, 1})},
      {"vendor.acme.arr_f64", array_f64({0.1, -2.5e300, 5e-324})},
      {"vendor.acme.arr_i64", array_i64({-1, std::numeric_limits<std::int64_t>::max()})},
  };
}

std::map<std::string, Value> kvs_of(const fs::path& p) {
  auto r = gguf::Reader::open(p).value();
  std::map<std::string, Value> m;
  for (const auto& kv : r.kvs()) m[kv.key] = kv.value;
  return m;
}

// Same key set, and per key the same type, element type and value (floats by bits).
void expect_same_kvs(const fs::path& a, const fs::path& b) {
  auto ka = kvs_of(a), kb = kvs_of(b);
  INFO(a.string(), " vs ", b.string());
  for (const auto& [k, v] : ka) {
    auto it = kb.find(k);
    CHECK_MESSAGE(it != kb.end(), (std::string("missing in output: ") + k));
    if (it == kb.end()) continue;
    CHECK_MESSAGE(convert::gguf_value_repr(v) == convert::gguf_value_repr(it->second), k);
    CHECK_MESSAGE((v == it->second || (v.type == ValueType::FLOAT32 && std::isnan(v.f) && std::isnan(it->second.f))), k);
  }
  for (const auto& [k, v] : kb) CHECK_MESSAGE(ka.count(k) == 1, (std::string("only in output: ") + k));
}

struct Planted {
  fs::path dir, g0, g1;
};

Planted planted(const std::string& name, const std::string& arch) {
  Planted p;
  p.dir = ct::scratch(name);
  auto src = ct::fixture(p.dir / "src", arch, true);
  p.g0 = p.dir / "g0.gguf";
  ct::convert(src, p.g0);
  p.g1 = p.dir / "g1.gguf";
  rewrite_gguf(p.g0, p.g1, unusual_keys());
  return p;
}

}  // namespace

TEST_CASE("metadata: every GGUF key survives every path, types and values exact") {
  for (const std::string arch : {"qwen2", "llama"}) {
    CAPTURE(arch);
    auto p = planted("meta-paths-" + arch, arch);
    const fs::path d = p.dir;
    // G -> G
    ct::convert(p.g1, d / "gg.gguf");
    expect_same_kvs(p.g1, d / "gg.gguf");
    // G -> A -> G
    ct::convert(p.g1, d / "a.apr");
    ct::convert(d / "a.apr", d / "ag.gguf");
    expect_same_kvs(p.g1, d / "ag.gguf");
    // G -> S -> G
    ct::convert(p.g1, d / "s");
    ct::convert(d / "s", d / "sg.gguf");
    expect_same_kvs(p.g1, d / "sg.gguf");
    // chains: G -> A -> S -> G, G -> S -> A -> G, G -> G -> A -> S -> A -> G
    ct::convert(d / "a.apr", d / "as");
    ct::convert(d / "as", d / "asg.gguf");
    expect_same_kvs(p.g1, d / "asg.gguf");
    ct::convert(d / "s", d / "sa.apr");
    ct::convert(d / "sa.apr", d / "sag.gguf");
    expect_same_kvs(p.g1, d / "sag.gguf");
    ct::convert(d / "gg.gguf", d / "gga.apr");
    ct::convert(d / "gga.apr", d / "ggas");
    ct::convert(d / "ggas", d / "ggasa.apr");
    ct::convert(d / "ggasa.apr", d / "ggasag.gguf");
    expect_same_kvs(p.g1, d / "ggasag.gguf");
    // diff: every artifact of the chain equals the source, metadata included.
    for (const fs::path& out : {d / "gg.gguf", d / "a.apr", d / "s", d / "ag.gguf", d / "sg.gguf", d / "asg.gguf",
                               d / "sa.apr", d / "ggasa.apr", d / "ggasag.gguf"}) {
      auto r = ct::diff(p.g1, out);
      INFO(out.string(), ": ", ct::summary(r), (r.metadata_diffs.empty() ? std::string() : r.metadata_diffs.front()));
      CHECK(r.metadata_diffs.empty());
      CHECK(r.equal);
    }
    // A lossless --verify conversion passes (the verify diff now includes metadata).
    convert::ConvertOptions v;
    v.verify = true;
    CHECK(ct::convert(p.g1, d / "verified.apr", v).verified);
  }
}

TEST_CASE("metadata: the APR tokenizer carries add_space_prefix and eot_token_id") {
  auto p = planted("meta-apr-tok", "llama");
  rewrite_gguf(p.g1, p.dir / "g2.gguf", {{"tokenizer.ggml.eot_token_id", Value::u32(2)}});
  ct::convert(p.dir / "g2.gguf", p.dir / "a.apr");
  auto m = ct::load(p.dir / "a.apr");
  REQUIRE(m.tokenizer.add_space_prefix.has_value());
  CHECK(*m.tokenizer.add_space_prefix == false);
  REQUIRE(m.tokenizer.eot_id.has_value());
  CHECK(*m.tokenizer.eot_id == 2);
}

TEST_CASE("metadata: diff reports every differing, missing and retyped key and is not equal") {
  auto p = planted("meta-diff", "qwen2");
  // The source without the planted keys: each is missing on one side.
  auto r = ct::diff(p.g1, p.g0);
  CHECK_FALSE(r.equal);
  auto has = [&](const convert::DiffReport& d, const std::string& s) {
    for (const auto& x : d.metadata_diffs)
      if (x.find(s) != std::string::npos) return true;
    return false;
  };
  CHECK(has(r, "general.languages: missing in B"));
  CHECK(has(r, "vendor.acme.arr_u8: missing in B"));
  CHECK(has(r, "vendor.acme.flag: missing in B"));
  CHECK(has(r, "general.alignment: missing in B"));
  // One value changed, one carried and one derived key retyped.
  const auto eos = kvs_of(p.g1).at("tokenizer.ggml.eos_token_id");
  REQUIRE(eos.type == ValueType::UINT32);
  rewrite_gguf(p.g1, p.dir / "g2.gguf", {{"general.languages", Value::str_array({"en", "de", "zh"})},
                                         {"vendor.acme.u8", Value::u32(255)},
                                         {"tokenizer.ggml.eos_token_id", Value::i32(static_cast<std::int32_t>(eos.u))}});
  auto r2 = ct::diff(p.g1, p.dir / "g2.gguf");
  CHECK_FALSE(r2.equal);
  CHECK(r2.metadata_diffs.size() == 3);
  CHECK(has(r2, "tokenizer.ggml.eos_token_id: UINT32"));
  CHECK(has(r2, "general.languages: ARRAY[STRING]"));
  CHECK(has(r2, "vendor.acme.u8: UINT8 255 vs UINT32 255"));
  // Only the tensors and tokenizer are compared elsewhere: those stay identical.
  CHECK(r2.config_diffs.empty());
  CHECK(r2.tokenizer_diffs.empty());
}

TEST_CASE("metadata: like with like across formats") {
  auto p = planted("meta-like", "qwen2");
  ct::convert(p.g1, p.dir / "s");
  auto g = ct::load(p.g1);
  auto s = ct::load(p.dir / "s");
  CHECK(convert::metadata_differences(g, s).empty());
  // A SafeTensors side that lost the record: the carried GGUF keys are missing there; the keys
  // apr-qa derives from config and tokenizer are not counted (compared as config/tokenizer).
  s.gguf_kv.reset();
  auto d = convert::metadata_differences(g, s);
  CHECK_FALSE(d.empty());
  bool languages = false, derived = false;
  for (const auto& x : d) {
    languages = languages || x.find("general.languages: missing in B") != std::string::npos;
    derived = derived || x.find("tokenizer.ggml.tokens") != std::string::npos || x.find("qwen2.block_count") != std::string::npos;
  }
  CHECK(languages);
  CHECK_FALSE(derived);
  CHECK(d.size() == convert::metadata_differences(s, g).size());
  // A SafeTensors-native model and its GGUF: nothing carried beyond what both derive.
  const fs::path native = p.dir / "src";
  ct::convert(native, p.dir / "n.gguf");
  auto dn = ct::diff(native, p.dir / "n.gguf");
  INFO((dn.metadata_diffs.empty() ? std::string() : dn.metadata_diffs.front()));
  CHECK(dn.metadata_diffs.empty());
  CHECK(dn.equal);
}

TEST_CASE("metadata: a SafeTensors-native source -> GGUF -> SafeTensors -> GGUF keeps the GGUF's keys") {
  auto dir = ct::scratch("meta-native");
  auto src = ct::fixture(dir / "src", "llama", false);
  ct::convert(src, dir / "a.gguf");
  ct::convert(dir / "a.gguf", dir / "s");
  ct::convert(dir / "s", dir / "b.gguf");
  expect_same_kvs(dir / "a.gguf", dir / "b.gguf");
}

TEST_CASE("metadata: the apr_qa.gguf_kv record's JSON is exact and strict") {
  std::vector<model::GgufKvEntry> rec;
  for (auto& kv : unusual_keys()) rec.push_back({kv, true});
  rec.push_back({{"vendor.nan", Value::f32(std::numeric_limits<float>::quiet_NaN())}, true});
  rec.push_back({{"tokenizer.ggml.tokens", Value::array_of(ValueType::STRING)}, false});
  const std::string text = convert::gguf_kv_to_json(rec).dump();
  auto back = convert::gguf_kv_from_json_text(text, "test")->entries;
  REQUIRE(back.size() == rec.size());
  for (std::size_t i = 0; i < rec.size(); ++i) {
    CAPTURE(rec[i].kv.key);
    CHECK(back[i].kv.key == rec[i].kv.key);
    CHECK(back[i].has_value == rec[i].has_value);
    if (rec[i].kv.key == "vendor.nan") {
      CHECK(std::isnan(back[i].kv.value.f));
      CHECK(back[i].kv.value.type == ValueType::FLOAT32);
    } else if (rec[i].kv.key == "vendor.acme.neg_zero") {
      CHECK(std::signbit(back[i].kv.value.f));
    } else {
      CHECK(back[i].kv.value == rec[i].kv.value);
    }
  }
  auto refused = [](const std::string& t) {
    try {
      (void)convert::gguf_kv_from_json_text(t, "test");
      return false;
    } catch (const Error&) {
      return true;
    }
  };
  CHECK(refused(R"([{"key":"a","type":"UINT8","value":256}])"));
  CHECK(refused(R"([{"key":"a","type":"UINT32","value":-1}])"));
  CHECK(refused(R"([{"key":"a","type":"INT8","value":-129}])"));
  CHECK(refused(R"([{"key":"a","type":"FLOAT32","value":0.1}])"));  // not a float32 value
  CHECK(refused(R"([{"key":"a","type":"WIDE","value":1}])"));
  CHECK(refused(R"([{"key":"a","type":"BOOL","value":1}])"));
  CHECK(refused(R"([{"key":"a","type":"ARRAY","element_type":"ARRAY","value":[]}])"));
  CHECK(refused(R"([{"key":"a","type":"UINT8","value":1},{"key":"a","type":"UINT8","value":2}])"));
  CHECK(refused(R"([{"key":"a","type":"STRING","derived":true}])"));
  CHECK(refused(R"([{"key":"a","type":"STRING","value":{"hex":"zz"}}])"));
  CHECK(refused(R"({"a":1})"));
  CHECK(refused(std::string(100, '[') + std::string(100, ']')));
  CHECK_FALSE(refused(R"([{"key":"a","type":"FLOAT32","value":0.5}])"));
}

TEST_CASE("metadata: derived values are written in the recorded type when exact") {
  using convert::gguf_value_as;
  CHECK(gguf_value_as(Value::u32(7), ValueType::INT32, ValueType::UINT8) == Value::i32(7));
  CHECK_FALSE(gguf_value_as(Value::u32(300), ValueType::UINT8, ValueType::UINT8).has_value());
  CHECK_FALSE(gguf_value_as(Value::i32(-1), ValueType::UINT64, ValueType::UINT8).has_value());
  CHECK(gguf_value_as(Value::f32(0.5f), ValueType::FLOAT64, ValueType::UINT8) == Value::f64(0.5));
  CHECK_FALSE(gguf_value_as(Value::f64(0.1), ValueType::FLOAT32, ValueType::UINT8).has_value());
  CHECK_FALSE(gguf_value_as(Value::boolean(true), ValueType::UINT8, ValueType::UINT8).has_value());
  auto a = Value::i32_array({1, 2, 3});
  auto b = gguf_value_as(a, ValueType::ARRAY, ValueType::UINT8);
  REQUIRE(b.has_value());
  CHECK(b->array_type == ValueType::UINT8);
  CHECK(b->arr_u == std::vector<std::uint64_t>{1, 2, 3});
}

TEST_CASE("metadata: the NFC normalizer and special:false flags survive APR and GGUF (issue 12)") {
  // The tiny qwen2 fixture's tokenizer.json asks for NFC; mark one control token special: false.
  auto dir = ct::scratch("meta-nfc");
  ct::fixture(dir / "src", "qwen2", true);
  auto src = ct::load(dir / "src");
  REQUIRE(src.tokenizer.normalizer == "NFC");
  ct::convert(dir / "src", dir / "a.apr");
  ct::convert(dir / "a.apr", dir / "g.gguf");
  ct::convert(dir / "g.gguf", dir / "back", [] {
    apr::convert::ConvertOptions o;
    o.to = apr::ModelFormat::safetensors;
    return o;
  }());
  for (const char* f : {"a.apr", "g.gguf", "back"}) {
    CAPTURE(f);
    auto m = ct::load(dir / f);
    CHECK(m.tokenizer.normalizer == "NFC");
    CHECK(m.tokenizer.hf_not_special == src.tokenizer.hf_not_special);
    CHECK(m.tokenizer.gguf_records_not_applied == (std::string(f) == "g.gguf"));
    CHECK(ct::diff(dir / "src", dir / f).tokenizer_diffs.empty());
  }
}

TEST_CASE("metadata: the APR vocabulary and merges load as written; a non-string entry names the key") {
  auto p = planted("meta-apr-vocab", "llama");
  auto m = ct::load(p.g1);
  REQUIRE(m.tokenizer.tokens.size() > 2);
  nlohmann::json j = convert::apr_metadata(m);
  model::CanonicalModel back;
  bool hf_rows = false;
  REQUIRE(convert::read_apr_metadata(j, "m.apr", back, hf_rows));
  CHECK(back.tokenizer.tokens.to_vector() == m.tokenizer.tokens.to_vector());
  CHECK(back.tokenizer.merges.to_vector() == m.tokenizer.merges.to_vector());
  for (const char* key : {"tokenizer.vocabulary", "tokenizer.merges"}) {
    CAPTURE(key);
    nlohmann::json bad = j;
    bad[key][1] = 7;
    model::CanonicalModel out;
    try {
      (void)convert::read_apr_metadata(bad, "m.apr", out, hf_rows);
      FAIL("a number in the list was accepted");
    } catch (const Error& e) {
      const std::string what = e.what();
      CHECK(what.find("expected strings, found number") != std::string::npos);
      CHECK(what.find(key) != std::string::npos);
      CHECK(what.find("m.apr") != std::string::npos);
    }
  }
}
