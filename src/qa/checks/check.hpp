// apr-qa qa checks: the closed set of check kinds, each implemented once (one file per kind).
//
// A check receives the node's params (paths of concrete artifact files, prompt, the gate's
// parameters) and returns measurements only — no thresholds: the gate catalogue says what each
// gate requires and qa/judge binds it. A check never decides a verdict, and one that cannot
// measure returns `skip` with a
// reason or throws apr::Error — it never returns an empty "pass".
#pragma once

#include <cmath>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "qa/evidence.hpp"
#include "qa/outcome.hpp"

namespace apr::qa::checks {

struct CheckOutput {
  std::vector<Measurement> measurements;
  std::vector<ArtifactRef> artifacts;
  std::string output;
  nlohmann::json metrics = nlohmann::json::object();
  std::optional<std::string> skip;
  // A fact the verdict's reason must carry when a gate of the node fails (e.g. "the converted
  // model fails the strict load: <error>"); the executor appends it to a failing reason.
  std::string note;

  // A measured number. Checks return measurements only: what a verdict requires of them
  // (comparator and threshold) is the gate's `require` in the catalogue, bound by qa/judge.
  void add(std::string name, double value, std::string unit = "") {
    measurements.push_back({std::move(name), value, std::nullopt, Comparator::le, std::move(unit), ""});
  }
  // A measurement the check could not take: value NaN (never passes) with the reason why.
  void not_measured(std::string name, std::string why, std::string unit = "") {
    measurements.push_back({std::move(name), std::nan(""), std::nullopt, Comparator::le, std::move(unit),
                            "not measured: " + std::move(why)});
  }
};

using CheckFn = CheckOutput (*)(const nlohmann::json& params);
const std::map<std::string, CheckFn>& check_table();

// Sha256 + size of a file we produced or resolved. A digest set by set_known_digests that is still
// current (core/hash digest_current: same inode, size and times) is used instead of reading the file.
ArtifactRef describe_artifact(const std::string& path, const std::string& format);
// The run's digests of its input files (the node spec's `known_digests`), for describe_artifact.
void set_known_digests(std::vector<FileDigest> digests);

// The independent consumers' Python scripts (runner/scripts/consumer_llama_cpp.py for GGUF,
// consumer_transformers.py for SafeTensors, compiled in) and the oracle venv's Python this build
// was configured with (CMake APR_QA_PYTHON; "" when none).
const char* consumer_llama_cpp_script();
const char* consumer_transformers_script();
const char* build_python();

// Shared by the run/chat/serve cells: judges `text` generated for `prompt` with the node's oracle
// (params "oracle", "oracle_config") and records generated_tokens (>= 1 token) and oracle_pass
// (>= 1). Returns the oracle's one-line verdict for the output text.
std::string judge_generation(CheckOutput& o, const nlohmann::json& params, const std::string& prompt,
                             const std::string& text, std::size_t generated);

// One function per check kind (checks/<kind>.cpp).
CheckOutput preflight_validate(const nlohmann::json&);
CheckOutput preflight_tensor(const nlohmann::json&);
CheckOutput preflight_integrity(const nlohmann::json&);
CheckOutput preflight_layout(const nlohmann::json&);
CheckOutput inference(const nlohmann::json&);  // run/chat in-process; serve via serve_inference
CheckOutput serve_inference(const nlohmann::json&);  // checks/serve.cpp: drives `apr-qa serve` over HTTP
CheckOutput conversion_compare(const nlohmann::json&);  // conversion_pair, roundtrip_chain, commutativity
CheckOutput byte_roundtrip(const nlohmann::json&);
CheckOutput idempotency(const nlohmann::json&);
CheckOutput tensor_inventory(const nlohmann::json&);
CheckOutput golden_rule(const nlohmann::json&);
CheckOutput format_contract(const nlohmann::json&);
CheckOutput differential_inference(const nlohmann::json&);
CheckOutput differential_tensor(const nlohmann::json&);
CheckOutput differential_fingerprint(const nlohmann::json&);
CheckOutput trace_payload(const nlohmann::json&);
CheckOutput performance(const nlohmann::json&);
CheckOutput backend_parity(const nlohmann::json&);
CheckOutput perplexity(const nlohmann::json&);  // model sanity: perplexity on a text corpus
CheckOutput quantization_quality(const nlohmann::json&);  // a quantized variant against its reference
CheckOutput independent_consumer(const nlohmann::json&);  // llama.cpp loads the GGUF, logits vs apr-qa's engine

}  // namespace apr::qa::checks
