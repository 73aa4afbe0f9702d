// apr-qa qa: the gate catalogue. Gates are data (gates/*.yaml, schemas/gate.schema.json).
//
// A gate names a check kind from the closed registry (qa/check_kinds.hpp), what it runs on
// (`inputs`: source, a workspace conversion, a matrix cell, a chain, two paths, two replicas,
// every artifact, every artifact against the reference, or a worker's process status), when the
// playbook asks for it (`when`, `skip_unless`), the parameters its check receives (`params`,
// where "${dotted.path}" names a playbook value) and what its verdict requires (`require`:
// measurement → "<comparator> <threshold>", the threshold a number or a playbook value).
// The planner (plan_gates.cpp) is one loop over this data; no gate id appears in C++.
// The catalogue is compiled into the binary; `--gates-dir` replaces it.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace apr::qa {

// What a gate runs on. The closed set of input types (see docs/gates.md):
//   source          the resolved model input (one node)
//   conversion      the workspace conversion of the source into `format` (judged on that node)
//   cell            the inference matrix: every format × scenario of (modality, backend)
//   chain           the start of `chain` against its end (a = start, b = end)
//   paths           the end of `path_a` against the end of `path_b`
//   replicas        two independent conversions along `chain`
//   artifact        every workspace artifact (`formats` to restrict)
//   reference_pair  every workspace artifact except the reference, against the reference
//   process         emitted by the executor for a worker's exit status (`event`: failed | crashed)
//   quantization    the source against its `quantization` variant (planned when model.quantizations
//                   lists it; the check makes the variant)
struct GateInputs {
  std::string type = "source";
  std::vector<std::string> chain, path_a, path_b;
  std::vector<std::string> formats;     // artifact: literal formats (empty = the workspace's)
  std::string formats_from;             // artifact: a playbook value naming the formats
  std::vector<std::string> backends;    // literal backends (empty = cpu)
  std::string backends_from;            // a playbook value naming the backends
  std::string modality, backend;        // cell
  std::string format;                   // conversion
  std::string event;                    // process: failed | crashed
  std::string quantization;             // quantization: the model.quantizations entry (q8_0, q4_k_m, ...)
};

// When the playbook plans the gate. All given conditions must hold.
struct GateWhen {
  std::string input = "any";  // any | directory | file
  std::string block;          // a playbook block that must be enabled; its `gates:` list, when given, must name the gate
  std::string list, contains; // the playbook list `list` must contain `contains`
};

// One requirement: measurement `name` <comparator> threshold. `threshold` is the expression as
// written ("<= ${conversion_tests.tolerance}"); `by_backend` holds per-backend expressions.
struct Requirement {
  std::string name;
  std::string expr;                           // used for every backend unless by_backend has it
  std::map<std::string, std::string> by_backend;
};

struct GateDef {
  std::string id, title, hypothesis, falsified_if;
  std::string severity = "P1";  // P0..P3
  std::string category = "QUAL";
  std::string kind;             // a check kind from qa/check_kinds.hpp
  GateInputs inputs;
  GateWhen when;
  std::string skip_unless;      // a playbook boolean; false plans the gate Skipped with the reason
  nlohmann::json params = nlohmann::json::object();
  std::vector<Requirement> require;  // empty only for process gates
  // `apr-qa compare` noise bands: required measurement -> the relative move in the worse
  // direction tolerated between two records (e.g. 0.3 for throughput on shared machines).
  std::map<std::string, double> drift;
  std::string source;           // "gates/conversion.yaml:12"

  std::vector<std::string> required_names() const;
};
nlohmann::json to_json(const GateDef& g);

struct EmbeddedGateFile {
  const char* name;
  const char* content;
};
const std::vector<EmbeddedGateFile>& embedded_gate_files();  // generated at build time

class GateCatalogue {
 public:
  static Result<GateCatalogue> builtin();
  static Result<GateCatalogue> from_dir(const std::filesystem::path& dir);
  static Result<GateCatalogue> from_texts(const std::vector<std::pair<std::string, std::string>>& files);
  const std::vector<GateDef>& gates() const { return gates_; }
  const GateDef* find(std::string_view id) const;
  const GateDef& at(std::string_view id) const;  // throws internal Error when absent
  // The gate emitted for a worker's process status (`inputs: {type: process, event: EVENT}`), if any.
  const GateDef* process_gate(std::string_view event) const;
  // "did you mean '<the closest catalogue id>'?" for an unknown id, or "" when nothing is close.
  std::string suggest(std::string_view unknown_id) const;
  std::string markdown() const;                  // docs/gates.md
 private:
  std::vector<GateDef> gates_;
};

}  // namespace apr::qa
