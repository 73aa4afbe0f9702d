// F-CONTRACT-I3 (no silent dtype change) counts only dtype changes that no recorded provenance
// explains: a Q8_0 GGUF -> SafeTensors (exact F32, original type recorded) -> APR restores Q8_0,
// which is a restoration, not a silent change; an unrecorded change (--dtype f16) is silent.
// The conversion comparison records metadata_differences (every metadata key, like with like).
#include <doctest/doctest.h>

#include <filesystem>

#include "qa/checks/check.hpp"
#include "qa/outcome.hpp"

#include "convert/convert.hpp"
#include "convert/fixture.hpp"
#include "formats/gguf.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

fs::path work(const std::string& name) {
  fs::path d = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/dtype" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

fs::path q8_gguf(const fs::path& d) {
  apr::convert::FixtureOptions fo;
  fo.seed = 5;
  auto f = apr::convert::write_fixture(fo, d / "src");
  REQUIRE_MESSAGE(f.ok(), std::string(f.ok() ? "" : f.error().what()));
  apr::convert::ConvertOptions q;
  q.quantize = "q8_0";
  auto r = apr::convert::convert_model((d / "src").string(), d / "q8.gguf", q);
  REQUIRE_MESSAGE(r.ok(), std::string(r.ok() ? "" : r.error().what()));
  return d / "q8.gguf";
}

fs::path convert(const fs::path& src, const fs::path& dst, apr::convert::ConvertOptions o = {}) {
  auto r = apr::convert::convert_model(src.string(), dst, o);
  REQUIRE_MESSAGE(r.ok(), std::string(r.ok() ? "" : r.error().what()));
  return r->output;
}

double value_of(const checks::CheckOutput& o, const std::string& name) {
  for (const auto& m : o.measurements)
    if (m.name == name) return m.value;
  FAIL("measurement " << name << " missing");
  return -1;
}

checks::CheckOutput i3(const fs::path& a, const fs::path& b) {
  return checks::check_table().at("format_contract")(json{{"invariant", "I-3"}, {"a", a.string()}, {"b", b.string()}});
}

}  // namespace

TEST_CASE("I-3: a Q8_0 restored from the recorded original type is not a silent dtype change") {
  auto d = work("restore");
  auto g = q8_gguf(d);
  auto s = convert(g, d / "st");        // Q8_0 -> exact F32 + apr_qa.dtype records
  auto a = convert(s, d / "m.apr");     // F32 + record -> Q8_0 again
  auto o = i3(s, a);
  CHECK(value_of(o, "dtype_changes") > 0);
  CHECK(value_of(o, "dtype_restorations") == value_of(o, "dtype_changes"));
  CHECK(value_of(o, "silent_dtype_changes") == 0);
  // The widening itself (GGUF Q8_0 -> SafeTensors F32) is recorded, not silent.
  auto w = i3(g, s);
  CHECK(value_of(w, "recorded_dtype_changes") > 0);
  CHECK(value_of(w, "silent_dtype_changes") == 0);
  // Measurements only: the gate binds the threshold.
  for (const auto& m : o.measurements)
    if (m.name != "tensors_compared") CHECK_FALSE(m.threshold.has_value());
}

TEST_CASE("I-3: an unrecorded dtype change is silent") {
  auto d = work("silent");
  auto g = q8_gguf(d);
  apr::convert::ConvertOptions f16;
  f16.dtype = apr::GgmlType::F16;  // lossy on request, nothing recorded
  auto a = convert(g, d / "f16.apr", f16);
  auto o = i3(g, a);
  CHECK(value_of(o, "silent_dtype_changes") > 0);
  CHECK(value_of(o, "silent_dtype_changes") == value_of(o, "dtype_changes"));
  CHECK(value_of(o, "dtype_restorations") == 0);
  CHECK(o.output.find("no recorded original type") != std::string::npos);
}

TEST_CASE("conversion compare: metadata_differences counts every differing GGUF key") {
  auto d = work("meta");
  auto g = q8_gguf(d);
  auto a = convert(g, d / "m.apr");
  // b: the same model with one extra vendor key and general.name changed.
  {
    auto r = apr::gguf::Reader::open(g).value();
    apr::gguf::Writer w;
    for (const auto& kv : r.kvs()) w.add_kv(kv.key, kv.value);
    w.add_kv("vendor.flag", apr::gguf::Value::boolean(true));
    for (const auto& t : r.tensors()) w.add_tensor(t.name, t.type, t.shape, t.data);
    w.write(d / "b.gguf");
  }
  const auto fn = checks::check_table().at("conversion_pair");
  json p = {{"prompt", "Hi"}, {"max_tokens", 2}, {"backend", "cpu"}, {"a", g.string()}};
  p["b"] = a.string();
  CHECK(value_of(fn(p), "metadata_differences") == 0);
  p["b"] = (d / "b.gguf").string();
  auto o = fn(p);
  CHECK(value_of(o, "metadata_differences") == 1);
  CHECK(o.output.find("vendor.flag") != std::string::npos);
}
