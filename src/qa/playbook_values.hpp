// apr-qa qa: the playbook's effective values as the gate catalogue sees them.
//
// Gates name playbook values by dotted path: "${conversion_tests.tolerance}" in a threshold or a
// parameter. `playbook_values` builds that view from a loaded playbook (defaults applied, e.g.
// trace_payload.prompt "2+2=", profile_ci.formats = the model's formats when the block lists
// none). Optional values that the playbook does not set are absent: a threshold naming only
// absent values leaves its gate unplanned ("needs profile_ci.max_p99_ms"). Alternatives are
// separated by '|' and may end in a number: "${profile_ci.min_throughput_cpu|profile_ci.min_throughput|5}".
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/outcome.hpp"
#include "qa/playbook.hpp"

namespace apr::qa {

// input_mode: "directory" | "file" | "none" (dry run without a model).
nlohmann::json playbook_values(const Playbook& pb, const std::string& input_mode);

// Whether a dotted path can ever be set by a playbook (a catalogue written against a path that
// no playbook has is a catalogue error).
bool known_value_path(std::string_view dotted);
// The playbook blocks a gate can belong to (`when.block`).
const std::vector<std::string>& playbook_blocks();
// The values model.quantizations accepts (the anchor's schema), in the anchor's order.
const std::vector<std::string>& playbook_quantizations();

std::optional<nlohmann::json> lookup_value(const nlohmann::json& view, std::string_view dotted);

// "${a|b|5}" → the first present alternative; nullopt when none is. `inner` is without ${ }.
std::optional<nlohmann::json> resolve_reference(const nlohmann::json& view, std::string_view inner);

// A parameter value: a string that is exactly "${...}" becomes the referenced value (nullopt
// when absent); arrays and objects are resolved element by element (absent elements dropped).
std::optional<nlohmann::json> resolve_param(const nlohmann::json& view, const nlohmann::json& value);

struct BoundThreshold {
  Comparator comparator = Comparator::le;
  double threshold = 0;
};
// Parses "<op> <number | ${...}>"; "" when well-formed, else what is wrong.
std::string check_requirement_syntax(std::string_view expr);
// The references ("${...}" bodies split at '|', numbers excluded) an expression or value names.
std::vector<std::string> references_in(std::string_view text);
// Binds an expression against the view; nullopt when its reference is absent.
std::optional<BoundThreshold> bind_threshold(const nlohmann::json& view, std::string_view expr);

}  // namespace apr::qa
