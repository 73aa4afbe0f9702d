// apr-qa qa checks: the resolve and convert DAG steps (worker side).
//
// resolve_step: the user's input resolves (formats/resolve) to the planned model file; reports
//   it as an artifact (path, format, sha256, bytes).
// convert_step: writes `output` (<out>/artifacts/<key>/model.<ext>) from `source`. An existing
//   non-empty output is reused (the artifact cache). A new conversion is written to a temporary
//   name in the same directory and renamed, so a killed worker never leaves a partial artifact.
//   Measures converted_tensors and missing_tensors (source tensors absent from the output) —
//   unless params "inspect" is false (a conversion that carries no gate of its own: the gates
//   comparing its artifact load and measure it themselves).
#pragma once

#include "qa/checks/check.hpp"

namespace apr::qa::checks {

CheckOutput resolve_step(const nlohmann::json& params);
CheckOutput convert_step(const nlohmann::json& params);

}  // namespace apr::qa::checks
