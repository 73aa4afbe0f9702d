// Gate catalogue: loads, covers the gate ids, categories agree with MQS, docs up to date.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include <filesystem>
#include <set>

#include "qa/check_kinds.hpp"
#include "qa/checks/check.hpp"
#include "qa/gate.hpp"
#include "qa/mqs.hpp"

using namespace apr::qa;

TEST_CASE("built-in catalogue covers the required gates") {
  auto cat = GateCatalogue::builtin();
  REQUIRE_MESSAGE(cat.ok(), std::string(cat.ok() ? "" : cat.error().what()));
  std::vector<std::string> ids = {
      "G0-FORMAT-APR-001", "G0-FORMAT-GGUF-001", "G0-VALIDATE-001", "G0-TENSOR-001", "G0-INTEGRITY-CONFIG",
      "G0-INTEGRITY-LAYERS", "G0-INTEGRITY-HIDDEN", "G0-INTEGRITY-VOCAB", "G0-LAYOUT-001", "G2-BASIC", "G3-STABLE",
      "F-CONV-RT-BYTE-001", "F-CONV-IDEM-001", "F-CONV-IDEM-002", "F-CONV-IDEM-003", "F-CONV-COM-001", "F-CONV-CARD-001", "F-CONV-NAME-001", "F-LAYOUT-002",
      "F-ROSETTA-INF-001", "F-ROSETTA-INF-003", "F-TRACE-PAYLOAD-001", "F-CONSUMER-GGUF-001", "F-GGUF-FORMAT-001"};
  for (int i = 1; i <= 6; ++i) ids.push_back("F-A" + std::to_string(i) + "-001");
  for (const char* p : {"G-A", "A-G", "G-S", "S-G", "A-S", "S-A"}) ids.push_back(std::string("F-CONV-") + p);
  for (int i = 1; i <= 4; ++i) ids.push_back("F-CONV-RT-00" + std::to_string(i));
  for (int i = 1; i <= 3; ++i) ids.push_back("F-GOLDEN-RULE-00" + std::to_string(i));
  for (int i = 1; i <= 5; ++i) ids.push_back("F-LAYOUT-CONTRACT-00" + std::to_string(i));
  for (int i = 1; i <= 5; ++i) ids.push_back("F-CONTRACT-I" + std::to_string(i) + "-001");
  for (int i = 1; i <= 3; ++i) ids.push_back("F-PROFILE-CI-00" + std::to_string(i));
  for (const auto& id : ids) {
    CAPTURE(id);
    CHECK(cat->find(id) != nullptr);
  }
  for (const auto& g : cat->gates()) {
    CAPTURE(g.id);
    CHECK(g.category == mqs_category_for(g.id));
    if (g.inputs.type != "process") CHECK(!g.require.empty());
  }
}

TEST_CASE("docs/gates.md is generated from the catalogue and up to date") {
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  std::ifstream in(std::string(APR_QA_SOURCE_DIR) + "/docs/gates.md");
  REQUIRE(in);
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK_MESSAGE(ss.str() == cat->markdown(), "regenerate with: apr-qa gates --markdown > docs/gates.md");
}

TEST_CASE("catalogue errors name the file, line and field") {
  auto r = GateCatalogue::from_texts({{"g.yaml", "gates:\n  - id: F-X-001\n    title: t\n    hypothesis: h\n    falsified_if: f\n"
                                                 "    severity: P7\n    category: QUAL\n    kind: inference\n"}});
  REQUIRE_FALSE(r.ok());
  std::string e = r.error().what();
  CHECK(e.find("g.yaml:6:15") != std::string::npos);
  CHECK(e.find("P7") != std::string::npos);
  r = GateCatalogue::from_texts({{"g.yaml", "gates:\n  - id: F-CONV-X-001\n    title: t\n    hypothesis: h\n    falsified_if: f\n"
                                            "    severity: P0\n    category: QUAL\n    kind: trace_payload\n    measures: [a]\n"}});
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("expected COMP") != std::string::npos);
  r = GateCatalogue::from_texts({{"g.yaml", "gates:\n  - id: F-X-001\n    title: t\n    hypothesis: h\n    falsified_if: f\n"
                                            "    severity: P0\n    category: QUAL\n    kind: trace_payload\n    inputs: {type: source}\n"}});
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("at least one measurement") != std::string::npos);
}

static std::string gate_text(const std::string& kind, const std::string& inputs, const std::string& require) {
  return "gates:\n  - id: F-X-001\n    title: t\n    hypothesis: h\n    falsified_if: f\n    severity: P0\n"
         "    category: QUAL\n    kind: " + kind + "\n    inputs: " + inputs + "\n    require: " + require + "\n";
}

TEST_CASE("catalogue errors: requirements, playbook references and inputs are checked when it loads") {
  struct Case { std::string kind, inputs, require, expect; };
  for (const Case& c : std::vector<Case>{
           {"trace_payload", "{type: source}", "{m: \"~ 3\"}", "comparator"},
           {"trace_payload", "{type: source}", "{m: \"<= ${conversion_tests.tolerence}\"}", "'conversion_tests.tolerence' is not a playbook value"},
           {"trace_payload", "{type: source}", "{m: \"<= 1e-3x\"}", "expected a number"},
           {"trace_payload", "{type: chain, chain: [gguf, apr]}", "{m: \"<= 0\"}", "measures single inputs"},
           {"conversion_pair", "{type: chain}", "{m: \"<= 0\"}", "need 'chain'"},
           {"conversion_pair", "{type: chain, chain: [gguf, onnx]}", "{m: \"<= 0\"}", "onnx"},
           {"no_such_kind", "{type: source}", "{m: \"<= 0\"}", "expected a check kind"},
           {"trace_payload", "{type: sauce}", "{m: \"<= 0\"}", "sauce"},
       }) {
    CAPTURE(c.require);
    auto r = GateCatalogue::from_texts({{"g.yaml", gate_text(c.kind, c.inputs, c.require)}});
    REQUIRE_FALSE(r.ok());
    std::string e = r.error().what();
    CHECK_MESSAGE(e.find(c.expect) != std::string::npos, e);
    CHECK(e.find("g.yaml:") != std::string::npos);
  }
}

TEST_CASE("a catalogue file is loaded like a playbook: duplicate keys and second documents are errors") {
  auto r = GateCatalogue::from_texts({{"g.yaml", gate_text("trace_payload", "{type: source}", "{m: \"<= 0\"}") +
                                                     "    require: {m: \">= 1\"}\n"}});
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("duplicate") != std::string::npos);
  r = GateCatalogue::from_texts({{"g.yaml", gate_text("trace_payload", "{type: source}", "{m: \"<= 0\"}") + "---\ngates: []\n"}});
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("g.yaml:") != std::string::npos);
}

TEST_CASE("one registry of check kinds: every kind has a worker function and every function a kind") {
  std::set<std::string> registry, table;
  // Conversion-shaped kinds are measured by the convert node itself and process kinds by the
  // executor; every other kind is a check node dispatched by the worker's table.
  for (const auto& k : check_kinds())
    if (std::string(k.shape) != "conversion" && std::string(k.shape) != "process") registry.insert(k.name);
  for (const auto& [name, fn] : checks::check_table()) {
    table.insert(name);
    CHECK(static_cast<bool>(fn));
  }
  CHECK(registry == table);
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  std::set<std::string> used;
  for (const auto& g : cat->gates()) used.insert(g.kind);
  for (const auto& k : check_kinds()) {
    CAPTURE(k.name);
    CHECK(used.count(k.name));  // no kind without a gate that uses it
  }
}

// The planner, executor and checks read gates from the catalogue; a gate id written in C++ would
// be a gate that YAML cannot change (and one in a comment or message goes stale when YAML does).
TEST_CASE("no gate id of the catalogue is written in the C++ sources, not even in a comment") {
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  std::vector<std::pair<std::string, std::string>> files;
  for (const char* dir : {"src", "runner"})
    for (const auto& e : std::filesystem::recursive_directory_iterator(std::string(APR_QA_SOURCE_DIR) + "/" + dir)) {
      auto ext = e.path().extension();
      if (ext != ".cpp" && ext != ".hpp" && ext != ".in") continue;
      std::ifstream in(e.path());
      std::stringstream ss;
      ss << in.rdbuf();
      files.emplace_back(e.path().string(), ss.str());
    }
  REQUIRE(files.size() > 50);
  for (const auto& g : cat->gates())
    for (const auto& [path, text] : files) {
      CAPTURE(path);
      CHECK_MESSAGE(text.find(g.id) == std::string::npos, g.id);
    }
}
