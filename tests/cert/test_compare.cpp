// cert/compare: the regression rules of `apr-qa compare`, one planted change at a time.
#include <doctest/doctest.h>

#include "cert/compare.hpp"
#include "cert/registry.hpp"

using apr::cert::compare_evidence;
using apr::qa::Comparator;
using apr::qa::Evidence;
using apr::qa::Measurement;
using apr::qa::Outcome;

namespace {

Evidence entry(const std::string& gate, Outcome o, std::vector<Measurement> ms, std::uint64_t seed = 0) {
  Evidence e;
  e.gate_id = gate;
  e.scenario.id = "m_run_cpu_gguf_" + std::to_string(seed);
  e.scenario.seed = seed;
  e.outcome = o;
  e.measurements = std::move(ms);
  return e;
}
Measurement meas(const std::string& name, double v, double threshold, Comparator c) {
  Measurement m;
  m.name = name;
  m.value = v;
  m.threshold = threshold;
  m.comparator = c;
  return m;
}
apr::cert::Comparison cmp(const std::vector<Evidence>& a, const std::vector<Evidence>& b, std::map<std::string, double> over = {}) {
  auto band = [](const std::string& gate, const std::string& m) -> std::optional<double> {
    if (gate == "PERF" && m == "tokens_per_second") return 0.3;
    return std::nullopt;
  };
  return compare_evidence(a, b, band, over);
}

}  // namespace

TEST_CASE("compare: identical records have no change") {
  std::vector<Evidence> a = {entry("G1", Outcome::corroborated, {meas("diff", 0, 1e-6, Comparator::le)}),
                             entry("PERF", Outcome::corroborated, {meas("tokens_per_second", 50, 5, Comparator::ge)})};
  auto c = cmp(a, a);
  CHECK(c.changes.empty());
  CHECK(c.regressions() == 0);
}

TEST_CASE("compare: an exact 0 under <= that becomes non-zero is a regression, however small") {
  auto c = cmp({entry("G1", Outcome::corroborated, {meas("diff", 0, 1e-6, Comparator::le)})},
               {entry("G1", Outcome::corroborated, {meas("diff", 1e-12, 1e-6, Comparator::le)})});
  REQUIRE(c.regressions() == 1);
  CHECK(c.changes[0].kind == "drift");
  CHECK(c.changes[0].text.find("was exactly 0") != std::string::npos);
}

TEST_CASE("compare: throughput within the catalogue band is noise, beyond it a regression; --band overrides") {
  std::vector<Evidence> a = {entry("PERF", Outcome::corroborated, {meas("tokens_per_second", 50, 5, Comparator::ge)})};
  CHECK(cmp(a, {entry("PERF", Outcome::corroborated, {meas("tokens_per_second", 40, 5, Comparator::ge)})}).regressions() == 0);
  auto halved = cmp(a, {entry("PERF", Outcome::corroborated, {meas("tokens_per_second", 25, 5, Comparator::ge)})});
  CHECK(halved.regressions() == 1);
  CHECK(cmp(a, {entry("PERF", Outcome::corroborated, {meas("tokens_per_second", 25, 5, Comparator::ge)})}, {{"tokens_per_second", 0.6}})
            .regressions() == 0);
  // Faster is an improvement, not a regression.
  auto faster = cmp(a, {entry("PERF", Outcome::corroborated, {meas("tokens_per_second", 100, 5, Comparator::ge)})});
  CHECK(faster.regressions() == 0);
  CHECK(faster.improvements() == 1);
}

TEST_CASE("compare: a measurement without a catalogue band gets the 1% default in the worse direction only") {
  std::vector<Evidence> a = {entry("G1", Outcome::corroborated, {meas("ppl", 10, 20, Comparator::le)})};
  CHECK(cmp(a, {entry("G1", Outcome::corroborated, {meas("ppl", 10.05, 20, Comparator::le)})}).regressions() == 0);
  CHECK(cmp(a, {entry("G1", Outcome::corroborated, {meas("ppl", 10.2, 20, Comparator::le)})}).regressions() == 1);
  CHECK(cmp(a, {entry("G1", Outcome::corroborated, {meas("ppl", 9.0, 20, Comparator::le)})}).regressions() == 0);
}

TEST_CASE("compare: verdict changes, gates gone and new failures") {
  std::vector<Evidence> a = {entry("G1", Outcome::corroborated, {}), entry("G2", Outcome::falsified, {}), entry("G3", Outcome::corroborated, {}),
                             entry("G4", Outcome::skipped, {})};
  std::vector<Evidence> b = {entry("G1", Outcome::falsified, {}), entry("G2", Outcome::corroborated, {}), entry("G4", Outcome::error, {}),
                             entry("G5", Outcome::crashed, {}), entry("G6", Outcome::corroborated, {})};
  auto c = cmp(a, b);
  std::map<std::string, const apr::cert::Change*> by;
  for (const auto& ch : c.changes) by[ch.gate_id] = &ch;
  REQUIRE(by.size() == 6);
  CHECK(by["G1"]->regression);                                  // passed -> failed
  CHECK((by["G2"]->improvement && !by["G2"]->regression));      // failed -> passed
  CHECK((by["G3"]->kind == "removed" && by["G3"]->regression));  // a passing gate is gone
  CHECK(by["G4"]->regression);                                  // skipped -> error: a new failure
  CHECK((by["G5"]->kind == "added" && by["G5"]->regression));    // new and failing
  CHECK((by["G6"]->kind == "added" && !by["G6"]->regression));   // new and passing
  CHECK(c.regressions() == 4);
}

TEST_CASE("compare: repeats of a gate on one scenario are matched in order") {
  std::vector<Evidence> a = {entry("G1", Outcome::corroborated, {}, 1), entry("G1", Outcome::corroborated, {}, 2)};
  std::vector<Evidence> b = {entry("G1", Outcome::corroborated, {}, 1), entry("G1", Outcome::falsified, {}, 2)};
  auto c = cmp(a, b);
  REQUIRE(c.regressions() == 1);
  CHECK(c.changes[0].scenario.find("seed 2") != std::string::npos);
}

TEST_CASE("registry: a tier without a playbook file and a wrong sha256 spelling are errors naming the field") {
  auto r = apr::cert::parse_registry(
      "version: 1\nmodels:\n  - id: a/b\n    family: llama\n    parameters: 1M\n    size_category: tiny\n"
      "    source: {fixture: {arch: llama, preset: tiny, seed: 0}}\n    nightly: quick\n    tiers: {quick: /nonexistent/pb.yaml}\n",
      "/tmp/reg.yaml");
  REQUIRE(!r);
  CHECK(std::string(r.error().what()).find("models[0].tiers.quick") != std::string::npos);
  CHECK(std::string(r.error().what()).find("/tmp/reg.yaml:9:") != std::string::npos);
}
