#include <fmt/format.h>

#include "qa/report.hpp"

namespace apr::qa {

static std::string md(const std::string& s) {
  std::string o;
  for (char c : s) o += c == '|' ? std::string("\\|") : (c == '\n' ? std::string(" ") : std::string(1, c));
  return o;
}

static std::string measurement_cell(const Evidence& e) {
  std::string t;
  for (const auto& m : e.measurements) {
    if (!t.empty()) t += "<br>";
    t += fmt::format("`{}` = {}", m.name, format_number(m.value));
    if (m.threshold) t += fmt::format(" ({} {})", to_string(m.comparator), format_number(*m.threshold));
  }
  return t.empty() ? "—" : t;
}

std::string markdown_summary(const ReportInput& in) {
  const auto& m = in.mqs;
  std::string s = fmt::format("# apr-qa: {}\n\n", in.model_id);
  if (!in.playbook.empty()) s += fmt::format("Playbook `{}`.\n\n", in.playbook);
  s += fmt::format("**MQS {} / 1000 → {:.1f} ({})** · certification **{}** ({} tier, score {}, grade {}) · gateways {}\n\n",
                   m.raw_score, m.normalized_score, m.grade, in.cert.status, in.cert.tier, in.cert.score, in.cert.grade,
                   m.gateways_passed ? "passed" : "FAILED");
  s += fmt::format("{} entries: {} Corroborated, {} failed (Falsified/Timeout/Crashed), {} Skipped (not counted as passes).\n\n",
                   in.evidence.size(), m.tests_passed, m.tests_failed, m.tests_skipped);
  for (const auto& g : m.gateways)
    if (!g.passed) s += fmt::format("- gateway {} failed: {}\n", g.id, md(g.failure_reason));
  s += "\n## Failures\n\n";
  int nf = 0;
  for (const auto& e : in.evidence) {
    if (!is_failure(e.outcome)) continue;
    if (nf++ == 0) s += "| Gate | Outcome | Scenario | Reason | Measurements |\n|---|---|---|---|---|\n";
    s += fmt::format("| {} | {} | {}/{}/{} | {} | {} |\n", e.gate_id, to_string(e.outcome), e.scenario.modality,
                     e.scenario.backend, e.scenario.format, md(e.reason), measurement_cell(e));
  }
  if (nf == 0) s += "None.\n";
  s += "\n## Categories\n\n| Category | Score | Max | Passed | Counted | Skipped |\n|---|---|---|---|---|---|\n";
  for (const auto& c : m.categories)
    s += fmt::format("| {} | {} | {} | {} | {} | {} |\n", c.name, c.score, c.max, c.passed, c.total, c.skipped);
  if (!m.penalties.empty()) {
    s += "\nPenalties: ";
    for (const auto& p : m.penalties) s += fmt::format("{} −{} ({}); ", p.code, p.points, p.description);
    s += "\n";
  }
  s += "\n## All entries\n\n| Gate | Outcome | Scenario | Reason | Measurements |\n|---|---|---|---|---|\n";
  for (const auto& e : in.evidence)
    s += fmt::format("| {} | {} | {}/{}/{} | {} | {} |\n", e.gate_id, to_string(e.outcome), e.scenario.modality,
                     e.scenario.backend, e.scenario.format, md(e.reason), measurement_cell(e));
  if (!in.seconds_by_kind.empty()) {
    s += "\n## Worker time by node kind\n\n| Kind | Seconds |\n|---|---|\n";
    for (const auto& [k, v] : in.seconds_by_kind) s += fmt::format("| {} | {:.2f} |\n", k, v);
  }
  return s;
}

}  // namespace apr::qa
