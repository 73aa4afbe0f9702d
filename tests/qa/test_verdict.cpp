// The headline verdict (qa/verdict.hpp, docs/scoring.md): one status, one score over the measured
// categories, one grade, coverage; Error/Timeout/Crashed and P0 failures block; empty categories
// are not measured, never free points. Also the Error outcome and judge's reasons.
#include <doctest/doctest.h>

#include <cmath>

#include "qa/verdict.hpp"

using namespace apr::qa;

static Evidence ev(const std::string& gate, Outcome o, const std::string& severity = "P0", const std::string& reason = "r") {
  Evidence e;
  e.gate_id = gate;
  e.outcome = o;
  e.severity = severity;
  e.category = mqs_category_for(gate);
  e.reason = reason;
  e.scenario.format = "gguf";
  return e;
}

// The README's kind of run: preflight (STAB), inference (QUAL), a conversion (COMP), a round trip
// (REGR); nothing maps to PERF or EDGE.
static std::vector<Evidence> clean_run() {
  return {ev("G0-VALIDATE-001", Outcome::corroborated), ev("G0-INTEGRITY-CONFIG", Outcome::corroborated),
          ev("F-A1-001", Outcome::corroborated),        ev("F-A2-001", Outcome::corroborated),
          ev("F-CONV-G-A", Outcome::corroborated),      ev("F-CONV-RT-001", Outcome::corroborated)};
}

TEST_CASE("Error is a sixth outcome: its own string, a failure, unevaluated, round-trips through evidence JSON") {
  CHECK(std::string(to_string(Outcome::error)) == "Error");
  CHECK(outcome_from_string("Error") == Outcome::error);
  CHECK_FALSE(outcome_from_string("error").has_value());
  CHECK(is_failure(Outcome::error));
  CHECK(is_unevaluated(Outcome::error));
  CHECK(is_unevaluated(Outcome::timeout));
  CHECK(is_unevaluated(Outcome::crashed));
  CHECK_FALSE(is_unevaluated(Outcome::falsified));
  CHECK(all_outcomes().size() == 6);
  for (auto o : all_outcomes()) CHECK(outcome_from_string(to_string(o)) == o);
  Evidence e = ev("F-A1-001", Outcome::error, "P0", "worker threw: bad_alloc");
  e.id = new_evidence_id();
  auto j = to_json(e);
  CHECK(j["outcome"] == "Error");
  CHECK(evidence_from_json(j).outcome == Outcome::error);
}

TEST_CASE("judge: a Falsified reason lists every violated measurement first and never a passing one") {
  std::vector<Measurement> ms{{"config_ok", 1, 1.0, Comparator::ge, "", ""},
                              {"hidden_mismatch", 1, 0.0, Comparator::le, "", ""},
                              {"vocab_mismatch", 0, 0.0, Comparator::le, "", ""},
                              {"layers_mismatch", 2, 0.0, Comparator::le, "", ""}};
  auto v = judge(ms, {"config_ok", "hidden_mismatch", "vocab_mismatch", "layers_mismatch", "heads_mismatch"});
  CHECK(v.outcome == Outcome::falsified);
  CHECK(v.reason ==
        "hidden_mismatch = 1 violates <= 0; layers_mismatch = 2 violates <= 0; no measurement 'heads_mismatch' was produced");
  CHECK(v.reason.find("config_ok") == std::string::npos);
  CHECK(v.reason.find("vocab_mismatch") == std::string::npos);
  Measurement nan{"diff", std::nan(""), 1e-6, Comparator::le, "ratio", "not measured: engine refused"};
  auto w = judge({nan}, {"diff"});
  CHECK(w.reason == "diff = nan (not measured: engine refused) violates <= 1e-06");
}

TEST_CASE("clean run: CERTIFIED, score over measured categories only, PERF and EDGE listed as not measured") {
  auto v = compute_verdict(clean_run(), "quick");
  CHECK(v.status == "CERTIFIED");
  CHECK(v.certified());
  CHECK(v.reasons.empty());
  CHECK(v.score == 700);      // QUAL 200 + STAB 200 + COMP 150 + REGR 150
  CHECK(v.max_score == 700);  // not 1000: PERF and EDGE earned nothing because nothing ran there
  CHECK(v.grade == "A+");
  CHECK(v.not_measured == std::vector<std::string>{"PERF", "EDGE"});
  CHECK(v.measured == 6);
  CHECK(v.planned == 6);
  CHECK(headline(v) ==
        "CERTIFIED (quick) | score 700/700, grade A+ | not measured: PERF, EDGE | coverage 6/6 gates | 6 passed, 0 failed, "
        "0 skipped");
}

TEST_CASE("a P0 failure: NOT CERTIFIED, grade F whatever the score, the gate named") {
  auto e = clean_run();
  e.push_back(ev("F-CONV-G-A", Outcome::falsified));
  e.push_back(ev("F-A1-001", Outcome::falsified));
  e.push_back(ev("F-A1-001", Outcome::falsified));
  auto v = compute_verdict(e, "quick");
  CHECK(v.status == "NOT CERTIFIED");
  CHECK(v.grade == "F");
  REQUIRE(v.reasons.size() == 1);
  CHECK(v.reasons[0] == "3 P0 failures (F-CONV-G-A, F-A1-001 x2)");
  // QUAL 2/4 -> 100, STAB 200, COMP 1/2 -> 75, REGR 150
  CHECK(v.score == 100 + 200 + 75 + 150);
  CHECK(v.max_score == 700);
  CHECK(v.measured == 9);
  auto h = headline(v);
  CHECK(h.rfind("NOT CERTIFIED (quick): 3 P0 failures (F-CONV-G-A, F-A1-001 x2) | score 525/700, grade F |", 0) == 0);
  CHECK(h.find("A+") == std::string::npos);  // one grade on the line
}

TEST_CASE("an Error (or Timeout, Crashed) blocks on its own and is named apart from failures") {
  auto e = clean_run();
  e.push_back(ev("F-A3-001", Outcome::error, "P1", "worker threw: out of memory"));
  auto v = compute_verdict(e, "mvp");
  CHECK(v.status == "NOT CERTIFIED");
  CHECK(v.failed == 0);
  CHECK(v.errors == 1);
  CHECK(v.measured == 6);  // the Error entry was planned, not measured
  CHECK(v.planned == 7);
  CHECK(v.reasons == std::vector<std::string>{"1 error (F-A3-001)"});
  CHECK(v.score == 133 + 200 + 150 + 150);  // QUAL 2/3 of 200: an unevaluated gate earns nothing
  auto h = headline(v);
  CHECK(h.find("NOT CERTIFIED (mvp): 1 error (F-A3-001)") == 0);
  CHECK(h.find("coverage 6/7 gates") != std::string::npos);
  CHECK(h.find("6 passed, 0 failed, 1 error, 0 skipped") != std::string::npos);
  auto t = clean_run();
  t.push_back(ev("F-A1-001", Outcome::timeout));
  t.push_back(ev("F-A2-001", Outcome::crashed));
  auto tv = compute_verdict(t, "quick");
  CHECK(tv.status == "NOT CERTIFIED");
  CHECK(tv.reasons == std::vector<std::string>{"1 timeout (F-A1-001)", "1 crash (F-A2-001)"});
  CHECK(headline(tv).find("1 timeout, 1 crashed, 0 skipped") != std::string::npos);
}

TEST_CASE("gates the run never reached (interrupt, environment error) block; planned skips do not") {
  auto planned = clean_run();
  planned.push_back(ev("F-A1-001", Outcome::skipped, "P0", "no CUDA device"));
  planned.push_back(ev("F-CONV-G-S", Outcome::skipped, "P0", "format not in the playbook"));
  auto pv = compute_verdict(planned, "quick");
  CHECK(pv.status == "CERTIFIED");
  CHECK(pv.not_run.empty());
  CHECK(to_json(pv).count("not_run") == 0);  // finished runs' mqs.json unchanged

  // An interrupted run: two gates passed, the rest Skipped "run interrupted" (once CERTIFIED A+).
  std::vector<Evidence> cut = {ev("G0-VALIDATE-001", Outcome::corroborated), ev("F-A1-001", Outcome::corroborated)};
  for (const char* g : {"F-CONV-G-A", "F-CONV-RT-001", "F-A2-001", "F-CONV-G-A"})
    cut.push_back(ev(g, Outcome::skipped, "P0", std::string(kNotRunInterrupted)));
  cut.push_back(ev("F-A3-001", Outcome::skipped, "P2", std::string(kNotRunEnvironment) + ": No space left on device"));
  auto v = compute_verdict(cut, "quick");
  CHECK(v.status == "NOT CERTIFIED");
  CHECK(v.grade == "F");
  CHECK(v.skipped == 5);
  CHECK(v.reasons == std::vector<std::string>{
                         "5 gates not run before the run stopped (F-CONV-G-A x2, F-CONV-RT-001, F-A2-001, F-A3-001)"});
  CHECK(headline(v).rfind("NOT CERTIFIED (quick): 5 gates not run", 0) == 0);
  auto j = to_json(v);
  REQUIRE(j.count("not_run") == 1);
  CHECK(j["not_run"].size() == 4);
  // A reason that merely mentions an interrupt is a planned skip, not a cut-short run.
  CHECK_FALSE(is_cut_short("skipped: run interrupted earlier by the user"));
  CHECK(is_cut_short(kNotRunInterrupted));
}

TEST_CASE("an empty category is not measured: excluded, listed, never free points") {
  // One QUAL gate, failing half: the anchor's MQS would add PERF+STAB+COMP+EDGE+REGR = 800 free points.
  std::vector<Evidence> e{ev("F-A1-001", Outcome::corroborated, "P1"), ev("F-A2-001", Outcome::falsified, "P1"),
                          ev("F-CONV-G-A", Outcome::skipped)};
  auto v = compute_verdict(e, "");
  CHECK(v.status == "PROVISIONAL");  // only a non-P0 failure
  CHECK(v.score == 100);
  CHECK(v.max_score == 200);
  CHECK(v.grade == "F");  // 50 %
  CHECK(v.not_measured == std::vector<std::string>{"PERF", "STAB", "COMP", "EDGE", "REGR"});  // COMP had only a Skipped entry
  CHECK(v.categories[3].skipped == 1);
  CHECK(v.reasons == std::vector<std::string>{"1 P1-P3 failure (F-A2-001)"});
  CHECK(headline(v).rfind("PROVISIONAL: 1 P1-P3 failure (F-A2-001) | score 100/200, grade F | not measured: PERF, STAB, COMP, "
                          "EDGE, REGR | coverage 2/3 gates | 1 passed, 1 failed, 1 skipped",
                          0) == 0);
  auto anchor = compute_mqs("a/b", e);
  CHECK(anchor.raw_score == 100 + 150 + 200 + 150 + 150 + 150);  // the anchor's free points, kept for compatibility
}

TEST_CASE("nothing measured is NOT CERTIFIED with no score") {
  auto v = compute_verdict({ev("F-A1-001", Outcome::skipped)}, "quick");
  CHECK(v.status == "NOT CERTIFIED");
  CHECK(v.reasons == std::vector<std::string>{"nothing measured"});
  CHECK(v.max_score == 0);
  CHECK(headline(v).find("no score (no category measured), grade F") != std::string::npos);
  CHECK(compute_verdict({}, "").status == "NOT CERTIFIED");
}

TEST_CASE("the severity lookup (the catalogue) decides P0 for entries that carry none") {
  std::vector<Evidence> e{ev("F-A1-001", Outcome::corroborated, "P1"), ev("F-CONV-G-A", Outcome::falsified, "P1")};
  CHECK(compute_verdict(e, "").status == "PROVISIONAL");
  auto v = compute_verdict(e, "", [](const std::string& g) { return g == "F-CONV-G-A" ? std::string("P0") : std::string(); });
  CHECK(v.status == "NOT CERTIFIED");
  CHECK(v.reasons[0] == "1 P0 failure (F-CONV-G-A)");
}

TEST_CASE("gate lists name at most four ids") {
  std::vector<Evidence> e;
  for (const char* g : {"F-A1-001", "F-A2-001", "F-A3-001", "F-A4-001", "F-A5-001", "F-A6-001"})
    e.push_back(ev(g, Outcome::falsified));
  auto v = compute_verdict(e, "quick");
  CHECK(v.reasons[0] == "6 P0 failures (F-A1-001, F-A2-001, F-A3-001, F-A4-001, +2 more)");
}

TEST_CASE("failure lines: one per failed or unevaluated entry, with its reason, capped") {
  std::vector<Evidence> e = clean_run();
  e.push_back(ev("G0-INTEGRITY-HIDDEN", Outcome::falsified, "P0", "hidden_mismatch = 1 violates <= 0"));
  e.push_back(ev("F-A3-001", Outcome::error, "P0", "tool failed:\n   line two\n"));
  auto lines = failure_lines(e, 20);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0] == "G0-INTEGRITY-HIDDEN [run/cpu/gguf] Falsified: hidden_mismatch = 1 violates <= 0");
  CHECK(lines[1] == "F-A3-001 [run/cpu/gguf] Error: tool failed: line two");
  e.push_back(ev("F-A2-001", Outcome::falsified, "P0", std::string(400, 'x')));
  CHECK(failure_lines(e, 20)[2] == "F-A2-001 [run/cpu/gguf] Falsified: " + std::string(300, 'x') + "...");
  e.pop_back();
  for (int i = 0; i < 5; ++i) e.push_back(ev("F-A1-001", Outcome::falsified));  // identical: one line
  lines = failure_lines(e, 20);
  REQUIRE(lines.size() == 3);
  CHECK(lines[2] == "F-A1-001 [run/cpu/gguf] Falsified: r (x5)");
  for (int i = 0; i < 4; ++i) e.push_back(ev("F-A2-001", Outcome::falsified, "P0", "reason " + std::to_string(i)));
  lines = failure_lines(e, 4);  // 7 distinct lines, 11 results
  REQUIRE(lines.size() == 4);
  CHECK(lines[2] == "F-A1-001 [run/cpu/gguf] Falsified: r (x5)");
  CHECK(lines[3] == "... and 4 more failed or unevaluated gate results (summary.md lists them all)");
}

TEST_CASE("mqs.json: the verdict, and the anchor's MQS under its own key, unchanged") {
  auto e = clean_run();
  e.push_back(ev("F-A1-001", Outcome::error));
  auto v = compute_verdict(e, "quick");
  auto m = compute_mqs("a/b", e);
  auto c = certify(m, "quick");
  auto j = mqs_file_json("a/b", v, m, c);
  CHECK(j["model_id"] == "a/b");
  CHECK(j["verdict"]["status"] == "NOT CERTIFIED");
  CHECK(j["verdict"]["headline"] == headline(v));
  CHECK(j["verdict"]["coverage"]["measured"] == 6);
  CHECK(j["verdict"]["coverage"]["planned"] == 7);
  CHECK(j["verdict"]["counts"]["error"] == 1);
  CHECK(j["verdict"]["categories"]["perf"]["measured"] == false);
  CHECK(j["verdict"]["not_measured"] == nlohmann::json::array({"PERF", "EDGE"}));
  auto old = to_json(m);
  old["certification"] = to_json(c);
  CHECK(j["anchor_mqs"] == old);
  CHECK(j["anchor_mqs"]["tests_failed"] == 1);  // Error is a failure for the anchor's counting
  CHECK(j.size() == 3);
}

// The worked examples of docs/scoring.md, line for line. The clean run is the SmolLM2 quick
// playbook's plan: 7 G0 entries (STAB) and 14 QUAL entries.
static std::vector<Evidence> smollm2_quick() {
  std::vector<Evidence> e;
  for (const char* g : {"G0-VALIDATE-001", "G0-TENSOR-001", "G0-INTEGRITY-CONFIG", "G0-INTEGRITY-LAYERS", "G0-INTEGRITY-HIDDEN",
                        "G0-INTEGRITY-VOCAB", "G0-LAYOUT-001"})
    e.push_back(ev(g, Outcome::corroborated));
  for (int i = 0; i < 4; ++i) e.push_back(ev("F-A1-001", Outcome::corroborated));
  for (int i = 0; i < 4; ++i) e.push_back(ev("F-A3-001", Outcome::corroborated));
  for (const char* g : {"F-ROSETTA-INF-001", "F-ROSETTA-INF-002", "F-ROSETTA-INF-003", "F-TRACE-PAYLOAD-001",
                        "F-TRACE-PAYLOAD-002", "F-PROFILE-CI-001"})
    e.push_back(ev(g, Outcome::corroborated));
  return e;
}

TEST_CASE("docs/scoring.md worked examples") {
  auto clean = smollm2_quick();
  REQUIRE(clean.size() == 21);
  CHECK(headline(compute_verdict(clean, "quick")) ==
        "CERTIFIED (quick) | score 400/400, grade A+ | not measured: PERF, COMP, EDGE, REGR | coverage 21/21 gates | 21 passed, "
        "0 failed, 0 skipped");
  CHECK(compute_mqs("m", clean).raw_score == 1000);

  auto p0 = clean;
  p0[7].outcome = Outcome::falsified;  // F-A1-001 on two formats
  p0[9].outcome = Outcome::falsified;
  p0.push_back(ev("F-CONV-G-A", Outcome::falsified));
  auto v = compute_verdict(p0, "quick");
  CHECK(headline(v) ==
        "NOT CERTIFIED (quick): 3 P0 failures (F-A1-001 x2, F-CONV-G-A) | score 371/550, grade F | not measured: PERF, EDGE, "
        "REGR | coverage 22/22 gates | 19 passed, 3 failed, 0 skipped");
  CHECK(grade_for(v.percent) == "D+");
  auto anchor = compute_mqs("m", p0);
  CHECK(anchor.gateways_passed);
  CHECK(anchor.raw_score == 821);
  CHECK(anchor.grade == "A-");
  CHECK(anchor.production_ready);

  auto err = clean;
  err[12].outcome = Outcome::error;  // one F-A3-001
  err[12].reason = "worker threw: tokenizer.json: expected object";
  CHECK(headline(compute_verdict(err, "quick")) ==
        "NOT CERTIFIED (quick): 1 error (F-A3-001) | score 386/400, grade F | not measured: PERF, COMP, EDGE, REGR | coverage "
        "20/21 gates | 20 passed, 0 failed, 1 error, 0 skipped");

  std::vector<Evidence> empty{ev("G0-VALIDATE-001", Outcome::corroborated), ev("G0-TENSOR-001", Outcome::corroborated),
                              ev("F-CONV-G-A", Outcome::skipped, "P0", "no CUDA device")};
  CHECK(headline(compute_verdict(empty, "smoke")) ==
        "CERTIFIED (smoke) | score 200/200, grade A+ | not measured: QUAL, PERF, COMP, EDGE, REGR | coverage 2/3 gates | 2 "
        "passed, 0 failed, 1 skipped");
  CHECK(compute_mqs("m", empty).raw_score == 1000);

  auto hidden = clean;
  hidden[4].outcome = Outcome::falsified;  // docs/run.md's summary example
  CHECK(headline(compute_verdict(hidden, "quick")) ==
        "NOT CERTIFIED (quick): 1 P0 failure (G0-INTEGRITY-HIDDEN) | score 371/400, grade F | not measured: PERF, COMP, EDGE, "
        "REGR | coverage 21/21 gates | 20 passed, 1 failed, 0 skipped");
}
