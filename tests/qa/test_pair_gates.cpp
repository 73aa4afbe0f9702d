// The lossless pair gates judge what the logits cannot see (issue 12): a planted config change
// (rope_theta ×1.01, rms_norm_eps ×1.1, context length halved) moves the logits by < 1e-6 but
// counts in config_differences; an artifact that unties itself and carries an lm_head copy
// counts in tied_embeddings_mismatch; a dtype change that neither recorded provenance nor a
// format limit explains counts in unexplained_dtype_changes. Each is Falsified by the
// catalogue's lossless gate with the measured count; the unplanted conversion is Corroborated.
#include <doctest/doctest.h>

#include <filesystem>
#include <functional>
#include <algorithm>

#include <fmt/format.h>
#include <memory>

#include "qa/checks/check.hpp"
#include "qa/judge.hpp"
#include "qa/outcome.hpp"
#include "qa/playbook_values.hpp"

#include "convert/convert.hpp"
#include "convert/fixture.hpp"
#include "convert/load.hpp"
#include "tensor/dequantize.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;
using nlohmann::json;
using apr::GgmlType;
using apr::model::CanonicalModel;
using apr::model::CanonicalTensor;

namespace {

fs::path work(const std::string& name) {
  fs::path d = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/pair_gates" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

fs::path snapshot(const fs::path& d, bool tied, GgmlType dtype = GgmlType::F32) {
  apr::convert::FixtureOptions fo;
  fo.seed = 11;
  fo.tied = tied;
  fo.dtype = dtype;
  auto f = apr::convert::write_fixture(fo, d / "src");
  REQUIRE_MESSAGE(f.ok(), std::string(f.ok() ? "" : f.error().what()));
  return d / "src";
}

fs::path convert(const fs::path& src, const fs::path& dst, apr::convert::ConvertOptions o = {}) {
  auto r = apr::convert::convert_model(src.string(), dst, o);
  REQUIRE_MESSAGE(r.ok(), std::string(r.ok() ? "" : r.error().what()));
  return r->output;
}

// b: the model at `src`, edited in memory, written as `format` to `dst` (a planted fault).
fs::path plant(const fs::path& src, const fs::path& dst, apr::ModelFormat format, const std::function<void(CanonicalModel&)>& edit) {
  auto m = apr::convert::load_model(src.string());
  REQUIRE_MESSAGE(m.ok(), std::string(m.ok() ? "" : m.error().what()));
  edit(*m);
  auto w = apr::convert::export_model(*m, format, dst, {});
  REQUIRE_MESSAGE(w.ok(), std::string(w.ok() ? "" : w.error().what()));
  return dst;
}

// t's exact F32 values, optionally recording an original type (as a conversion would).
CanonicalTensor widened(const CanonicalTensor& t, std::optional<GgmlType> record = std::nullopt, std::string sha = "") {
  const std::int64_t n = t.source.row_len(), rows = t.source.rows();
  auto buf = std::make_shared<std::vector<std::byte>>(static_cast<std::size_t>(n * rows) * sizeof(float));
  for (std::int64_t r = 0; r < rows; ++r)
    apr::dequantize_row(t.type(), t.row(r).data(), reinterpret_cast<float*>(buf->data()) + r * n, n);
  CanonicalTensor out;
  out.name = t.name;
  out.source = apr::TensorView{GgmlType::F32, t.shape(), std::span<const std::byte>(*buf)};
  out.owned = buf;
  out.original_type = record;
  out.original_sha256 = std::move(sha);
  return out;
}

std::vector<BoundRequirement> requirements(const std::string& gate) {
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  std::string why;
  static const Playbook defaults;  // a playbook with default conversion_tests
  auto req = bind_gate(cat->at(gate), playbook_values(defaults, "directory"), "cpu", why);
  REQUIRE_MESSAGE(req.has_value(), why);
  return *req;
}

double value_of(const checks::CheckOutput& o, const std::string& name) {
  for (const auto& m : o.measurements)
    if (m.name == name) return m.value;
  FAIL("measurement " << name << " missing");
  return -1;
}

checks::CheckOutput pair(const fs::path& a, const fs::path& b) {
  return checks::check_table().at("conversion_pair")(
      json{{"a", a.string()}, {"b", b.string()}, {"prompt", "What is 2+2?"}, {"max_tokens", 4}, {"backend", "cpu"}});
}

// The gate's verdict: Falsified naming `measurement` with its measured value.
void falsified_by(const checks::CheckOutput& o, const std::string& gate, const std::string& measurement, double value) {
  auto v = judge_gate(o.measurements, requirements(gate));
  CHECK(v.outcome == Outcome::falsified);
  CHECK_MESSAGE(v.reason.find(measurement + " = " + fmt::format("{:g}", value)) != std::string::npos, v.reason);
}

}  // namespace

TEST_CASE("config_differences: a planted config change is Falsified by the lossless gate, with the count") {
  auto d = work("config");
  auto s = snapshot(d, true);
  auto g = convert(s, d / "m.gguf");
  auto clean = pair(g, convert(g, d / "m.apr"));
  CHECK(value_of(clean, "config_differences") == 0);
  CHECK(judge_gate(clean.measurements, requirements("F-CONV-G-A")).outcome == Outcome::corroborated);
  const std::pair<const char*, std::function<void(apr::model::ModelConfig&)>> edits[] = {
      {"rope_theta", [](auto& c) { c.rope_theta *= 1.01; }},
      {"rms_eps", [](auto& c) { c.rms_eps *= 1.1; }},
      {"context", [](auto& c) { c.context /= 2; }},
  };
  for (const auto& [field, edit] : edits) {
    CAPTURE(field);
    auto b = plant(g, d / (std::string(field) + ".apr"), apr::ModelFormat::apr, [&](CanonicalModel& m) { edit(m.config); });
    auto o = pair(g, b);
    CHECK(value_of(o, "config_differences") == 1);
    CHECK(o.output.find(std::string("config ") + field + ":") != std::string::npos);
    CHECK(value_of(o, "tensor_max_abs_diff") == 0);  // every tensor identical: only the config tells
    falsified_by(o, "F-CONV-G-A", "config_differences", 1);
  }
}

TEST_CASE("tied_embeddings_mismatch: an export that unties itself with an lm_head copy is Falsified") {
  auto d = work("tied");
  auto s = snapshot(d, true);
  auto untie = [](CanonicalModel& m) {
    m.config.tied_embeddings = false;
    CanonicalTensor head = *m.find("model.embed_tokens.weight");
    head.name = "lm_head.weight";
    m.tensors.push_back(head);
    std::sort(m.tensors.begin(), m.tensors.end(), [](const auto& x, const auto& y) { return x.name < y.name; });
  };
  auto b = plant(s, d / "untied.apr", apr::ModelFormat::apr, untie);
  auto o = pair(s / "model.safetensors", b);
  CHECK(value_of(o, "tied_embeddings_mismatch") == 1);
  CHECK(value_of(o, "tensors_missing") == 0);        // the copy is compared with a's embedding ...
  CHECK(value_of(o, "tensor_max_abs_diff") == 0);    // ... and equals it: only tied-ness tells
  CHECK(o.output.find("a tied, b untied (b carries an lm_head.weight)") != std::string::npos);
  falsified_by(o, "F-CONV-S-A", "tied_embeddings_mismatch", 1);
  // The other way round: an untied reference, a tied artifact.
  auto r = pair(b, convert(s, d / "tied.apr"));
  CHECK(value_of(r, "tied_embeddings_mismatch") == 1);
  falsified_by(r, "F-CONV-A-S", "tied_embeddings_mismatch", 1);
  // Both tied: no mismatch.
  CHECK(value_of(pair(s / "model.safetensors", d / "tied.apr"), "tied_embeddings_mismatch") == 0);
}

TEST_CASE("unexplained_dtype_changes: widenings no record or format limit explains are Falsified") {
  auto d = work("dtype");
  SUBCASE("a GGUF export widening BF16 to F32 without a record (values exact)") {
    auto g = convert(snapshot(d, true, GgmlType::BF16), d / "bf16.gguf");
    auto b = plant(g, d / "wide.gguf", apr::ModelFormat::gguf, [](CanonicalModel& m) {
      for (auto& t : m.tensors)
        if (t.type() == GgmlType::BF16) t = widened(t);
    });
    auto o = pair(g, b);
    CHECK(value_of(o, "tensor_max_abs_diff") == 0);
    CHECK(value_of(o, "unexplained_dtype_changes") > 0);
    falsified_by(o, "F-CONV-A-G", "unexplained_dtype_changes", value_of(o, "unexplained_dtype_changes"));
    auto dt = checks::check_table().at("differential_tensor")(json{{"a", g.string()}, {"b", b.string()}});
    CHECK(value_of(dt, "unexplained_dtype_changes") == value_of(o, "unexplained_dtype_changes"));
  }
  SUBCASE("Q8_0 kept as recorded F32 in APR, which stores Q8_0 (needless widening, missed restoration)") {
    apr::convert::ConvertOptions q8;
    q8.quantize = "q8_0";
    auto g = convert(snapshot(d, true), d / "q8.gguf", q8);
    auto st = convert(g, d / "st");  // exact F32 + records: SafeTensors cannot store Q8_0
    auto a = convert(st, d / "m.apr");  // restored
    auto explained = pair(g, st);
    CHECK(value_of(explained, "unexplained_dtype_changes") == 0);
    CHECK(judge_gate(explained.measurements, requirements("F-CONV-G-S")).outcome == Outcome::corroborated);
    CHECK(value_of(pair(st, a), "unexplained_dtype_changes") == 0);
    // The planted APR keeps F32 with a record whose hash does not match, so the exporter cannot restore it.
    auto b = plant(g, d / "wide.apr", apr::ModelFormat::apr, [](CanonicalModel& m) {
      for (auto& t : m.tensors)
        if (t.type() == GgmlType::Q8_0) t = widened(t, GgmlType::Q8_0, std::string(64, '0'));
    });
    auto o = pair(g, b);
    const double n = value_of(o, "unexplained_dtype_changes");
    CHECK(n > 0);
    CHECK(o.output.find("re-encoding gives its bytes back") != std::string::npos);
    falsified_by(o, "F-CONV-G-A", "unexplained_dtype_changes", n);
    auto m = pair(st, b);  // same dtype (F32) on both sides, but st records Q8_0 that b's format stores
    CHECK(value_of(m, "unexplained_dtype_changes") == n);
    CHECK(m.output.find("yet b kept F32") != std::string::npos);
  }
}
