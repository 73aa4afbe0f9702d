// apr-qa qa: the anchor's MQS rules as data (gates/scoring/anchor-mqs.yaml, compiled in).
//
// Which category a gate id scores in, each category's maximum points, and the gateways G0..G4
// with what fails them. qa/mqs.cpp computes the anchor-compatible score from these rules, the
// verdict (qa/verdict.cpp) takes its categories and maxima from them, and the gate catalogue
// checks every gate's `category` against the category its id maps to. Nothing in C++ names a
// gate id: changing a rule is an edit of the YAML file.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "qa/outcome.hpp"

namespace apr::qa {

struct MqsCategoryRule {
  std::string name;  // QUAL, PERF, ...
  int max = 0;       // maximum points
};

struct MqsIdRule {
  std::string prefix, category;
};

struct MqsGatewayRule {
  std::string id, description;
  std::string id_prefix, id_contains;  // at most one of these, or
  std::optional<Outcome> outcome;      // an outcome (exactly one of the three is set)
  std::optional<double> more_than_fraction;  // fails only past floor(fraction x counted entries)

  // Whether a failing entry with this gate id and outcome counts against the gateway.
  bool matches(const std::string& gate_id, Outcome o) const;
};

struct MqsRules {
  std::vector<MqsCategoryRule> categories;
  std::vector<MqsIdRule> id_rules;
  std::string default_category;
  std::vector<MqsGatewayRule> gateways;

  // The category of a gate id: the first id rule whose prefix it starts with, else its second
  // dash-separated segment when that names a category, else the default.
  std::string category_for(const std::string& gate_id) const;
  bool has_category(std::string_view name) const;
};

// Parses a rules document; a malformed one throws a validation Error naming the file, the field
// (file:line:column) and what was expected.
MqsRules parse_mqs_rules(const std::string& name, const std::string& text);

// The compiled-in gates/scoring/anchor-mqs.yaml, parsed once.
const MqsRules& anchor_mqs_rules();

}  // namespace apr::qa
