// apr-qa qa: the gate catalogue. Gates are data (gates/*.yaml, schemas/gate.schema.json): id,
// title, hypothesis, falsified_if, severity P0..P3, MQS category, a check kind from a closed set
// (each implemented once), its parameters, the measurements a verdict requires, and where the
// gate applies. The catalogue is compiled into the binary; `--gates-dir` replaces it.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace apr::qa {

// The closed set of check kinds.
enum class CheckKind {
  preflight_format,     // G0-FORMAT: the workspace conversions into every format succeed
  preflight_validate,   // G0-VALIDATE: no NaN/Inf, no all-zero tensor
  preflight_tensor,     // G0-TENSOR: architecture template names present
  preflight_integrity,  // G0-INTEGRITY-*: config.json agrees with tensor shapes
  preflight_layout,     // G0-LAYOUT / F-LAYOUT-CONTRACT-*: shapes per the layout contract
  inference,            // F-A*: run/chat/serve a prompt, judge the output with an oracle
  process_outcome,      // G2-BASIC / G3-STABLE: emitted for a worker's exit status
  conversion_pair,      // F-CONV-X-Y: convert once, compare tensors and logits with the source
  roundtrip_chain,      // F-CONV-RT-*: convert along a chain, compare the end with the start
  byte_roundtrip,       // F-CONV-RT-BYTE-001: two paths to the same format, byte-identical tensors
  idempotency,          // F-CONV-IDEM-001: the same conversion twice gives identical files
  commutativity,        // F-CONV-COM-001: direct vs indirect path, tensors and logits equal
  tensor_inventory,     // F-CONV-CARD/NAME: tensor count and names preserved
  golden_rule,          // F-GOLDEN-RULE-*: generated token ids equal before/after conversion
  format_contract,      // F-CONTRACT-I*: format contract invariants
  differential_inference,  // F-ROSETTA-INF-*: logits/tokens across formats
  differential_tensor,     // F-ROSETTA-DIFF-*: tensor names/shapes/values across formats
  differential_fingerprint,// F-ROSETTA-FP-*: finite values and statistics per tensor
  trace_payload,        // F-TRACE-PAYLOAD-*: the forward pass of a prompt is finite
  performance,          // F-PROFILE-CI-*: throughput and latency against assertions
  perplexity,           // model sanity: perplexity on a text corpus (llama-perplexity's method)
};
const char* to_string(CheckKind k) noexcept;
std::optional<CheckKind> check_kind_from_string(std::string_view s) noexcept;
const std::vector<CheckKind>& all_check_kinds();

struct GateDef {
  std::string id, title, hypothesis, falsified_if;
  std::string severity = "P1";  // P0..P3
  std::string category = "QUAL";
  CheckKind kind = CheckKind::inference;
  nlohmann::json params = nlohmann::json::object();
  std::vector<std::string> measures;  // measurements a Corroborated verdict requires
  std::vector<std::string> formats, backends, modalities;  // applicability; empty = any
  bool needs_directory = false;  // only when the model input is an HF snapshot (conversion suite)
  std::string source;            // "gates/conversion.yaml:12"
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
  std::string markdown() const;                  // docs/gates.md
 private:
  std::vector<GateDef> gates_;
};

}  // namespace apr::qa
