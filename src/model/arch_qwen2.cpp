// qwen2 architecture traits (Qwen2 / Qwen2.5 / Qwen2.5-Coder).
// llama.cpp converts Qwen2 as a plain TextModel: no Q/K permutation; it runs NEOX RoPE, the same
// rotate-half pairing as HF. q/k/v biases are required (formats.md §3; anchor GH-279).
#include "model/arch_registry.hpp"

namespace apr::model {

const ArchTraits& qwen2_traits() {
  static const ArchTraits t{
      .arch = Arch::qwen2,
      .name = "qwen2",
      .hf_model_types = {"qwen2"},
      .hf_class = "Qwen2ForCausalLM",
      .gguf_arch = "qwen2",
      .gguf_permutes_qk = false,
      .attention_bias_required = true,
      .attention_bias_allowed = true,
      .o_bias_with_attention_bias = false,
      .gguf_writes_rope_dim = false,
      .default_rope_theta = 10000.0,
      .default_rms_eps = 1e-6,
      .default_chat_template_file = "qwen2.5-instruct.jinja",
      .write_hf_extras = [](const ModelConfig& c, nlohmann::json& j) {
            j["use_sliding_window"] = false;
            j["sliding_window"] = c.context;
            j["max_window_layers"] = c.layers;
          },
  };
  return t;
}

}  // namespace apr::model
