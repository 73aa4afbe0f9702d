// apr-qa model layer: per-architecture traits and the one registration table.
//
// Each supported architecture lives in its own file (arch_llama.cpp, arch_qwen2.cpp,
// arch_mistral.cpp) and fills an ArchTraits: its names in HF config.json and GGUF, the tensor
// manifest derived from a ModelConfig (HF name, GGUF name, row-major shape, required/optional,
// Q/K row permutation), the HF <-> GGUF name map and its config defaults. Code elsewhere asks the
// table (arch_traits / find_arch_*) and never switches on the architecture.
//
// Contract: every lookup that fails is a `unsupported` apr::Error listing the supported
// architectures; name maps return nullopt for names the architecture does not know.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "model/canonical_model.hpp"

namespace apr::model {

// Which head count a GGUF Q/K row permutation uses (llama.cpp's converter, LlamaModel only).
enum class RowPermute { none, q_heads, k_heads };

struct TensorSpec {
  std::string hf_name;
  std::string gguf_name;
  std::vector<std::int64_t> shape;  // row-major, from the config
  bool required = true;
  RowPermute permute = RowPermute::none;
};

struct ArchTraits {
  Arch arch;
  const char* name;                       // "llama" | "qwen2" | "mistral"
  std::vector<std::string> hf_model_types;  // config.json "model_type" values accepted
  const char* hf_class;                   // config.json "architectures"[0] on export
  const char* gguf_arch;                  // general.architecture written ("llama" for mistral)
  bool gguf_permutes_qk;                  // llama.cpp's converter permutes Q/K rows for this arch
  bool attention_bias_required;           // q/k/v biases must be present (qwen2)
  bool attention_bias_allowed;            // q/k/v biases may be present
  bool o_bias_with_attention_bias;        // HF attention_bias also gives o_proj a bias (llama)
  bool gguf_writes_rope_dim;              // write {a}.rope.dimension_count (llama converter does)
  double default_rope_theta;              // HF default when config.json omits rope_theta
  double default_rms_eps;                 // HF default when config.json omits rms_norm_eps
  const char* default_chat_template_file; // under shared/chat-templates, for fixtures
  // Architecture-specific config.json keys written on export (e.g. qwen2's sliding-window keys).
  std::function<void(const ModelConfig&, nlohmann::json&)> write_hf_extras;
};

// The table. Throws unsupported Error (listing the supported ones) for lookups that fail.
const std::vector<const ArchTraits*>& all_archs();
const ArchTraits& arch_traits(Arch a);
const ArchTraits& arch_by_name(std::string_view name);          // "llama" | "qwen2" | "mistral"
const ArchTraits& arch_by_hf_model_type(std::string_view model_type);
// GGUF general.architecture. `hint` (apr_qa.architecture, written by us) picks among archs that
// share a GGUF name (mistral is written as "llama").
const ArchTraits& arch_by_gguf(std::string_view gguf_arch, std::string_view hint = {});
std::string supported_arch_list();  // "llama, qwen2, mistral"

// The tensor manifest of a decoder-only llama-family model for `cfg` (shared by all three
// architectures; arch traits decide bias presence and permutation).
std::vector<TensorSpec> tensor_manifest(const ModelConfig& cfg);

// HF <-> GGUF tensor names (llama-family naming). nullopt if the name is not part of the map.
std::optional<std::string> hf_to_gguf_name(std::string_view hf);
std::optional<std::string> gguf_to_hf_name(std::string_view gguf);
// Layer index of an HF or GGUF tensor name ("model.layers.3." / "blk.3."), -1 if none.
int layer_of(std::string_view name);

// Derived-value checks on a config (positive dims, heads divide, GQA groups, head_dim even when
// Q/K are permuted). Throws validation Error naming the field, expected and found.
void validate_config(const ModelConfig& cfg, const std::string& where);

}  // namespace apr::model
