// Test helper: tiny in-memory llama-family CanonicalModels with seeded random weights, stored in
// a chosen dtype (quantized by the tensor layer's reference quantizers), and their exact-F32
// twins (every tensor dequantized by the tensor layer). No files involved.
#pragma once

#include <cmath>
#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "model/canonical_model.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/quantize.hpp"

namespace apr::engine::test {

struct TinySpec {
  model::Arch arch = model::Arch::llama;
  std::int64_t hidden = 256, layers = 2, heads = 4, kv_heads = 2, ffn = 512, vocab = 300;
  bool tied = true;
  bool bias = false;  // q/k/v biases (qwen2 always)
  double rope_theta = 10000.0;
  std::uint32_t seed = 1;
  GgmlType wtype = GgmlType::F32;  // dtype of the 2-D weights; norms/biases stay F32
  float scale = 0.08f;             // weight scale
};

inline model::CanonicalTensor make_tensor(const std::string& name, std::vector<std::int64_t> shape,
                                          const std::vector<float>& values, GgmlType t) {
  const std::int64_t row = shape.back();
  auto buf = std::make_shared<std::vector<std::byte>>();
  if (t == GgmlType::F32) {
    buf->resize(values.size() * 4);
    std::memcpy(buf->data(), values.data(), buf->size());
  } else {
    *buf = apr::quantize(t, values, row);
  }
  model::CanonicalTensor ct;
  ct.name = name;
  ct.source.type = t;
  ct.source.shape = std::move(shape);
  ct.source.data = std::span<const std::byte>(buf->data(), buf->size());
  ct.owned = buf;
  return ct;
}

inline std::shared_ptr<model::CanonicalModel> make_tiny(const TinySpec& s) {
  auto m = std::make_shared<model::CanonicalModel>();
  auto& c = m->config;
  c.arch = s.arch;
  c.hidden = s.hidden;
  c.layers = s.layers;
  c.heads = s.heads;
  c.kv_heads = s.kv_heads;
  c.head_dim = s.hidden / s.heads;
  c.ffn = s.ffn;
  c.vocab = s.vocab;
  c.context = 512;
  c.rope_theta = s.rope_theta;
  c.rms_eps = 1e-6;
  c.tied_embeddings = s.tied;
  c.attention_bias = s.bias || s.arch == model::Arch::qwen2;
  std::mt19937 rng(s.seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  auto rnd = [&](std::int64_t n, float sc, float mean = 0.0f) {
    std::vector<float> v(static_cast<std::size_t>(n));
    for (auto& x : v) x = mean + sc * nd(rng);
    return v;
  };
  auto mat = [&](const std::string& name, std::int64_t r, std::int64_t k, float sc) {
    m->tensors.push_back(make_tensor(name, {r, k}, rnd(r * k, sc), s.wtype));
  };
  auto vec = [&](const std::string& name, std::int64_t n, float sc, float mean) {
    m->tensors.push_back(make_tensor(name, {n}, rnd(n, sc, mean), GgmlType::F32));
  };
  const std::int64_t qd = c.heads * c.head_dim, kd = c.kv_heads * c.head_dim;
  mat("model.embed_tokens.weight", c.vocab, c.hidden, 1.0f);
  if (!s.tied) mat("lm_head.weight", c.vocab, c.hidden, s.scale);
  vec("model.norm.weight", c.hidden, 0.1f, 1.0f);
  for (std::int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    vec(p + "input_layernorm.weight", c.hidden, 0.1f, 1.0f);
    vec(p + "post_attention_layernorm.weight", c.hidden, 0.1f, 1.0f);
    mat(p + "self_attn.q_proj.weight", qd, c.hidden, s.scale);
    mat(p + "self_attn.k_proj.weight", kd, c.hidden, s.scale);
    mat(p + "self_attn.v_proj.weight", kd, c.hidden, s.scale);
    mat(p + "self_attn.o_proj.weight", c.hidden, qd, s.scale);
    mat(p + "mlp.gate_proj.weight", c.ffn, c.hidden, s.scale);
    mat(p + "mlp.up_proj.weight", c.ffn, c.hidden, s.scale);
    mat(p + "mlp.down_proj.weight", c.hidden, c.ffn, s.scale);
    if (c.attention_bias) {
      vec(p + "self_attn.q_proj.bias", qd, 0.5f, 0.0f);
      vec(p + "self_attn.k_proj.bias", kd, 0.5f, 0.0f);
      vec(p + "self_attn.v_proj.bias", kd, 0.5f, 0.0f);
      if (s.arch == model::Arch::llama) vec(p + "self_attn.o_proj.bias", c.hidden, 0.5f, 0.0f);
    }
  }
  std::sort(m->tensors.begin(), m->tensors.end(), [](auto& a, auto& b) { return a.name < b.name; });
  return m;
}

// Every tensor replaced by its exact F32 dequantization (row order applied).
inline std::shared_ptr<model::CanonicalModel> f32_twin(const model::CanonicalModel& src) {
  auto m = std::make_shared<model::CanonicalModel>();
  m->config = src.config;
  m->tokenizer = src.tokenizer;
  for (const auto& t : src.tensors) {
    const std::int64_t rows = t.source.rows(), n = t.source.row_len();
    std::vector<float> v(static_cast<std::size_t>(rows * n));
    for (std::int64_t r = 0; r < rows; ++r)
      apr::dequantize_row(t.type(), t.row(r).data(), v.data() + r * n, n);
    m->tensors.push_back(make_tensor(t.name, t.shape(), v, GgmlType::F32));
  }
  return m;
}

inline const model::CanonicalTensor& tensor(const model::CanonicalModel& m, const std::string& name) {
  for (const auto& t : m.tensors)
    if (t.name == name) return t;
  throw std::runtime_error("no tensor " + name);
}

// All values of a tensor as f32 (canonical row order).
inline std::vector<float> values(const model::CanonicalModel& m, const std::string& name) {
  const auto& t = tensor(m, name);
  const std::int64_t rows = t.source.rows(), n = t.source.row_len();
  std::vector<float> v(static_cast<std::size_t>(rows * n));
  for (std::int64_t r = 0; r < rows; ++r) apr::dequantize_row(t.type(), t.row(r).data(), v.data() + r * n, n);
  return v;
}

inline bool bitwise_equal(const std::vector<float>& a, const std::vector<float>& b) {
  // memcmp must not see the null data() of an empty vector (UBSan: nonnull argument)
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0);
}

}  // namespace apr::engine::test
