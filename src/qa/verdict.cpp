#include "qa/verdict.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "qa/mqs_rules.hpp"

namespace apr::qa {

namespace {


void add(std::vector<GateCount>& list, const std::string& id) {
  for (auto& g : list)
    if (g.gate_id == id) {
      ++g.count;
      return;
    }
  list.push_back({id, 1});
}

int total(const std::vector<GateCount>& list) {
  int n = 0;
  for (const auto& g : list) n += g.count;
  return n;
}

// "F-X-001, F-Y-002 ×3" — at most four ids, then "+N more".
std::string names(const std::vector<GateCount>& list) {
  std::string s;
  for (std::size_t i = 0; i < list.size() && i < 4; ++i) {
    s += (i ? ", " : "") + list[i].gate_id;
    if (list[i].count > 1) s += fmt::format(" x{}", list[i].count);
  }
  if (list.size() > 4) s += fmt::format(", +{} more", list.size() - 4);
  return s;
}

// "2 P0 failures (F-X-001, F-Y-002)" or "" for an empty list.
std::string describe(const std::vector<GateCount>& list, const char* one, const char* many) {
  int n = total(list);
  if (n == 0) return "";
  return fmt::format("{} {} ({})", n, n == 1 ? one : many, names(list));
}

std::string category_of(const Evidence& e) {
  const MqsRules& rules = anchor_mqs_rules();
  if (rules.has_category(e.category)) return e.category;
  return rules.category_for(e.gate_id);
}

std::string plural(int n, const char* one, const char* many) { return fmt::format("{} {}", n, n == 1 ? one : many); }

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Newlines and runs of blanks become one space; cut after `max` code points with "...".
std::string one_line(const std::string& text, std::size_t max) {
  std::string s;
  std::size_t points = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    bool blank = c == '\n' || c == '\r' || c == '\t' || c == ' ';
    if (blank && (s.empty() || s.back() == ' ')) continue;
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80 && ++points > max) {
      while (!s.empty() && s.back() == ' ') s.pop_back();
      return s + "...";
    }
    s += blank ? ' ' : c;
  }
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

}  // namespace

RunVerdict compute_verdict(const std::vector<Evidence>& entries, const std::string& tier, const SeverityLookup& severity_of) {
  RunVerdict v;
  v.tier = tier;
  for (const auto& c : anchor_mqs_rules().categories) v.categories.push_back({c.name, c.max});
  for (const auto& e : entries) {
    ++v.planned;
    std::string sev = severity_of ? severity_of(e.gate_id) : "";
    if (sev.empty()) sev = e.severity;
    auto cname = category_of(e);
    VerdictCategory* cat = nullptr;
    for (auto& c : v.categories)
      if (c.name == cname) cat = &c;
    if (e.outcome == Outcome::skipped) {
      ++v.skipped;
      ++cat->skipped;
      if (is_cut_short(e.reason)) add(v.not_run, e.gate_id);
      continue;
    }
    ++cat->counted;
    switch (e.outcome) {
      case Outcome::corroborated:
        ++v.passed;
        ++v.measured;
        ++cat->passed;
        break;
      case Outcome::falsified:
        ++v.failed;
        ++v.measured;
        add(sev == "P0" ? v.p0_failed : v.other_failed, e.gate_id);
        break;
      case Outcome::error: ++v.errors; add(v.errored, e.gate_id); break;
      case Outcome::timeout: ++v.timeouts; add(v.timed_out, e.gate_id); break;
      case Outcome::crashed: ++v.crashes; add(v.crashed, e.gate_id); break;
      case Outcome::skipped: break;
    }
  }
  for (auto& c : v.categories) {
    if (!c.measured()) {
      v.not_measured.push_back(c.name);
      continue;
    }
    c.score = static_cast<int>(std::lround(static_cast<double>(c.passed) / c.counted * c.max));
    v.score += c.score;
    v.max_score += c.max;
  }
  v.percent = v.max_score > 0 ? 100.0 * v.score / v.max_score : 0.0;

  int counted = v.planned - v.skipped;
  if (counted == 0) v.reasons.push_back("nothing measured");
  for (auto s : {describe(v.p0_failed, "P0 failure", "P0 failures"), describe(v.errored, "error", "errors"),
                 describe(v.timed_out, "timeout", "timeouts"), describe(v.crashed, "crash", "crashes"),
                 describe(v.not_run, "gate not run before the run stopped", "gates not run before the run stopped"),
                 describe(v.other_failed, "P1-P3 failure", "P1-P3 failures")})
    if (!s.empty()) v.reasons.push_back(s);
  bool blocked = counted == 0 || !v.p0_failed.empty() || v.errors + v.timeouts + v.crashes > 0 || !v.not_run.empty();
  v.status = blocked ? "NOT CERTIFIED" : (v.other_failed.empty() ? "CERTIFIED" : "PROVISIONAL");
  v.grade = blocked || v.max_score == 0 ? "F" : grade_for(v.percent);
  return v;
}

std::string headline(const RunVerdict& v) {
  std::string s = v.status;
  if (!v.tier.empty()) s += " (" + v.tier + ")";
  for (std::size_t i = 0; i < v.reasons.size(); ++i) s += (i ? "; " : ": ") + v.reasons[i];
  if (v.max_score > 0) s += fmt::format(" | score {}/{}, grade {}", v.score, v.max_score, v.grade);
  else s += fmt::format(" | no score (no category measured), grade {}", v.grade);
  if (!v.not_measured.empty()) {
    s += " | not measured: ";
    for (std::size_t i = 0; i < v.not_measured.size(); ++i) s += (i ? ", " : "") + v.not_measured[i];
  }
  s += fmt::format(" | coverage {}/{} gates | {} passed, {} failed", v.measured, v.planned, v.passed, v.failed);
  if (v.errors) s += ", " + plural(v.errors, "error", "errors");
  if (v.timeouts) s += ", " + plural(v.timeouts, "timeout", "timeouts");
  if (v.crashes) s += fmt::format(", {} crashed", v.crashes);
  s += fmt::format(", {} skipped", v.skipped);
  return s;
}

std::vector<std::string> failure_lines(const std::vector<Evidence>& entries, std::size_t max_lines) {
  std::vector<std::pair<std::string, int>> lines;  // distinct lines in first-seen order, with repeats
  for (const auto& e : entries) {
    if (!is_failure(e.outcome)) continue;
    auto line = fmt::format("{} [{}/{}/{}] {}: {}", e.gate_id, e.scenario.modality, e.scenario.backend, e.scenario.format,
                            to_string(e.outcome), one_line(e.reason, 300));
    auto it = std::find_if(lines.begin(), lines.end(), [&](const auto& l) { return l.first == line; });
    if (it != lines.end()) ++it->second;
    else lines.emplace_back(std::move(line), 1);
  }
  std::vector<std::string> out;
  int left_out = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    bool last_slot = max_lines > 0 && out.size() + 1 == max_lines && lines.size() > max_lines;
    if (out.size() >= max_lines || last_slot) {
      left_out += lines[i].second;
      continue;
    }
    out.push_back(lines[i].second > 1 ? fmt::format("{} (x{})", lines[i].first, lines[i].second) : lines[i].first);
  }
  if (left_out > 0 && max_lines > 0)
    out.push_back(fmt::format("... and {} more failed or unevaluated gate results (summary.md lists them all)", left_out));
  return out;
}

static nlohmann::json gate_counts(const std::vector<GateCount>& list) {
  auto a = nlohmann::json::array();
  for (const auto& g : list) a.push_back({{"gate_id", g.gate_id}, {"count", g.count}});
  return a;
}

nlohmann::json to_json(const RunVerdict& v) {
  nlohmann::json cats = nlohmann::json::object();
  for (const auto& c : v.categories)
    cats[lower(c.name)] = {{"max", c.max},       {"score", c.score},     {"passed", c.passed},
                           {"counted", c.counted}, {"skipped", c.skipped}, {"measured", c.measured()}};
  nlohmann::json j = {{"status", v.status},
          {"tier", v.tier},
          {"headline", headline(v)},
          {"reasons", v.reasons},
          {"score", v.score},
          {"max_score", v.max_score},
          {"percent", std::round(v.percent * 100.0) / 100.0},
          {"grade", v.grade},
          {"categories", cats},
          {"not_measured", v.not_measured},
          {"coverage", {{"measured", v.measured}, {"planned", v.planned}}},
          {"counts",
           {{"passed", v.passed}, {"failed", v.failed}, {"error", v.errors}, {"timeout", v.timeouts},
            {"crashed", v.crashes}, {"skipped", v.skipped}}},
          {"p0_failures", gate_counts(v.p0_failed)},
          {"other_failures", gate_counts(v.other_failed)},
          {"errors", gate_counts(v.errored)},
          {"timeouts", gate_counts(v.timed_out)},
          {"crashes", gate_counts(v.crashed)}};
  // Only when there is one: records of finished runs stay as they were (certify --check).
  if (!v.not_run.empty()) j["not_run"] = gate_counts(v.not_run);
  return j;
}

nlohmann::json mqs_file_json(const std::string& model_id, const RunVerdict& v, const Mqs& m, const Certification& c) {
  return {{"model_id", model_id}, {"verdict", to_json(v)}, {"anchor_mqs", anchor_mqs_json(m, c)}};
}

}  // namespace apr::qa
