// llama architecture traits (Llama 2/3 shapes, SmolLM2, TinyLlama).
// llama.cpp's converter (LlamaModel) permutes Q/K rows so that its NORM (adjacent-pair) RoPE
// reproduces HF's rotate-half; GGUF(llama) -> HF un-permutes, HF -> GGUF(llama) permutes.
#include "model/arch_registry.hpp"

namespace apr::model {

const ArchTraits& llama_traits() {
  static const ArchTraits t{
      .arch = Arch::llama,
      .name = "llama",
      .hf_model_types = {"llama"},
      .hf_class = "LlamaForCausalLM",
      .gguf_arch = "llama",
      .gguf_permutes_qk = true,
      .attention_bias_required = false,
      .attention_bias_allowed = true,  // HF LlamaConfig.attention_bias
      .o_bias_with_attention_bias = true,
      .gguf_writes_rope_dim = true,
      .default_rope_theta = 10000.0,
      .default_rms_eps = 1e-6,
      .default_chat_template_file = "smollm2-instruct.jinja",
      .write_hf_extras = [](const ModelConfig&, nlohmann::json&) {},
  };
  return t;
}

}  // namespace apr::model
