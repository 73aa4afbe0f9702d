// apr-qa model layer: the registration table of architectures and config validation.
#include <string>

#include "model/arch_registry.hpp"

namespace apr::model {

const std::vector<const ArchTraits*>& all_archs() {
  static const std::vector<const ArchTraits*> table{&llama_traits(), &qwen2_traits(), &mistral_traits()};
  return table;
}

std::string supported_arch_list() {
  std::string s;
  for (const auto* t : all_archs()) {
    if (!s.empty()) s += ", ";
    s += t->name;
  }
  return s;
}

const char* to_string(Arch a) noexcept {
  for (const auto* t : all_archs())
    if (t->arch == a) return t->name;
  return "?";
}

const ArchTraits& arch_traits(Arch a) {
  for (const auto* t : all_archs())
    if (t->arch == a) return *t;
  throw internal_error("architecture enum value " + std::to_string(static_cast<int>(a)) +
                       " has no traits registered");
}

const ArchTraits& arch_by_name(std::string_view name) {
  for (const auto* t : all_archs())
    if (name == t->name) return *t;
  throw unsupported_error("unsupported architecture '" + std::string(name) +
                          "': expected one of " + supported_arch_list());
}

const ArchTraits& arch_by_hf_model_type(std::string_view model_type) {
  for (const auto* t : all_archs())
    for (const auto& m : t->hf_model_types)
      if (m == model_type) return *t;
  throw unsupported_error("unsupported architecture: config.json model_type '" +
                          std::string(model_type) + "', expected one of " + supported_arch_list());
}

const ArchTraits& arch_by_gguf(std::string_view gguf_arch, std::string_view hint) {
  if (!hint.empty()) {
    const ArchTraits& h = arch_by_name(hint);
    if (gguf_arch != h.gguf_arch)
      throw validation_error("apr_qa.architecture '" + std::string(hint) +
                             "' conflicts with general.architecture: expected '" + h.gguf_arch +
                             "', found '" + std::string(gguf_arch) + "'")
          .at_key("apr_qa.architecture");
    return h;
  }
  // The first registered arch with this GGUF name is its native owner (llama before mistral).
  for (const auto* t : all_archs())
    if (gguf_arch == t->gguf_arch) return *t;
  throw unsupported_error("unsupported architecture: general.architecture '" +
                          std::string(gguf_arch) + "', expected one of " + supported_arch_list())
      .at_key("general.architecture");
}

namespace {
void need_positive(std::int64_t v, const char* field, const std::string& where) {
  if (v <= 0)
    throw validation_error(std::string("config ") + field + ": expected a positive value, found " +
                           std::to_string(v))
        .at_path(where)
        .at_key(field);
}
}  // namespace

void validate_config(const ModelConfig& c, const std::string& where) {
  const ArchTraits& t = arch_traits(c.arch);
  need_positive(c.hidden, "hidden_size", where);
  need_positive(c.layers, "num_hidden_layers", where);
  need_positive(c.heads, "num_attention_heads", where);
  need_positive(c.kv_heads, "num_key_value_heads", where);
  need_positive(c.head_dim, "head_dim", where);
  need_positive(c.ffn, "intermediate_size", where);
  need_positive(c.vocab, "vocab_size", where);
  need_positive(c.context, "max_position_embeddings", where);
  if (c.heads % c.kv_heads != 0)
    throw validation_error("config num_key_value_heads: expected a divisor of num_attention_heads (" +
                           std::to_string(c.heads) + "), found " + std::to_string(c.kv_heads))
        .at_path(where)
        .at_key("num_key_value_heads");
  if (t.gguf_permutes_qk && c.head_dim % 2 != 0)
    throw validation_error("config head_dim: expected an even value (RoPE pairs), found " +
                           std::to_string(c.head_dim))
        .at_path(where)
        .at_key("head_dim");
  if (!(c.rope_theta > 0))
    throw validation_error("config rope_theta: expected > 0, found " + std::to_string(c.rope_theta))
        .at_path(where)
        .at_key("rope_theta");
  if (!(c.rms_eps > 0))
    throw validation_error("config rms_norm_eps: expected > 0, found " + std::to_string(c.rms_eps))
        .at_path(where)
        .at_key("rms_norm_eps");
  if (t.attention_bias_required && !c.attention_bias)
    throw validation_error(std::string("config attention_bias: ") + t.name +
                           " requires q/k/v biases, found attention_bias=false")
        .at_path(where)
        .at_key("attention_bias");
  if (!t.attention_bias_allowed && c.attention_bias)
    throw validation_error(std::string("config attention_bias: ") + t.name +
                           " has no attention biases, found attention_bias=true")
        .at_path(where)
        .at_key("attention_bias");
}

}  // namespace apr::model
