#include "qa/mqs.hpp"

#include <algorithm>
#include <cmath>

namespace apr::qa {

static bool starts_with(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

std::string mqs_category_for(const std::string& id) {
  if (starts_with(id, "F-CONV-RT") || starts_with(id, "F-CONV-IDEM") || starts_with(id, "F-CONV-COM"))
    return "REGR";
  if (starts_with(id, "F-CONV") || starts_with(id, "F-CONTRACT")) return "COMP";
  if (starts_with(id, "G0-")) return "STAB";
  auto d1 = id.find('-');
  if (d1 != std::string::npos) {
    auto d2 = id.find('-', d1 + 1);
    std::string seg = id.substr(d1 + 1, d2 == std::string::npos ? std::string::npos : d2 - d1 - 1);
    for (const char* c : {"QUAL", "PERF", "STAB", "COMP", "EDGE", "REGR"})
      if (seg == c) return seg;
  }
  return "QUAL";
}

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
  int n = 0, g4_fail = 0, crashes = 0, timeouts = 0;
  Gateway g0{"G0", "Model integrity (config matches tensors)"}, g1{"G1", "Model loads"},
      g2{"G2", "Basic inference works"}, g3{"G3", "No crashes"}, g4{"G4", "Output is not garbage"};
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
    const auto& id = e.gate_id;
    if (starts_with(id, "G0-INTEGRITY") && g0.passed) {
      g0.passed = false;
      g0.failure_reason = id + ": " + e.reason;
    }
    if (id.find("G1") != std::string::npos && g1.passed) {
      g1.passed = false;
      g1.failure_reason = id + ": " + e.reason;
    }
    if (id.find("G2") != std::string::npos && g2.passed) {
      g2.passed = false;
      g2.failure_reason = id + ": " + e.reason;
    }
    if (e.outcome == Outcome::crashed && g3.passed) {
      g3.passed = false;
      g3.failure_reason = id + ": " + e.reason;
    }
    if (id.find("G4") != std::string::npos) ++g4_fail;
  }
  m.total_tests = n;
  if (g4_fail > n / 4) {
    g4.passed = false;
    g4.failure_reason = std::to_string(g4_fail) + " G4 failures > floor(" + std::to_string(n) + "/4)";
  }
  m.gateways = {g0, g1, g2, g3, g4};
  m.gateways_passed = g0.passed && g1.passed && g2.passed && g3.passed && g4.passed;

  static const std::pair<const char*, int> cats[] = {{"QUAL", 200}, {"PERF", 150}, {"STAB", 200},
                                                     {"COMP", 150}, {"EDGE", 150}, {"REGR", 150}};
  for (auto [name, max] : cats) m.categories.push_back({name, max, 0, 0, 0, 0});
  for (const auto& e : entries) {
    auto cname = mqs_category_for(e.gate_id);
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
