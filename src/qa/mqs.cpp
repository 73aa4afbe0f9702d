#include "qa/mqs.hpp"

#include <algorithm>
#include <cmath>

#include <fmt/format.h>

#include "qa/mqs_rules.hpp"

namespace apr::qa {

std::string mqs_category_for(const std::string& id) { return anchor_mqs_rules().category_for(id); }

double normalize_raw(int raw) {
  double v = 100.0 * std::log(1.0 + 9.0 * raw / 1000.0) / std::log(10.0);
  return std::clamp(v, 0.0, 100.0);
}

std::string grade_for(double n) {
  static const std::pair<double, const char*> table[] = {
      {97, "A+"}, {93, "A"}, {90, "A-"}, {87, "B+"}, {83, "B"}, {80, "B-"}, {77, "C+"},
      {73, "C"},  {70, "C-"}, {67, "D+"}, {63, "D"}, {60, "D-"}};
  for (auto [t, g] : table)
    if (n >= t) return g;
  return "F";
}

Mqs compute_mqs(const std::string& model_id, const std::vector<Evidence>& entries) {
  Mqs m;
  m.model_id = model_id;
  const MqsRules& rules = anchor_mqs_rules();
  int n = 0, crashes = 0, timeouts = 0;
  for (const auto& g : rules.gateways) m.gateways.push_back({g.id, g.description});
  std::vector<int> matched(rules.gateways.size(), 0);
  for (const auto& e : entries) {
    if (e.outcome == Outcome::skipped) {
      ++m.tests_skipped;
      continue;
    }
    ++n;
    bool fail = is_failure(e.outcome);
    if (fail) ++m.tests_failed; else ++m.tests_passed;
    if (e.outcome == Outcome::crashed) ++crashes;
    if (e.outcome == Outcome::timeout) ++timeouts;
    if (!fail) continue;
    for (std::size_t i = 0; i < rules.gateways.size(); ++i) {
      const MqsGatewayRule& rule = rules.gateways[i];
      Gateway& g = m.gateways[i];
      if (!rule.matches(e.gate_id, e.outcome)) continue;
      ++matched[i];
      if (!rule.more_than_fraction && g.passed) {
        g.passed = false;
        g.failure_reason = e.gate_id + ": " + e.reason;
      }
    }
  }
  m.total_tests = n;
  for (std::size_t i = 0; i < rules.gateways.size(); ++i) {
    const MqsGatewayRule& rule = rules.gateways[i];
    if (!rule.more_than_fraction) continue;
    const int limit = static_cast<int>(std::floor(*rule.more_than_fraction * n));
    if (matched[i] > limit) {
      m.gateways[i].passed = false;
      m.gateways[i].failure_reason = fmt::format("{} {} failures > floor({} x {})", matched[i], rule.id, n,
                                                 *rule.more_than_fraction);
    }
  }
  m.gateways_passed = std::all_of(m.gateways.begin(), m.gateways.end(), [](const Gateway& g) { return g.passed; });

  for (const auto& c : rules.categories) m.categories.push_back({c.name, c.max, 0, 0, 0, 0});
  for (const auto& e : entries) {
    auto cname = rules.category_for(e.gate_id);
    for (auto& c : m.categories) {
      if (c.name != cname) continue;
      if (e.outcome == Outcome::skipped) { ++c.skipped; break; }
      ++c.total;
      if (e.outcome == Outcome::corroborated) ++c.passed;
    }
  }
  if (n == 0) {  // nothing measured: no score (the anchor would give 1000 to an empty run)
    for (auto& c : m.categories) c.score = 0;
    m.penalties.push_back({"NO_EVIDENCE", "No Corroborated, Falsified, Timeout or Crashed entry", 1000});
    m.total_penalty = 1000;
    return m;
  }
  if (!m.gateways_passed) {
    for (auto& c : m.categories) c.score = 0;
    m.penalties.push_back({"GATEWAY", "A gateway check failed: MQS is zero", 1000});
    m.total_penalty = 1000;
    m.raw_score = 0;
    m.normalized_score = 0;
    m.grade = "F";
    return m;
  }
  int sum = 0;
  for (auto& c : m.categories) {
    c.score = c.total == 0 ? c.max
                           : static_cast<int>(std::lround(static_cast<double>(c.passed) / c.total * c.max));
    sum += c.score;
  }
  if (crashes > 0) m.penalties.push_back({"CRASH", std::to_string(crashes) + " crash(es)", 20 * crashes});
  if (timeouts > 0)
    m.penalties.push_back({"TIMEOUT", std::to_string(timeouts) + " timeout(s)", 10 * timeouts});
  for (const auto& p : m.penalties) m.total_penalty += p.points;
  m.raw_score = std::max(0, sum - m.total_penalty);
  m.normalized_score = normalize_raw(m.raw_score);
  m.grade = grade_for(m.normalized_score);
  m.qualifies = m.normalized_score >= 70;
  m.production_ready = m.normalized_score >= 90;
  return m;
}

nlohmann::json to_json(const Mqs& m) {
  nlohmann::json gws = nlohmann::json::array(), pens = nlohmann::json::array();
  for (const auto& g : m.gateways)
    gws.push_back({{"id", g.id}, {"passed", g.passed}, {"description", g.description},
                   {"failure_reason", g.passed ? nlohmann::json(nullptr) : nlohmann::json(g.failure_reason)}});
  for (const auto& p : m.penalties)
    pens.push_back({{"code", p.code}, {"description", p.description}, {"points", p.points}});
  nlohmann::json cats = nlohmann::json::object(), detail = nlohmann::json::object();
  for (const auto& c : m.categories) {
    std::string k = c.name;
    std::transform(k.begin(), k.end(), k.begin(), [](unsigned char ch) { return std::tolower(ch); });
    cats[k] = c.score;
    detail[k] = {{"max", c.max}, {"score", c.score}, {"passed", c.passed}, {"total", c.total},
                 {"skipped", c.skipped}};
  }
  double rounded = std::round(m.normalized_score * 100.0) / 100.0;
  return {{"model_id", m.model_id},        {"raw_score", m.raw_score},
          {"normalized_score", rounded},   {"grade", m.grade},
          {"gateways", gws},               {"gateways_passed", m.gateways_passed},
          {"categories", cats},            {"category_details", detail},
          {"total_tests", m.total_tests},  {"tests_passed", m.tests_passed},
          {"tests_failed", m.tests_failed}, {"tests_skipped", m.tests_skipped},
          {"penalties", pens},             {"total_penalty", m.total_penalty},
          {"qualifies", m.qualifies},      {"production_ready", m.production_ready}};
}

static std::string cert_grade(int score) {
  if (score >= 950) return "A+";
  if (score >= 900) return "A";
  if (score >= 850) return "B+";
  if (score >= 800) return "B";
  if (score >= 700) return "C";
  return "F";
}

Certification certify(const Mqs& m, const std::string& playbook_tier) {
  Certification c;
  c.tier = playbook_tier == "mvp" ? "MVP" : "FULL";
  c.pass_rate = m.total_tests == 0 ? 0.0 : 100.0 * m.tests_passed / m.total_tests;
  double pr = std::clamp(c.pass_rate / 100.0, 0.0, 1.0);
  auto blocked = [&] {
    c.status = "BLOCKED";
    c.score = static_cast<int>(std::floor(pr * 699));
  };
  if (!m.gateways_passed || m.total_tests == 0) {
    blocked();
  } else if (c.tier == "MVP") {
    if (pr >= 0.90) { c.status = "PROVISIONAL"; c.score = 800; } else blocked();
  } else {
    if (pr >= 0.95) {
      c.status = "CERTIFIED";
      c.score = 950 + static_cast<int>(std::floor(std::min((pr - 0.95) * 1000, 50.0)));
    } else if (pr >= 0.90) {
      c.status = "PROVISIONAL";
      c.score = 800 + static_cast<int>(std::floor(std::clamp((pr - 0.9) / 0.05 * 99, 0.0, 99.0)));
    } else {
      blocked();
    }
  }
  c.grade = cert_grade(c.score);
  return c;
}

nlohmann::json to_json(const Certification& c) {
  return {{"tier", c.tier}, {"status", c.status}, {"score", c.score}, {"grade", c.grade},
          {"pass_rate", c.pass_rate}};
}

nlohmann::json anchor_mqs_json(const Mqs& m, const Certification& c) {
  auto j = to_json(m);
  j["certification"] = to_json(c);
  return j;
}

}  // namespace apr::qa
