#include "qa/judge.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "qa/playbook_values.hpp"

namespace apr::qa {

std::optional<std::vector<BoundRequirement>> bind_gate(const GateDef& g, const nlohmann::json& values,
                                                       const std::string& backend, std::string& why) {
  std::vector<BoundRequirement> out;
  for (const auto& r : g.require) {
    auto it = r.by_backend.find(backend);
    const std::string& expr = it != r.by_backend.end() ? it->second : r.expr;
    if (expr.empty()) {
      why = fmt::format("no threshold for {} on backend {}", r.name, backend);
      return std::nullopt;
    }
    auto t = bind_threshold(values, expr);
    if (!t) {
      why = fmt::format("{} {} needs playbook value {}", r.name, expr, fmt::join(references_in(expr), " or "));
      return std::nullopt;
    }
    out.push_back({r.name, t->comparator, t->threshold, expr});
  }
  return out;
}

std::vector<Measurement> bind_requirements(const std::vector<Measurement>& measured,
                                           const std::vector<BoundRequirement>& require) {
  std::vector<Measurement> out = measured;
  for (auto& m : out) {
    m.threshold.reset();
    for (const auto& r : require)
      if (r.name == m.name) {
        m.threshold = r.threshold;
        m.comparator = r.comparator;
      }
  }
  return out;
}

Verdict judge_gate(const std::vector<Measurement>& measured, const std::vector<BoundRequirement>& require) {
  if (require.empty()) return {Outcome::falsified, "the gate requires no measurement: nothing was checked"};
  std::vector<std::string> names;
  std::vector<Measurement> mine;
  for (const auto& r : require) names.push_back(r.name);
  for (const auto& m : bind_requirements(measured, require))
    if (m.threshold) mine.push_back(m);
  return judge(mine, names);
}

}  // namespace apr::qa
