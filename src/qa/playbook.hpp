// apr-qa qa: the typed playbook (the anchor's YAML format, anchor-spec §1) and its loader.
//
// Every key the anchor's format defines is accepted. Each accepted key is recorded in `keys`
// with what it does in apr-qa ("effect") or why it is ignored, so `apr-qa validate` can say
// precisely what a playbook will do. Unknown keys are warnings listing them (errors with
// `strict`). Errors are one line: "<file>:<line>:<column>: key '<path>': expected X, found Y".
// Booleans are YAML booleans or the anchor's quoted strings (true/yes/on/false/no/off, any
// case). Numbers and booleans must be plain YAML scalars; strings that YAML would read as a
// number, boolean or null must be quoted — the same rules schemas/playbook.schema.json states.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace apr::qa {

struct KeyNote {
  std::string key;       // dotted path, e.g. "differential_tests.inference_compare.tolerance"
  bool ignored = false;  // true: accepted but without effect (reason in `note`)
  std::string note;      // the effect, or the reason it is ignored
  int line = 0, column = 0;
};

struct GatesBlock {  // `gates:` — the anchor's declarative gateway switches
  bool g1_model_loads = true, g2_basic_inference = true, g3_no_crashes = true,
       g4_output_quality = true;
};

struct OracleSpec {
  std::string type;       // arithmetic | garbage | code_syntax | response | composite
  nlohmann::json config = nlohmann::json::object();
};

struct PropertyTest {
  std::string name, generator, oracle;
  int count = 100;
};

struct FalsificationGate {
  std::string id, description, condition, severity = "P1";
};

struct DiffBlock {
  bool present = false, enabled = false;
  std::vector<std::string> gates;
};
struct DifferentialTests {
  struct FormatValidation : DiffBlock { std::vector<std::string> checks; } format_validation;
  struct TensorDiff : DiffBlock { std::string filter; } tensor_diff;
  struct InferenceCompare : DiffBlock {
    std::string prompt = "What is 2+2?";
    int max_tokens = 10;
    double tolerance = 1e-5;
  } inference_compare;
  struct Fingerprint : DiffBlock {
    std::string tensors = "all";
    std::vector<std::string> stats;
  } fingerprint;
  struct ValidateStats : DiffBlock {
    std::string reference;
    std::map<std::string, double> tolerance;
  } validate_stats;
};

struct ProfileCi {
  bool present = false, enabled = false;
  int warmup = 3, measure = 10;
  std::vector<std::string> formats, backends;
  std::optional<double> min_throughput, min_throughput_cpu, min_throughput_gpu, max_p99_ms,
      max_p50_ms;
  std::vector<std::string> gates;
};

struct TracePayload {
  bool present = false, enabled = false;
  std::string prompt;
  std::vector<std::string> gates;
};

struct ConversionTests {  // apr-qa extension: tolerances of the conversion suite
  bool present = false, enabled = true;
  double tolerance = 1e-6;        // on `diff` (relative max |Δlogit|)
  double tensor_tolerance = 0.0;  // on `tensor_max_abs_diff`
  std::string prompt = "What is 2+2?";
  int max_tokens = 8;
};

struct Playbook {
  std::filesystem::path file;
  std::string name, version, description;
  struct Model {
    std::string hf_repo, org, repo_name;
    std::vector<std::string> formats{"gguf", "safetensors", "apr"};
    std::vector<std::string> quantizations{"q4_k_m"};  // the anchor's default (not planned unless given)
    bool quantizations_given = false;                  // the playbook lists model.quantizations
    std::string size_category = "tiny";
    std::optional<std::string> local_path, family, size_variant;
    std::map<std::string, std::int64_t> expected;  // hidden_dim, num_layers, ... (without "expected_")
  } model;
  struct Matrix {
    std::vector<std::string> modalities{"run", "chat", "serve"}, backends{"cpu", "gpu"};
    int scenario_count = 100;
    std::vector<std::string> prompts{"What is 2+2?"};
    std::uint64_t seed = 0;
    std::int64_t timeout_ms = 60000;
  } test_matrix;
  GatesBlock gates;
  std::vector<OracleSpec> oracles;
  std::optional<std::string> failure_policy;  // stop-on-first | stop-on-p0 | collect-all | fail-fast
  std::vector<PropertyTest> property_tests;
  std::vector<FalsificationGate> falsification_gates;
  DifferentialTests differential_tests;
  ProfileCi profile_ci;
  TracePayload trace_payload;
  std::vector<std::string> contract_invariants{"I-2", "I-3", "I-4", "I-5"};
  ConversionTests conversion_tests;
  // apr-qa extension: per quantization type, bounds that replace the catalogue's defaults of the
  // F-QUANT-* gates (kl_mean, kl_p99, top1_agreement, delta_ppl_rel).
  std::map<std::string, std::map<std::string, double>> quantization_thresholds;
  nlohmann::json metadata = nlohmann::json::object();
  std::string tier;  // metadata.tier, else the name's -smoke/-quick/-mvp/... suffix, else ""
  bool is_template = false;  // name or hf_repo holds ${VAR} placeholders

  std::vector<KeyNote> keys;          // every accepted key, with effect or ignore reason
  std::vector<std::string> warnings;  // unknown keys and other non-fatal findings
};

struct LoadOptions {
  bool strict = false;  // unknown keys are errors
};

Result<Playbook> load_playbook(const std::filesystem::path& file, const LoadOptions& opts = {});
Result<Playbook> parse_playbook(const std::string& yaml_text, const std::string& display_name,
                                const LoadOptions& opts = {});

}  // namespace apr::qa
