// Unit tests of the model layer: arch table, name map, manifest, Q/K permutation maps, checks.
#include <doctest/doctest.h>

#include <set>

#include "model/arch_traits.hpp"
#include "model/model_check.hpp"
#include "model/qk_permute.hpp"

using namespace apr;
using namespace apr::model;

namespace {
ModelConfig qwen_like(bool tied) {
  ModelConfig c;
  c.arch = Arch::qwen2;
  c.hidden = 896, c.layers = 24, c.heads = 14, c.kv_heads = 2, c.head_dim = 64, c.ffn = 4864, c.vocab = 151936;
  c.context = 32768, c.rope_theta = 1e6, c.rms_eps = 1e-6, c.tied_embeddings = tied, c.attention_bias = true;
  return c;
}
}  // namespace

TEST_CASE("arch table: lookups and unknown architectures") {
  CHECK(arch_by_name("qwen2").arch == Arch::qwen2);
  CHECK(arch_by_hf_model_type("llama").arch == Arch::llama);
  CHECK(arch_by_gguf("llama").arch == Arch::llama);
  CHECK(arch_by_gguf("llama", "mistral").arch == Arch::mistral);
  CHECK(std::string(arch_traits(Arch::mistral).gguf_arch) == "llama");
  CHECK(arch_traits(Arch::llama).gguf_permutes_qk);
  CHECK_FALSE(arch_traits(Arch::qwen2).gguf_permutes_qk);
  try {
    (void)arch_by_hf_model_type("gpt_neox");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::unsupported);
    CHECK(std::string(e.what()).find("llama, qwen2, mistral") != std::string::npos);
  }
  CHECK_THROWS_AS((void)arch_by_gguf("qwen2", "mistral"), Error);
}

TEST_CASE("name map: HF <-> GGUF both ways, unknown names rejected") {
  CHECK(hf_to_gguf_name("model.layers.7.self_attn.q_proj.bias") == "blk.7.attn_q.bias");
  CHECK(hf_to_gguf_name("model.layers.12.mlp.down_proj.weight") == "blk.12.ffn_down.weight");
  CHECK(hf_to_gguf_name("lm_head.weight") == "output.weight");
  CHECK(gguf_to_hf_name("blk.3.ffn_norm.weight") == "model.layers.3.post_attention_layernorm.weight");
  CHECK(gguf_to_hf_name("token_embd.weight") == "model.embed_tokens.weight");
  CHECK_FALSE(gguf_to_hf_name("rope_freqs.weight").has_value());
  CHECK_FALSE(gguf_to_hf_name("blk.01.attn_q.weight").has_value());
  CHECK_FALSE(hf_to_gguf_name("model.layers.x.mlp.up_proj.weight").has_value());
  CHECK(layer_of("blk.23.attn_v.weight") == 23);
  CHECK(layer_of("output.weight") == -1);
  auto m = tensor_manifest(qwen_like(true));
  for (const auto& s : m) {
    CHECK(gguf_to_hf_name(s.gguf_name) == s.hf_name);
    CHECK(hf_to_gguf_name(s.hf_name) == s.gguf_name);
  }
}

TEST_CASE("manifest: Qwen2.5-0.5B has 290 tensors tied, 291 untied, with reference shapes") {
  auto m = tensor_manifest(qwen_like(true));
  CHECK(m.size() == 290);
  CHECK(tensor_manifest(qwen_like(false)).size() == 291);
  std::map<std::string, std::vector<std::int64_t>> shapes;
  for (auto& s : m) shapes[s.hf_name] = s.shape;
  CHECK(shapes["model.embed_tokens.weight"] == std::vector<std::int64_t>{151936, 896});
  CHECK(shapes["model.layers.0.self_attn.k_proj.weight"] == std::vector<std::int64_t>{128, 896});
  CHECK(shapes["model.layers.0.self_attn.k_proj.bias"] == std::vector<std::int64_t>{128});
  CHECK(shapes["model.layers.0.mlp.down_proj.weight"] == std::vector<std::int64_t>{896, 4864});
  CHECK(shapes.count("model.layers.0.self_attn.o_proj.bias") == 0);
  for (auto& s : m) CHECK(s.permute == RowPermute::none);  // qwen2 is never permuted
}

TEST_CASE("Q/K permutation: definition, inverse, composition") {
  const std::int64_t heads = 3, hd = 8, rows = heads * hd;
  auto g = gguf_rows_from_hf(rows, heads);
  auto h = hf_rows_from_gguf(rows, heads);
  // GGUF row h*hd + 2d + a holds HF row h*hd + a*hd/2 + d.
  CHECK(g[0] == 0);
  CHECK(g[1] == 4);
  CHECK(g[2] == 1);
  CHECK(g[3] == 5);
  CHECK(g[8 + 7] == 8 + 7);
  CHECK(g[8 + 6] == 8 + 3);
  std::set<int> seen(g.begin(), g.end());
  CHECK(seen.size() == static_cast<std::size_t>(rows));
  for (std::int64_t i = 0; i < rows; ++i) CHECK(g[static_cast<std::size_t>(h[static_cast<std::size_t>(i)])] == i);
  CHECK(compose_rows(h, g).empty());   // un-permute after permute = identity
  CHECK_FALSE(compose_rows(g, g).empty());  // permuting twice is not the identity
  CHECK_THROWS_AS(gguf_rows_from_hf(10, 4), Error);  // rows not divisible
  CHECK_THROWS_AS(gguf_rows_from_hf(12, 4), Error);  // odd head size
}

TEST_CASE("config validation names the field") {
  auto c = qwen_like(true);
  c.kv_heads = 3;
  try {
    validate_config(c, "x/config.json");
    FAIL("expected an error");
  } catch (const Error& e) {
    CHECK(std::string(e.what()).find("num_key_value_heads") != std::string::npos);
  }
  c = qwen_like(true);
  c.attention_bias = false;
  CHECK_THROWS_AS(validate_config(c, "x"), Error);
}
