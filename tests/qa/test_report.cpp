// Reports: JUnit layout (anchor-spec §7), Markdown failures first with every number, HTML
// self-contained; evidence JSON round trip.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "qa/report.hpp"

using namespace apr::qa;

static Evidence entry(const std::string& gate, Outcome o, double diff) {
  Evidence e;
  e.id = new_evidence_id();
  e.gate_id = gate;
  e.category = mqs_category_for(gate);
  e.outcome = o;
  e.reason = to_string(o);
  e.scenario.org = "Qwen";
  e.scenario.name = "M";
  e.timestamp = utc_timestamp_now();
  e.measurements.push_back({"diff", diff, 1e-6, Comparator::le, "ratio"});
  e.metrics.tokens_per_second = 12.5;
  return e;
}

static ReportInput sample() {
  ReportInput in;
  in.model_id = "Qwen/M";
  in.evidence = {entry("F-CONV-G-A", Outcome::corroborated, 0), entry("F-CONV-A-G", Outcome::falsified, 0.25),
                 entry("F-A1-001", Outcome::crashed, 0), entry("F-A1-001", Outcome::timeout, 0),
                 entry("F-A2-001", Outcome::skipped, 0), entry("F-A3-001", Outcome::error, 0)};
  in.verdict = compute_verdict(in.evidence, "quick");
  in.mqs = compute_mqs(in.model_id, in.evidence);
  in.cert = certify(in.mqs, "quick");
  return in;
}

TEST_CASE("junit: counts, testcase names and element types") {
  auto x = junit_xml(sample());
  CHECK(x.find("<testsuite name=\"Qwen/M\" tests=\"6\" failures=\"1\" errors=\"3\" skipped=\"1\"") != std::string::npos);
  CHECK(x.find("name=\"run_cpu_F-CONV-A-G\"") != std::string::npos);
  CHECK(x.find("<failure type=\"AssertionError\"") != std::string::npos);
  CHECK(x.find("<error type=\"CrashError\"") != std::string::npos);
  CHECK(x.find("<error type=\"TimeoutError\"") != std::string::npos);
  CHECK(x.find("<error type=\"EvaluationError\"") != std::string::npos);
  CHECK(x.find("<skipped") != std::string::npos);
}

TEST_CASE("junit properties: one verdict; the anchor's MQS only under anchor_mqs.*") {
  auto in = sample();
  auto x = junit_xml(in);
  CHECK(x.find("<property name=\"verdict.status\" value=\"NOT CERTIFIED\"/>") != std::string::npos);
  CHECK(x.find("<property name=\"verdict.tier\" value=\"quick\"/>") != std::string::npos);
  CHECK(x.find("<property name=\"verdict.grade\" value=\"F\"/>") != std::string::npos);
  CHECK(x.find("<property name=\"verdict.coverage\" value=\"2/6\"/>") != std::string::npos);
  CHECK(x.find("<property name=\"verdict.not_measured\" value=\"PERF,STAB,EDGE,REGR\"/>") != std::string::npos);
  CHECK(x.find("<property name=\"anchor_mqs.raw_score\" value=\"0\"/>") != std::string::npos);
  CHECK(x.find("\"mqs.") == std::string::npos);  // no unlabelled second score
}

TEST_CASE("markdown: the verdict first, failures next, every measured number, the anchor's MQS last") {
  auto in = sample();
  auto md = markdown_summary(in);
  CHECK(md.find("**" + headline(in.verdict) + "**") != std::string::npos);
  CHECK(md.find("**NOT CERTIFIED (quick): 1 error (F-A3-001); 1 timeout (F-A1-001); 1 crash (F-A1-001); 1 P1-P3 failure "
                "(F-CONV-A-G) | score 75/350, grade F |") != std::string::npos);
  CHECK(md.find("| PERF | not measured |") != std::string::npos);
  CHECK(md.find("## Anchor MQS (compatibility)") > md.find("## All entries"));
  CHECK(md.find("| F-A3-001 | Error |") != std::string::npos);
  auto fail = md.find("## Failures");
  auto all = md.find("## All entries");
  REQUIRE(fail != std::string::npos);
  CHECK(md.find("F-CONV-A-G", fail) < all);
  CHECK(md.find("`diff` = 0.25 (<= 1e-06)") != std::string::npos);
}

TEST_CASE("html: self-contained, matrix and throughput chart") {
  auto h = html_report(sample());
  CHECK(h.find("<svg") != std::string::npos);
  CHECK(h.find("Gate × format × backend") != std::string::npos);
  CHECK(h.find("<script src") == std::string::npos);
  CHECK(h.find("<link") == std::string::npos);
  CHECK(h.find("https://") == std::string::npos);
  CHECK(h.find("Verdict<b>NOT CERTIFIED</b>") != std::string::npos);
  CHECK(h.find("Coverage<b>2/6</b>") != std::string::npos);
  CHECK(h.find("<td>PERF</td><td>not measured</td>") != std::string::npos);
  CHECK(h.find("<td class=\"error\">Error</td>") != std::string::npos);
  CHECK(h.find("Anchor MQS (compatibility)") != std::string::npos);
}

TEST_CASE("write_reports: mqs.json holds the verdict and anchor_mqs") {
  auto in = sample();
  auto dir = std::filesystem::temp_directory_path() / ("apr_qa_report_" + new_evidence_id());
  write_reports(dir, in);
  std::ifstream f(dir / "mqs.json");
  auto j = nlohmann::json::parse(f);
  CHECK(j["verdict"]["status"] == "NOT CERTIFIED");
  CHECK(j["anchor_mqs"] == anchor_mqs_json(in.mqs, in.cert));
  CHECK_FALSE(j.contains("raw_score"));
  std::filesystem::remove_all(dir);
}

TEST_CASE("evidence entries round-trip through JSON with every anchor field") {
  auto e = entry("F-CONV-G-A", Outcome::falsified, std::nan(""));
  e.artifacts.push_back({"/x/model.apr", "apr", std::string(64, 'a'), 10});
  auto j = to_json(e);
  for (const char* k : {"id", "gate_id", "scenario", "outcome", "reason", "output", "stderr", "exit_code", "metrics", "timestamp",
                        "host", "metadata", "measurements", "artifacts", "severity", "category"})
    CHECK(j.contains(k));
  CHECK(j["measurements"][0]["value"] == "NaN");
  auto back = evidence_from_json(j);
  CHECK(back.gate_id == e.gate_id);
  CHECK(std::isnan(back.measurements[0].value));
  CHECK(back.artifacts[0].path == "/x/model.apr");
  CHECK(e.id.size() == 32);
}
