#include "qa/judge.hpp"

namespace apr::qa {

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
