// apr-qa model layer: the llama-family tensor manifest and the HF <-> GGUF name map
// (formats.md §3, anchor-conversion.md §4). Shared by llama, qwen2 and mistral; the arch traits
// decide bias presence and whether Q/K rows are permuted in GGUF.
#include <array>
#include <charconv>
#include <string>

#include "core/switches.hpp"
#include "model/arch_traits.hpp"

namespace apr::model {
namespace {

struct NamePair {
  std::string_view hf, gguf;
};
// Whole-model tensors.
constexpr std::array<NamePair, 3> kGlobal{{
    {"model.embed_tokens.weight", "token_embd.weight"},
    {"model.norm.weight", "output_norm.weight"},
    {"lm_head.weight", "output.weight"},
}};
// Per-layer suffixes after "model.layers.N." / "blk.N.".
constexpr std::array<NamePair, 14> kLayer{{
    {"input_layernorm.weight", "attn_norm.weight"},
    {"self_attn.q_proj.weight", "attn_q.weight"},
    {"self_attn.q_proj.bias", "attn_q.bias"},
    {"self_attn.k_proj.weight", "attn_k.weight"},
    {"self_attn.k_proj.bias", "attn_k.bias"},
    {"self_attn.v_proj.weight", "attn_v.weight"},
    {"self_attn.v_proj.bias", "attn_v.bias"},
    {"self_attn.o_proj.weight", "attn_output.weight"},
    {"self_attn.o_proj.bias", "attn_output.bias"},
    {"post_attention_layernorm.weight", "ffn_norm.weight"},
    {"mlp.gate_proj.weight", "ffn_gate.weight"},
    {"mlp.up_proj.weight", "ffn_up.weight"},
    {"mlp.down_proj.weight", "ffn_down.weight"},
    {"", ""},  // sentinel (unused)
}};

constexpr std::int64_t kMaxManifestLayers = 4096;

constexpr std::string_view kHfLayer = "model.layers.";
constexpr std::string_view kGgufLayer = "blk.";

// Splits "<prefix>N.<rest>" into N and rest.
bool split_layer(std::string_view name, std::string_view prefix, int& layer, std::string_view& rest) {
  if (name.substr(0, prefix.size()) != prefix) return false;
  std::string_view tail = name.substr(prefix.size());
  auto dot = tail.find('.');
  if (dot == std::string_view::npos || dot == 0) return false;
  std::string_view num = tail.substr(0, dot);
  if (num.size() > 1 && num[0] == '0') return false;  // no leading zeros: names must be canonical
  auto [p, ec] = std::from_chars(num.data(), num.data() + num.size(), layer);
  if (ec != std::errc() || p != num.data() + num.size() || layer < 0) return false;
  rest = tail.substr(dot + 1);
  return true;
}

}  // namespace

int layer_of(std::string_view name) {
  int layer = -1;
  std::string_view rest;
  if (split_layer(name, kHfLayer, layer, rest) || split_layer(name, kGgufLayer, layer, rest)) return layer;
  return -1;
}

std::optional<std::string> hf_to_gguf_name(std::string_view hf) {
  for (const auto& p : kGlobal)
    if (p.hf == hf) return std::string(p.gguf);
  int layer;
  std::string_view rest;
  if (!split_layer(hf, kHfLayer, layer, rest)) return std::nullopt;
  for (const auto& p : kLayer)
    if (!p.hf.empty() && p.hf == rest) return std::string(kGgufLayer) + std::to_string(layer) + "." + std::string(p.gguf);
  return std::nullopt;
}

std::optional<std::string> gguf_to_hf_name(std::string_view gguf) {
  for (const auto& p : kGlobal)
    if (p.gguf == gguf) return std::string(p.hf);
  int layer;
  std::string_view rest;
  if (!split_layer(gguf, kGgufLayer, layer, rest)) return std::nullopt;
  for (const auto& p : kLayer)
    if (!p.gguf.empty() && p.gguf == rest) return std::string(kHfLayer) + std::to_string(layer) + "." + std::string(p.hf);
  return std::nullopt;
}

std::vector<TensorSpec> tensor_manifest(const ModelConfig& c) {
  const ArchTraits& t = arch_traits(c.arch);
  // A planted fault for the gate tests (APR_QA_FAULT=gguf_qk_unpermuted, core/switches.hpp): the
  // GGUF writer and reader both skip the Q/K permutation, so apr-qa agrees with itself and only an
  // independent consumer (llama.cpp) can tell.
  const bool permutes = t.gguf_permutes_qk && !fault_planted("gguf_qk_unpermuted");
  // Backstop for callers that did not run check_layer_count: no real decoder has 4096 layers.
  if (c.layers < 0 || c.layers > kMaxManifestLayers)
    throw validation_error("config num_hidden_layers: expected 0.." + std::to_string(kMaxManifestLayers) + ", found " +
                           std::to_string(c.layers))
        .at_key("num_hidden_layers");
  std::vector<TensorSpec> out;
  auto add = [&](std::string hf, std::vector<std::int64_t> shape, bool required, RowPermute perm) {
    auto g = hf_to_gguf_name(hf);
    if (!g) throw internal_error("manifest tensor '" + hf + "' has no GGUF name");
    out.push_back({std::move(hf), std::move(*g), std::move(shape), required,
                   permutes ? perm : RowPermute::none});
  };
  const std::int64_t qdim = c.heads * c.head_dim, kvdim = c.kv_heads * c.head_dim;
  add("model.embed_tokens.weight", {c.vocab, c.hidden}, true, RowPermute::none);
  for (std::int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    add(p + "input_layernorm.weight", {c.hidden}, true, RowPermute::none);
    add(p + "self_attn.q_proj.weight", {qdim, c.hidden}, true, RowPermute::q_heads);
    add(p + "self_attn.k_proj.weight", {kvdim, c.hidden}, true, RowPermute::k_heads);
    add(p + "self_attn.v_proj.weight", {kvdim, c.hidden}, true, RowPermute::none);
    if (c.attention_bias) {
      add(p + "self_attn.q_proj.bias", {qdim}, true, RowPermute::q_heads);
      add(p + "self_attn.k_proj.bias", {kvdim}, true, RowPermute::k_heads);
      add(p + "self_attn.v_proj.bias", {kvdim}, true, RowPermute::none);
      if (t.o_bias_with_attention_bias) add(p + "self_attn.o_proj.bias", {c.hidden}, true, RowPermute::none);
    }
    add(p + "self_attn.o_proj.weight", {c.hidden, qdim}, true, RowPermute::none);
    add(p + "post_attention_layernorm.weight", {c.hidden}, true, RowPermute::none);
    add(p + "mlp.gate_proj.weight", {c.ffn, c.hidden}, true, RowPermute::none);
    add(p + "mlp.up_proj.weight", {c.ffn, c.hidden}, true, RowPermute::none);
    add(p + "mlp.down_proj.weight", {c.hidden, c.ffn}, true, RowPermute::none);
  }
  add("model.norm.weight", {c.hidden}, true, RowPermute::none);
  if (!c.tied_embeddings) add("lm_head.weight", {c.vocab, c.hidden}, true, RowPermute::none);
  return out;
}

}  // namespace apr::model
