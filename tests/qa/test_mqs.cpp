// MQS (anchor-spec §6.1) and certification (§6.3) against hand-computed cases.
#include <doctest/doctest.h>

#include "qa/mqs.hpp"

using namespace apr::qa;

static Evidence ev(const std::string& gate, Outcome o) {
  Evidence e;
  e.gate_id = gate;
  e.outcome = o;
  e.reason = "r";
  return e;
}

TEST_CASE("category mapping follows the anchor's id rules") {
  CHECK(mqs_category_for("F-CONV-RT-001") == "REGR");
  CHECK(mqs_category_for("F-CONV-IDEM-001") == "REGR");
  CHECK(mqs_category_for("F-CONV-COM-001") == "REGR");
  CHECK(mqs_category_for("F-CONV-G-A") == "COMP");
  CHECK(mqs_category_for("F-CONTRACT-I2-001") == "COMP");
  CHECK(mqs_category_for("G0-VALIDATE-001") == "STAB");
  CHECK(mqs_category_for("F-PERF-001") == "PERF");
  CHECK(mqs_category_for("F-EDGE-003") == "EDGE");
  CHECK(mqs_category_for("F-A1-001") == "QUAL");
  CHECK(mqs_category_for("G2-BASIC") == "QUAL");
}

TEST_CASE("normalisation and grades at the anchor's documented points") {
  CHECK(normalize_raw(500) == doctest::Approx(74.0).epsilon(0.001));
  CHECK(normalize_raw(700) == doctest::Approx(86.3).epsilon(0.001));
  CHECK(normalize_raw(800) == doctest::Approx(91.4).epsilon(0.001));
  CHECK(normalize_raw(900) == doctest::Approx(95.9).epsilon(0.001));
  CHECK(normalize_raw(1000) == doctest::Approx(100.0));
  CHECK(normalize_raw(0) == 0.0);
  CHECK(grade_for(97) == "A+");
  CHECK(grade_for(96.9) == "A");
  CHECK(grade_for(90) == "A-");
  CHECK(grade_for(70) == "C-");
  CHECK(grade_for(59.99) == "F");
}

TEST_CASE("all pass: 1000 / 100 / A+") {
  std::vector<Evidence> e{ev("F-A1-001", Outcome::corroborated), ev("F-CONV-G-A", Outcome::corroborated),
                          ev("F-CONV-RT-001", Outcome::corroborated), ev("G0-VALIDATE-001", Outcome::corroborated)};
  auto m = compute_mqs("a/b", e);
  CHECK(m.raw_score == 1000);
  CHECK(m.grade == "A+");
  CHECK(m.gateways_passed);
  CHECK(m.production_ready);
}

TEST_CASE("hand-computed: one COMP failure of 3, one QUAL crash and a timeout") {
  // QUAL: F-A1 x2 corroborated + one Crashed F-A1 -> 2/3*200 = 133; but a crash fails gateway G3.
  std::vector<Evidence> e{ev("F-CONV-G-A", Outcome::corroborated), ev("F-CONV-A-G", Outcome::falsified),
                          ev("F-CONV-S-A", Outcome::corroborated), ev("F-A1-001", Outcome::corroborated),
                          ev("F-A1-001", Outcome::timeout)};
  auto m = compute_mqs("a/b", e);
  // COMP 2/3*150 = 100; QUAL 1/2*200 = 100; PERF 150, STAB 200, EDGE 150, REGR 150 (empty = max).
  CHECK(m.categories[0].score == 100);  // QUAL
  CHECK(m.categories[3].score == 100);  // COMP
  CHECK(m.total_penalty == 10);
  CHECK(m.raw_score == 100 + 150 + 200 + 100 + 150 + 150 - 10);
  CHECK(m.normalized_score == doctest::Approx(100.0 * std::log(1 + 9 * 840 / 1000.0) / std::log(10.0)));
  CHECK(m.grade == "A");  // 93.9
  e.push_back(ev("F-A1-001", Outcome::crashed));
  auto z = compute_mqs("a/b", e);
  CHECK_FALSE(z.gateways[3].passed);
  CHECK(z.raw_score == 0);
  CHECK(z.grade == "F");
}

TEST_CASE("gateways: G0-INTEGRITY, G2 ids, G4 > floor(N/4)") {
  auto m = compute_mqs("a/b", {ev("G0-INTEGRITY-VOCAB", Outcome::falsified), ev("F-A1-001", Outcome::corroborated)});
  CHECK_FALSE(m.gateways[0].passed);
  CHECK(m.raw_score == 0);
  m = compute_mqs("a/b", {ev("G2-BASIC", Outcome::falsified), ev("F-A1-001", Outcome::corroborated)});
  CHECK_FALSE(m.gateways[2].passed);
  // 8 counted entries, 2 G4 failures: 2 > floor(8/4)=2 is false -> passes; 3 fails.
  std::vector<Evidence> e;
  for (int i = 0; i < 6; ++i) e.push_back(ev("F-A1-001", Outcome::corroborated));
  e.push_back(ev("G4-VALID", Outcome::falsified));
  e.push_back(ev("G4-VALID", Outcome::falsified));
  CHECK(compute_mqs("a/b", e).gateways[4].passed);
  e.push_back(ev("G4-VALID", Outcome::falsified));
  CHECK_FALSE(compute_mqs("a/b", e).gateways[4].passed);  // 3 > floor(9/4)=2
}

TEST_CASE("Skipped is not a pass and is reported separately") {
  std::vector<Evidence> e{ev("F-A1-001", Outcome::corroborated), ev("F-A2-001", Outcome::skipped),
                          ev("F-A2-001", Outcome::skipped)};
  auto m = compute_mqs("a/b", e);
  CHECK(m.tests_passed == 1);
  CHECK(m.tests_skipped == 2);
  CHECK(m.total_tests == 1);
  CHECK(m.categories[0].skipped == 2);
  auto none = compute_mqs("a/b", {ev("F-A2-001", Outcome::skipped)});
  CHECK(none.raw_score == 0);  // nothing measured scores nothing
}

TEST_CASE("certification tiers") {
  Mqs m;
  m.gateways_passed = true;
  m.total_tests = 100;
  m.tests_passed = 100;
  auto c = certify(m, "quick");
  CHECK(c.tier == "FULL");
  CHECK(c.status == "CERTIFIED");
  CHECK(c.score == 1000);
  CHECK(c.grade == "A+");
  m.tests_passed = 92;
  c = certify(m, "full");
  CHECK(c.status == "PROVISIONAL");
  CHECK(c.score == 839);  // 800 + floor(0.02 / 0.05 * 99)
  c = certify(m, "mvp");
  CHECK(c.status == "PROVISIONAL");
  CHECK(c.score == 800);
  m.tests_passed = 50;
  c = certify(m, "mvp");
  CHECK(c.status == "BLOCKED");
  CHECK(c.score == 349);
  CHECK(c.grade == "F");
  m.tests_passed = 100;
  m.gateways_passed = false;
  CHECK(certify(m, "quick").status == "BLOCKED");
}
