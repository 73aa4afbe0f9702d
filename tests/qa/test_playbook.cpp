// Playbook loading: every anchor playbook/template and ours load; errors carry file:line:column.
#include <doctest/doctest.h>

#include <filesystem>
#include <string>

#include "qa/playbook.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;

static std::vector<fs::path> yaml_files(const fs::path& dir) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".yaml") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

TEST_CASE("every anchor playbook and template loads strictly, with each key's effect recorded") {
  std::size_t n = 0;
  for (const char* sub : {"playbooks", "templates"}) {
    for (const auto& f : yaml_files(fs::path(APR_QA_SHARED_DIR) / "anchor" / sub)) {
      CAPTURE(f);
      LoadOptions lo;
      lo.strict = true;
      auto pb = load_playbook(f, lo);
      REQUIRE_MESSAGE(pb.ok(), std::string(pb.ok() ? "" : pb.error().what()));
      CHECK(!pb->keys.empty());
      CHECK(!pb->name.empty());
      ++n;
    }
  }
  CHECK(n == 10);
}

TEST_CASE("our playbooks load strictly") {
  auto files = yaml_files(fs::path(APR_QA_SOURCE_DIR) / "playbooks");
  CHECK(files.size() >= 4);
  for (const auto& f : files) {
    CAPTURE(f);
    LoadOptions lo;
    lo.strict = true;
    auto pb = load_playbook(f, lo);
    REQUIRE_MESSAGE(pb.ok(), std::string(pb.ok() ? "" : pb.error().what()));
  }
}

TEST_CASE("seed quick playbook: typed values, quoted bools, ignored keys reported") {
  auto pb = load_playbook(fs::path(APR_QA_SHARED_DIR) / "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml");
  REQUIRE(pb.ok());
  CHECK(pb->name == "qwen2.5-coder-0.5b-quick");
  CHECK(pb->model.org == "Qwen");
  CHECK(pb->model.repo_name == "Qwen2.5-Coder-0.5B-Instruct");
  CHECK(pb->model.formats == std::vector<std::string>{"safetensors"});
  CHECK(pb->test_matrix.scenario_count == 10);
  CHECK(pb->differential_tests.inference_compare.enabled);  // "true" string
  CHECK(pb->differential_tests.inference_compare.tolerance == doctest::Approx(1e-5));
  CHECK(pb->differential_tests.inference_compare.max_tokens == 5);
  CHECK(pb->trace_payload.enabled);
  CHECK(pb->tier == "quick");
  bool property_ignored = false;
  for (const auto& k : pb->keys) property_ignored |= (k.key == "property_tests" && k.ignored);
  CHECK(property_ignored);
}

static std::string load_error(const std::string& yaml, bool strict = false) {
  LoadOptions lo;
  lo.strict = strict;
  auto r = parse_playbook(yaml, "t.yaml", lo);
  return r.ok() ? std::string() : std::string(r.error().what());
}

static const char* kHead = "name: t\nversion: \"1.0.0\"\nmodel:\n  hf_repo: \"a/b\"\ntest_matrix:\n  scenario_count: 1\n";

TEST_CASE("errors name file:line:column, the key, expected and found") {
  std::string e = load_error(std::string(kHead) + "failure_policy: sometimes\n");
  CHECK(e.find("t.yaml:7:17") != std::string::npos);
  CHECK(e.find("failure_policy") != std::string::npos);
  CHECK(e.find("sometimes") != std::string::npos);
  e = load_error("name: t\nversion: 1.0\nmodel:\n  hf_repo: a/b\ntest_matrix: {}\n");
  CHECK(e.find("t.yaml:2:10") != std::string::npos);
  CHECK(e.find("quote it") != std::string::npos);
  e = load_error("name: t\nversion: \"1.0.0\"\nmodel:\n  hf_repo: a/b\ntest_matrix:\n  scenario_count: 0\n");
  CHECK(e.find(":6:19") != std::string::npos);
  CHECK(e.find("[1, 1000]") != std::string::npos);
  e = load_error("name: t\nversion: \"1.0.0\"\ntest_matrix: {}\n");
  CHECK(e.find("'model' is missing") != std::string::npos);
  e = load_error("name: [unclosed\n");
  CHECK(e.find("YAML syntax error") != std::string::npos);
  CHECK(e.find("t.yaml:") != std::string::npos);
}

TEST_CASE("booleans: YAML bools and the anchor's strings, anything else is an error") {
  for (const char* v : {"true", "\"true\"", "\"Yes\"", "on", "\"OFF\"", "false"}) {
    auto r = parse_playbook(std::string(kHead) + "trace_payload:\n  enabled: " + v + "\n", "t.yaml");
    REQUIRE(r.ok());
    std::string s = v;
    bool expect = s.find("rue") != std::string::npos || s.find("es") != std::string::npos || s == "on";
    CHECK(r->trace_payload.enabled == expect);
  }
  CHECK(load_error(std::string(kHead) + "trace_payload:\n  enabled: \"maybe\"\n").find("expected a boolean") != std::string::npos);
  CHECK(load_error(std::string(kHead) + "trace_payload:\n  enabled: 1\n").find("expected a boolean") != std::string::npos);
}

TEST_CASE("unknown keys: warnings by default, errors with strict") {
  std::string y = std::string(kHead) + "mvp_cells: []\nmodel_extra: 1\n";
  auto r = parse_playbook(y, "t.yaml");
  REQUIRE(r.ok());
  REQUIRE(r->warnings.size() == 1);
  CHECK(r->warnings[0].find("mvp_cells") != std::string::npos);
  CHECK(r->warnings[0].find("model_extra") != std::string::npos);
  std::string e = load_error(y, true);
  CHECK(e.find("t.yaml:7:1") != std::string::npos);
  CHECK(e.find("unknown key") != std::string::npos);
}

TEST_CASE("templates with ${VAR} placeholders load and are marked") {
  auto r = parse_playbook("name: \"${MODEL_NAME}-ci\"\nversion: \"1.0.0\"\nmodel:\n  hf_repo: \"${HF_REPO}\"\ntest_matrix: {}\n", "t.yaml");
  REQUIRE(r.ok());
  CHECK(r->is_template);
}
