// apr-qa qa: the registry of check kinds — the closed set of measurements a gate can ask for.
//
// Each kind is implemented once (qa/checks/<kind>.cpp, dispatched by checks::check_table(); a
// unit test proves the two lists agree). A kind declares the shape of what it measures:
//   single      one model file (params model, format): inputs source | artifact
//   pair        two model files (params a, b): inputs chain | paths | replicas | reference_pair
//   conversion  judged on a workspace conversion node: inputs conversion
//   cell        one inference-matrix cell: inputs cell
//   process     no check runs; emitted for a worker's exit status: inputs process
// `shared_runs`: on cpu, the kind reads the shared teacher-forced runs of its two artifacts on
// params prompt / max_tokens (infer nodes) instead of running both models itself.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace apr::qa {

struct CheckKindInfo {
  const char* name;
  const char* shape;  // single | pair | conversion | cell | process, or "single|pair"
  bool shared_runs;
  const char* what;   // one line for `apr-qa gates` and docs/gates.md
};

const std::vector<CheckKindInfo>& check_kinds();
const CheckKindInfo* find_check_kind(std::string_view name);
// Whether `kind` measures the shape that `input_type` gives.
bool kind_accepts_input(const CheckKindInfo& kind, std::string_view input_type);
// The shape an input type gives a kind ("source" → "single", "chain" → "pair", ...); "" if unknown.
std::string shape_of_input(std::string_view input_type);
const std::vector<std::string>& input_types();

}  // namespace apr::qa
