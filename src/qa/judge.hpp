// apr-qa qa: binding a gate's requirements to a check's measurements.
//
// A check returns measurements only (name, value, unit, note). The gate says what its verdict
// requires (gate.hpp `require`, bound to the playbook by the planner). `bind_requirements`
// gives every required measurement its comparator and threshold and clears the threshold of
// every other one (recorded, not judged); `judge_gate` is the verdict: Corroborated iff every
// requirement has its measurement and every one holds (NaN never holds).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/gate.hpp"
#include "qa/outcome.hpp"
#include "qa/plan.hpp"

namespace apr::qa {

// A gate's requirements bound against the playbook's values (qa/playbook_values) for `backend`;
// nullopt, with `why`, when a threshold names only playbook values that are not set.
std::optional<std::vector<BoundRequirement>> bind_gate(const GateDef& gate, const nlohmann::json& values,
                                                       const std::string& backend, std::string& why);

std::vector<Measurement> bind_requirements(const std::vector<Measurement>& measured,
                                           const std::vector<BoundRequirement>& require);
Verdict judge_gate(const std::vector<Measurement>& measured, const std::vector<BoundRequirement>& require);

}  // namespace apr::qa
