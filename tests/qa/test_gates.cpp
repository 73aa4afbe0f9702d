// Gate catalogue: loads, covers the gate ids, categories agree with MQS, docs up to date.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "qa/gate.hpp"
#include "qa/mqs.hpp"

using namespace apr::qa;

TEST_CASE("built-in catalogue covers the required gates") {
  auto cat = GateCatalogue::builtin();
  REQUIRE_MESSAGE(cat.ok(), std::string(cat.ok() ? "" : cat.error().what()));
  std::vector<std::string> ids = {
      "G0-FORMAT-APR-001", "G0-FORMAT-GGUF-001", "G0-VALIDATE-001", "G0-TENSOR-001", "G0-INTEGRITY-CONFIG",
      "G0-INTEGRITY-LAYERS", "G0-INTEGRITY-HIDDEN", "G0-INTEGRITY-VOCAB", "G0-LAYOUT-001", "G2-BASIC", "G3-STABLE",
      "F-CONV-RT-BYTE-001", "F-CONV-IDEM-001", "F-CONV-COM-001", "F-CONV-CARD-001", "F-CONV-NAME-001", "F-LAYOUT-002",
      "F-ROSETTA-INF-001", "F-ROSETTA-INF-003", "F-TRACE-PAYLOAD-001"};
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
    if (g.kind != CheckKind::process_outcome) CHECK(!g.measures.empty());
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
                                            "    severity: P0\n    category: QUAL\n    kind: trace_payload\n"}});
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("at least one measurement") != std::string::npos);
}
