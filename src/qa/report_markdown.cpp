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
  const auto& v = in.verdict;
  std::string s = fmt::format("# apr-qa: {}\n\n", in.model_id);
  if (!in.playbook.empty()) s += fmt::format("Playbook `{}`.\n\n", in.playbook);
  s += fmt::format("**{}**\n\n", headline(v));  // not in a table: no escaping
  s += fmt::format("{} entries: {} Corroborated, {} Falsified, {} Error, {} Timeout, {} Crashed, {} Skipped "
                   "(not counted as passes). Coverage: {} of {} planned gates measured.\n\n",
                   in.evidence.size(), v.passed, v.failed, v.errors, v.timeouts, v.crashes, v.skipped, v.measured, v.planned);
  s += "## Failures and unevaluated gates\n\n";
  int nf = 0;
  for (const auto& e : in.evidence) {
    if (!is_failure(e.outcome)) continue;
    if (nf++ == 0) s += "| Gate | Outcome | Scenario | Reason | Measurements |\n|---|---|---|---|---|\n";
    s += fmt::format("| {} | {} | {}/{}/{} | {} | {} |\n", e.gate_id, to_string(e.outcome), e.scenario.modality,
                     e.scenario.backend, e.scenario.format, md(e.reason), measurement_cell(e));
  }
  if (nf == 0) s += "None.\n";
  s += fmt::format("\n## Score by category\n\nscore {}/{} over the measured categories; a category with no counted entry "
                   "is not measured and not scored.\n\n| Category | Score | Max | Passed | Counted | Skipped |\n|---|---|---|---|---|---|\n",
                   v.score, v.max_score);
  for (const auto& c : v.categories) {
    if (c.measured())
      s += fmt::format("| {} | {} | {} | {} | {} | {} |\n", c.name, c.score, c.max, c.passed, c.counted, c.skipped);
    else
      s += fmt::format("| {} | not measured | — | — | 0 | {} |\n", c.name, c.skipped);
  }
  s += "\n## All entries\n\n| Gate | Outcome | Scenario | Reason | Measurements |\n|---|---|---|---|---|\n";
  for (const auto& e : in.evidence)
    s += fmt::format("| {} | {} | {}/{}/{} | {} | {} |\n", e.gate_id, to_string(e.outcome), e.scenario.modality,
                     e.scenario.backend, e.scenario.format, md(e.reason), measurement_cell(e));
  if (!in.seconds_by_kind.empty()) {
    s += "\n## Worker time by node kind\n\n| Kind | Seconds |\n|---|---|\n";
    for (const auto& [k, v] : in.seconds_by_kind) s += fmt::format("| {} | {:.2f} |\n", k, v);
  }
  s += fmt::format("\n## Anchor MQS (compatibility)\n\nThe anchor's formula, kept for its readers (mqs.json "
                   "`anchor_mqs`); not the verdict above — it gives an empty category its maximum. raw {} / 1000, "
                   "normalized {:.1f}, grade {}, gateways {}; anchor certification {} ({} tier, score {}).\n",
                   m.raw_score, m.normalized_score, m.grade, m.gateways_passed ? "passed" : "failed", in.cert.status,
                   in.cert.tier, in.cert.score);
  for (const auto& g : m.gateways)
    if (!g.passed) s += fmt::format("- gateway {} failed: {}\n", g.id, md(g.failure_reason));
  return s;
}

}  // namespace apr::qa
