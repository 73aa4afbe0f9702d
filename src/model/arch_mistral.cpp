// mistral architecture traits (Mistral-7B shapes).
// llama.cpp registers MistralForCausalLM under its LlamaModel converter: the GGUF architecture is
// "llama" and Q/K rows are permuted exactly as for llama (gguf-py has no "mistral" arch). We add
// `apr_qa.architecture = mistral` so a GGUF we wrote reads back as mistral.
#include "model/arch_registry.hpp"

namespace apr::model {

const ArchTraits& mistral_traits() {
  static const ArchTraits t{
      .arch = Arch::mistral,
      .name = "mistral",
      .hf_model_types = {"mistral"},
      .hf_class = "MistralForCausalLM",
      .gguf_arch = "llama",
      .gguf_permutes_qk = true,
      .attention_bias_required = false,
      .attention_bias_allowed = false,
      .o_bias_with_attention_bias = false,
      .gguf_writes_rope_dim = true,
      .default_rope_theta = 10000.0,
      .default_rms_eps = 1e-6,
      .default_chat_template_file = "mistral-instruct.jinja",
      .write_hf_extras = [](const ModelConfig&, nlohmann::json& j) { j["sliding_window"] = nullptr; },
  };
  return t;
}

}  // namespace apr::model
