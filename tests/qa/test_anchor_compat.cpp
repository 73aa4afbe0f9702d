// Compatibility: the anchor's MQS and certification in mqs.json ("anchor_mqs") are exactly what
// apr-qa wrote before the verdict existed. The golden files tests/qa/data/*.anchor_mqs.json were
// produced by the pre-verdict code (main at c3c9a5c: qa/mqs.cpp, qa/outcome.cpp, qa/evidence.cpp
// built alone, printing to_json(mqs) + certification) from the anchor's real evidence files
// (../shared/anchor/evidence), tests/qa/data/mixed.evidence.json (the 0.5B file with two
// Timeouts, three Skipped and one outcome flipped, to exercise penalties and skips) and
// tests/qa/data/timeout.evidence.json (the SmolLM2 file with G2-BASIC passing and one Timeout:
// the anchor certifies it). tests/qa/data/make_anchor_golden.cpp is the program.
#include <doctest/doctest.h>

#include <fstream>

#include "qa/evidence.hpp"
#include "qa/mqs.hpp"
#include "qa/run.hpp"
#include "qa/verdict.hpp"

using namespace apr::qa;

static nlohmann::json load(const std::string& path) {
  std::ifstream f(path);
  REQUIRE_MESSAGE(f.good(), "missing " << path);
  return nlohmann::json::parse(f);
}

TEST_CASE("anchor_mqs equals the pre-verdict mqs.json for every evidence fixture") {
  const std::string shared = APR_QA_SHARED_DIR "/anchor/evidence/";
  const std::string data = APR_QA_SOURCE_DIR "/tests/qa/data/";
  struct Case {
    std::string evidence, tier, golden;
  };
  const Case cases[] = {
      {shared + "qwen2.5-coder-0.5b-mvp.evidence.json", "", "qwen2.5-coder-0.5b-mvp.anchor_mqs.json"},
      {shared + "qwen2.5-coder-0.5b-mvp.evidence.json", "mvp", "qwen2.5-coder-0.5b-mvp.mvp.anchor_mqs.json"},
      {shared + "smollm2-135m-instruct.evidence.json", "", "smollm2-135m-instruct.anchor_mqs.json"},
      {data + "mixed.evidence.json", "", "mixed.anchor_mqs.json"},
      {data + "mixed.evidence.json", "mvp", "mixed.mvp.anchor_mqs.json"},
      {data + "timeout.evidence.json", "", "timeout.anchor_mqs.json"},
      {data + "timeout.evidence.json", "mvp", "timeout.mvp.anchor_mqs.json"},
  };
  for (const auto& c : cases) {
    CAPTURE(c.golden);
    auto ev = read_evidence_file(c.evidence);
    auto id = model_id_of(ev);
    auto m = compute_mqs(id, ev);
    auto cert = certify(m, c.tier);
    auto v = compute_verdict(ev, c.tier);
    auto file = mqs_file_json(id, v, m, cert);
    auto golden = load(data + c.golden);
    CHECK(file["anchor_mqs"] == golden);
    CHECK(file["anchor_mqs"].dump() == golden.dump());  // same keys, same order, same numbers
  }
}

TEST_CASE("the anchor's 0.5B MVP run: anchor MQS passes its gateways, the verdict does not certify it") {
  auto ev = read_evidence_file(APR_QA_SHARED_DIR "/anchor/evidence/qwen2.5-coder-0.5b-mvp.evidence.json");
  auto cat = load_catalogue(std::nullopt);
  auto v = compute_verdict(ev, "mvp", [&cat](const std::string& g) {
    const auto* d = cat.find(g);
    return d ? d->severity : std::string();
  });
  CHECK(compute_mqs("q", ev).gateways_passed);
  CHECK(v.status == "NOT CERTIFIED");
  REQUIRE_FALSE(v.p0_failed.empty());
  CHECK(v.p0_failed[0].gate_id == "F-CONV-G-A");
  CHECK(v.not_measured == std::vector<std::string>{"PERF", "EDGE"});
  CHECK(v.grade == "F");
}

TEST_CASE("one Timeout: the anchor's MQS says CERTIFIED A+, the verdict says NOT CERTIFIED") {
  auto ev = read_evidence_file(APR_QA_SOURCE_DIR "/tests/qa/data/timeout.evidence.json");
  auto m = compute_mqs("s", ev);
  CHECK(certify(m, "quick").status == "CERTIFIED");
  CHECK(m.grade == "A+");
  auto v = compute_verdict(ev, "quick");
  CHECK(v.status == "NOT CERTIFIED");
  CHECK(v.reasons == std::vector<std::string>{"1 timeout (F-A6-001)"});
  CHECK(v.grade == "F");
}
