// Check kinds run in-process on a tiny fixture: F-ROSETTA-FP-002's fingerprint comparison is
// never a self-comparison; the conversion comparison measures a broken artifact (missing
// tensor, no tokenizer) instead of passing or merely failing to load; a shared inference run
// read back for k tokens is exactly a k-token run.
#include <doctest/doctest.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "qa/checks/check.hpp"
#include "qa/judge.hpp"
#include "qa/playbook_values.hpp"
#include "qa/checks/teacher_forced.hpp"
#include "qa/outcome.hpp"

#include "convert/fixture.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;
using nlohmann::json;

static fs::path tiny_snapshot(const std::string& name) {
  fs::path d = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/checks" / name;
  fs::remove_all(d);
  apr::convert::FixtureOptions fo;
  fo.seed = 3;
  auto f = apr::convert::write_fixture(fo, d);
  REQUIRE_MESSAGE(f.ok(), std::string(f.ok() ? "" : f.error().what()));
  return d;
}

static const Measurement* find(const checks::CheckOutput& o, const std::string& name) {
  for (const auto& m : o.measurements)
    if (m.name == name) return &m;
  return nullptr;
}

TEST_CASE("fingerprint: a model is never compared with itself") {
  auto d = tiny_snapshot("fp");
  const std::string model = (d / "model.safetensors").string();
  fs::path link = d / "alias.safetensors";
  fs::create_symlink(d / "model.safetensors", link);
  const auto fn = checks::check_table().at("differential_fingerprint");
  for (const std::string& ref : {model, link.string()}) {
    CAPTURE(ref);
    auto o = fn(json{{"model", model}, {"format", "safetensors"}, {"reference", ref}});
    CHECK(find(o, "tensors_scanned") != nullptr);
    CHECK(find(o, "fingerprint_mismatches") == nullptr);  // not measured: nothing to compare
    // So a gate requiring it cannot be Corroborated.
    auto v = judge(o.measurements, {"tensors_scanned", "fingerprint_mismatches"});
    CHECK(v.outcome == Outcome::falsified);
  }
  // Against a different file the comparison is measured (and a lossless copy agrees).
  fs::path other = d / "other";
  fs::create_directories(other);
  for (const char* f : {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json"})
    fs::copy_file(d / f, other / f);
  auto o = fn(json{{"model", model}, {"format", "safetensors"}, {"reference", (other / "model.safetensors").string()}});
  REQUIRE(find(o, "fingerprint_mismatches") != nullptr);
  CHECK(find(o, "fingerprint_mismatches")->value == 0);
}

// The F-CONV-G-S gate's requirements, bound as a playbook with default conversion_tests would.
static std::vector<BoundRequirement> conversion_requirements() {
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  std::string why;
  auto req = bind_gate(cat->at("F-CONV-G-S"), playbook_values(Playbook{}, "directory"), "cpu", why);
  REQUIRE_MESSAGE(req.has_value(), why);
  return *req;
}

TEST_CASE("conversion compare: a converted artifact that does not load is still measured") {
  const auto req = conversion_requirements();
  auto a = tiny_snapshot("conv-a");
  const auto fn = checks::check_table().at("conversion_pair");
  json p = {{"a", (a / "model.safetensors").string()}, {"prompt", "What is 2+2?"}, {"max_tokens", 4}, {"backend", "cpu"}};
  SUBCASE("identical copy: every judged measurement passes with diff exactly 0") {
    auto b = tiny_snapshot("conv-b");
    p["b"] = (b / "model.safetensors").string();
    auto o = fn(p);
    REQUIRE(find(o, "diff") != nullptr);
    CHECK(find(o, "diff")->value == 0);
    CHECK(find(o, "tokenizer_differences")->value == 0);
    CHECK(find(o, "load_errors")->value == 0);
    CHECK(judge_gate(o.measurements, req).outcome == Outcome::corroborated);
  }
  SUBCASE("lost tokenizer: tokenizer_differences counts every entry; the logits still compare") {
    auto b = tiny_snapshot("conv-b");
    fs::remove(b / "tokenizer.json");
    p["b"] = (b / "model.safetensors").string();
    auto o = fn(p);
    REQUIRE(find(o, "tokenizer_differences") != nullptr);
    CHECK(find(o, "tokenizer_differences")->value > 256);  // 256 byte tokens at least
    CHECK(find(o, "load_errors")->value == 1);
    CHECK(o.note.find("strict load") != std::string::npos);
    auto v = judge_gate(o.measurements, req);
    CHECK(v.outcome == Outcome::falsified);
    CHECK(v.reason.find("tokenizer_differences") != std::string::npos);
  }
  SUBCASE("no file at all: nothing measured is a pass, diff is NaN with its reason") {
    p["b"] = (a / "missing.safetensors").string();
    auto o = fn(p);
    REQUIRE(find(o, "diff") != nullptr);
    CHECK(std::isnan(find(o, "diff")->value));
    CHECK(find(o, "diff")->note.find("not measured") == 0);
    CHECK_FALSE(find(o, "diff")->threshold.has_value());  // checks return measurements only
    auto bound = bind_requirements(o.measurements, req);
    for (const auto& m : bound)
      if (m.name == "diff") CHECK_FALSE(m.passes());  // NaN never holds, whatever the threshold
    CHECK(judge_gate(o.measurements, req).outcome == Outcome::falsified);
    CHECK(find(o, "tensors_compared")->value == 0);
  }
}
TEST_CASE("shared inference run: read back for k tokens equals a k-token run, bit for bit") {
  auto d = tiny_snapshot("run");
  const std::string model = (d / "model.safetensors").string();
  const std::string run = (d / "runs/run.json").string();
  auto o = checks::infer_step(json{{"model", model}, {"prompt", "What is 2+2?"}, {"max_tokens", 10}, {"output", run}});
  CHECK(o.output.find("greedy") != std::string::npos);
  REQUIRE(fs::is_regular_file(run));
  auto m = checks::load(model);
  for (int k : {10, 7, 1}) {
    CAPTURE(k);
    auto direct = checks::compute_teacher_forced(m, "What is 2+2?", k);
    auto shared = checks::teacher_forced(json{{"a_run", run}}, "a", model, "What is 2+2?", k);
    CHECK(shared.source.find("shared run") == 0);
    CHECK(shared.prompt_ids == direct.prompt_ids);
    CHECK(shared.greedy == direct.greedy);
    REQUIRE(shared.logits.size() == direct.logits.size());
    CHECK(std::memcmp(shared.logits.data(), direct.logits.data(), direct.logits.size() * sizeof(float)) == 0);
  }
  // A run asked for more tokens than it holds is an error, never a silent shorter comparison.
  CHECK_THROWS(checks::teacher_forced(json{{"a_run", run}}, "a", model, "What is 2+2?", 11));
  // An artifact that does not load records the error; the check then measures it itself.
  auto bad = (d / "runs/bad.json").string();
  checks::infer_step(json{{"model", (d / "nope.safetensors").string()}, {"prompt", "x"}, {"max_tokens", 2}, {"output", bad}});
  std::ifstream in(bad);
  auto j = json::parse(in);
  CHECK(j.contains("error"));
}

TEST_CASE("idempotency: a file beside the model that differs or exists on one side only is counted") {
  const fs::path d = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/checks/idempotency";
  fs::remove_all(d);
  fs::create_directories(d / "a");
  fs::create_directories(d / "b");
  auto put = [](const fs::path& p, const std::string& s) { std::ofstream(p, std::ios::binary) << s; };
  put(d / "a/model.safetensors", "same bytes");
  put(d / "b/model.safetensors", "same bytes");
  put(d / "a/config.json", "{\"x\": 1}");
  put(d / "b/config.json", "{\"x\": 1}");
  const json p = {{"a", (d / "a/model.safetensors").string()}, {"b", (d / "b/model.safetensors").string()}};
  auto o = checks::idempotency(p);
  CHECK(find(o, "bytes_differing")->value == 0);
  CHECK(find(o, "other_files_compared")->value == 1);
  CHECK(find(o, "other_files_differing")->value == 0);
  put(d / "b/config.json", "{\"x\": 2}");          // a timestamp-like difference in a sidecar
  put(d / "a/tokenizer.json", "{}");                // written by one conversion only
  o = checks::idempotency(p);
  CHECK(find(o, "bytes_differing")->value == 0);
  CHECK(find(o, "other_files_compared")->value == 2);
  CHECK(find(o, "other_files_differing")->value == 2);
  CHECK(o.output.find("config.json") != std::string::npos);
}

