#include "qa/outcome.hpp"

#include <cmath>

#include <fmt/format.h>

namespace apr::qa {

const char* to_string(Outcome o) noexcept {
  switch (o) {
    case Outcome::corroborated: return "Corroborated";
    case Outcome::falsified: return "Falsified";
    case Outcome::skipped: return "Skipped";
    case Outcome::timeout: return "Timeout";
    case Outcome::crashed: return "Crashed";
    case Outcome::error: return "Error";
  }
  return "Falsified";
}

const std::vector<Outcome>& all_outcomes() {
  static const std::vector<Outcome> all{Outcome::corroborated, Outcome::falsified, Outcome::skipped,
                                        Outcome::timeout,      Outcome::crashed,   Outcome::error};
  return all;
}

std::optional<Outcome> outcome_from_string(std::string_view s) noexcept {
  for (auto o : all_outcomes())
    if (s == to_string(o)) return o;
  return std::nullopt;
}

const char* to_string(Comparator c) noexcept {
  switch (c) {
    case Comparator::le: return "<=";
    case Comparator::lt: return "<";
    case Comparator::ge: return ">=";
    case Comparator::gt: return ">";
    case Comparator::eq: return "==";
  }
  return "<=";
}

std::optional<Comparator> comparator_from_string(std::string_view s) noexcept {
  if (s == "<=" || s == "le") return Comparator::le;
  if (s == "<" || s == "lt") return Comparator::lt;
  if (s == ">=" || s == "ge") return Comparator::ge;
  if (s == ">" || s == "gt") return Comparator::gt;
  if (s == "==" || s == "eq") return Comparator::eq;
  return std::nullopt;
}

bool Measurement::passes() const {
  if (!threshold) return true;
  if (std::isnan(value) || std::isnan(*threshold)) return false;
  switch (comparator) {
    case Comparator::le: return value <= *threshold;
    case Comparator::lt: return value < *threshold;
    case Comparator::ge: return value >= *threshold;
    case Comparator::gt: return value > *threshold;
    case Comparator::eq: return value == *threshold;
  }
  return false;
}

static nlohmann::json num(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "NaN" : (v > 0 ? "Infinity" : "-Infinity");  // JSON has no NaN
}
static double unnum(const nlohmann::json& j) {
  if (j.is_number()) return j.get<double>();
  if (j.is_string()) {
    auto s = j.get<std::string>();
    if (s == "NaN") return std::nan("");
    if (s == "Infinity") return INFINITY;
    if (s == "-Infinity") return -INFINITY;
  }
  return std::nan("");
}

nlohmann::json to_json(const Measurement& m) {
  nlohmann::json j{{"name", m.name}, {"value", num(m.value)}, {"unit", m.unit}};
  j["threshold"] = m.threshold ? num(*m.threshold) : nlohmann::json(nullptr);
  j["comparator"] = m.threshold ? nlohmann::json(to_string(m.comparator)) : nlohmann::json(nullptr);
  if (!m.note.empty()) j["note"] = m.note;
  return j;
}

Measurement measurement_from_json(const nlohmann::json& j) {
  Measurement m;
  m.name = j.value("name", "");
  m.value = j.contains("value") ? unnum(j["value"]) : std::nan("");
  if (j.contains("threshold") && !j["threshold"].is_null()) m.threshold = unnum(j["threshold"]);
  if (j.contains("comparator") && j["comparator"].is_string())
    m.comparator = comparator_from_string(j["comparator"].get<std::string>()).value_or(Comparator::le);
  m.unit = j.value("unit", "");
  if (j.contains("note") && j["note"].is_string()) m.note = j["note"].get<std::string>();
  return m;
}

static std::string violation(const Measurement& m) {
  if (!m.note.empty())
    return fmt::format("{} = {:.6g} ({}) violates {} {:.6g}", m.name, m.value, m.note, to_string(m.comparator),
                       *m.threshold);
  return fmt::format("{} = {:.6g} violates {} {:.6g}", m.name, m.value, to_string(m.comparator), *m.threshold);
}

Verdict judge(const std::vector<Measurement>& ms, const std::vector<std::string>& required) {
  std::vector<std::string> problems;  // violated measurements first, then missing ones
  int judged = 0;
  for (const auto& m : ms) {
    if (!m.threshold) continue;
    ++judged;
    if (!m.passes()) problems.push_back(violation(m));
  }
  for (const auto& r : required) {
    bool found = false;
    for (const auto& m : ms) found = found || m.name == r;
    if (!found) problems.push_back(fmt::format("no measurement '{}' was produced", r));
  }
  if (!problems.empty()) {
    std::string reason;
    for (const auto& p : problems) reason += (reason.empty() ? "" : "; ") + p;
    return {Outcome::falsified, reason};
  }
  if (judged == 0) return {Outcome::falsified, "no thresholded measurement: nothing was checked"};
  std::string reason = "measured";
  int n = 0;
  for (const auto& m : ms) {
    if (!m.threshold || n++ >= 3) continue;
    reason += fmt::format(" {}={:.6g} ({} {:.6g})", m.name, m.value, to_string(m.comparator),
                          *m.threshold);
  }
  return {Outcome::corroborated, reason};
}

}  // namespace apr::qa
