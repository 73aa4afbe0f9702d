#include "qa/check_kinds.hpp"

namespace apr::qa {

const std::vector<CheckKindInfo>& check_kinds() {
  static const std::vector<CheckKindInfo> k = {
      {"preflight_format", "conversion", false, "the workspace conversion succeeds and keeps every tensor"},
      {"preflight_validate", "single", false, "NaN / Inf / all-zero tensors"},
      {"preflight_tensor", "single", false, "architecture manifest: required tensors and shapes"},
      {"preflight_integrity", "single", false, "config agrees with tensor shapes and the playbook's expectations"},
      {"preflight_layout", "single", false, "tensor shapes per the layout contract"},
      {"inference", "cell", false, "run / chat / serve a prompt, judge the output with an oracle"},
      {"process_outcome", "process", false, "a worker's exit status (emitted by the executor)"},
      {"conversion_pair", "pair", true, "tensors, tokenizer and teacher-forced logits of two artifacts"},
      {"roundtrip_chain", "pair", true, "tensors, tokenizer and teacher-forced logits of two artifacts"},
      {"commutativity", "pair", true, "tensors, tokenizer and teacher-forced logits of two artifacts"},
      {"byte_roundtrip", "pair", false, "tensor bytes of two artifacts"},
      {"idempotency", "pair", false, "file bytes of two artifacts"},
      {"tensor_inventory", "pair", false, "tensor count and names of two artifacts"},
      {"golden_rule", "pair", true, "greedy token ids of two artifacts"},
      {"format_contract", "pair", false, "format contract invariant (params.invariant) on two artifacts"},
      {"differential_inference", "pair", true, "logits and tokens of two artifacts"},
      {"differential_tensor", "pair", false, "tensor names, shapes and values of two artifacts"},
      {"differential_fingerprint", "single|pair", false, "finite values, APR header checks; statistics against params.reference"},
      {"trace_payload", "single", false, "the forward pass of a prompt is finite and not degenerate"},
      {"performance", "single", false, "decode throughput and latency percentiles"},
      {"backend_parity", "single", false, "the gpu backend against the cpu engine: teacher-forced logits and greedy tokens"},
      {"perplexity", "single", false, "perplexity on a text corpus (llama-perplexity's windows), bits per byte"},
      {"quantization_quality", "quantization", false,
       "a quantized variant of the source against the source: KL divergence, top-1 agreement, perplexity change"},
      {"independent_consumer", "single|pair", false, "llama.cpp (llama-cpp-python) loads the GGUF (a pair: the end of the chain); its teacher-forced logits vs apr-qa's engine"},
  };
  return k;
}

const CheckKindInfo* find_check_kind(std::string_view name) {
  for (const auto& k : check_kinds())
    if (name == k.name) return &k;
  return nullptr;
}

const std::vector<std::string>& input_types() {
  static const std::vector<std::string> t = {"source", "conversion", "cell", "chain", "paths",
                                             "replicas", "artifact", "reference_pair", "process",
                                             "quantization"};
  return t;
}

std::string shape_of_input(std::string_view t) {
  if (t == "source" || t == "artifact") return "single";
  if (t == "chain" || t == "paths" || t == "replicas" || t == "reference_pair") return "pair";
  if (t == "conversion" || t == "cell" || t == "process" || t == "quantization") return std::string(t);
  return "";
}

bool kind_accepts_input(const CheckKindInfo& kind, std::string_view input_type) {
  std::string shape = shape_of_input(input_type);
  if (shape.empty()) return false;
  std::string_view s = kind.shape;
  while (!s.empty()) {
    auto bar = s.find('|');
    if (s.substr(0, bar) == shape) return true;
    if (bar == std::string_view::npos) break;
    s.remove_prefix(bar + 1);
  }
  return false;
}

}  // namespace apr::qa
