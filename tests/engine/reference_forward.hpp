// Test helper: a straightforward double-precision forward pass written directly from the
// formulas of formats.md §5 (no KV cache, no batching, no shared code with the engine), used as
// an independent check of the engine's logits on tiny models.
#pragma once

#include <cmath>
#include <vector>

#include "tiny_model.hpp"

namespace apr::engine::test {

inline std::vector<double> ref_logits(const model::CanonicalModel& m, const std::vector<std::int32_t>& toks) {
  const auto& c = m.config;
  const std::int64_t H = c.hidden, hd = c.head_dim, nh = c.heads, nkv = c.kv_heads, F = c.ffn, V = c.vocab;
  const std::int64_t T = static_cast<std::int64_t>(toks.size());
  auto W = [&](const std::string& n) { return values(m, n); };
  auto has = [&](const std::string& n) {
    for (auto& t : m.tensors) if (t.name == n) return true;
    return false;
  };
  auto linear = [](const std::vector<float>& w, const std::vector<double>& x, std::int64_t out, std::int64_t in) {
    std::vector<double> y(static_cast<std::size_t>(out), 0.0);
    for (std::int64_t o = 0; o < out; ++o)
      for (std::int64_t i = 0; i < in; ++i) y[o] += static_cast<double>(w[o * in + i]) * x[i];
    return y;
  };
  auto rms = [&](const std::vector<double>& x, const std::vector<float>& w) {
    double ss = 0;
    for (double v : x) ss += v * v;
    const double s = 1.0 / std::sqrt(ss / static_cast<double>(x.size()) + c.rms_eps);
    std::vector<double> y(x.size());
    for (std::size_t i = 0; i < x.size(); ++i) y[i] = x[i] * s * w[i];
    return y;
  };
  auto rope = [&](double* x, std::int64_t pos) {
    for (std::int64_t i = 0; i < hd / 2; ++i) {
      const double th = pos * std::pow(c.rope_theta, -2.0 * i / hd);
      const double a = x[i], b = x[i + hd / 2];
      x[i] = a * std::cos(th) - b * std::sin(th);
      x[i + hd / 2] = a * std::sin(th) + b * std::cos(th);
    }
  };
  const auto E = W("model.embed_tokens.weight");
  std::vector<std::vector<double>> h(static_cast<std::size_t>(T), std::vector<double>(H));
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t i = 0; i < H; ++i) h[t][i] = E[toks[t] * H + i];
  for (std::int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    const auto an = W(p + "input_layernorm.weight"), fn = W(p + "post_attention_layernorm.weight");
    const auto wq = W(p + "self_attn.q_proj.weight"), wk = W(p + "self_attn.k_proj.weight");
    const auto wv = W(p + "self_attn.v_proj.weight"), wo = W(p + "self_attn.o_proj.weight");
    const auto wg = W(p + "mlp.gate_proj.weight"), wu = W(p + "mlp.up_proj.weight"), wd = W(p + "mlp.down_proj.weight");
    std::vector<std::vector<double>> Q(T), K(T), Vv(T);
    for (std::int64_t t = 0; t < T; ++t) {
      auto a = rms(h[t], an);
      Q[t] = linear(wq, a, nh * hd, H);
      K[t] = linear(wk, a, nkv * hd, H);
      Vv[t] = linear(wv, a, nkv * hd, H);
      if (has(p + "self_attn.q_proj.bias")) {
        auto bq = W(p + "self_attn.q_proj.bias"), bk = W(p + "self_attn.k_proj.bias"), bv = W(p + "self_attn.v_proj.bias");
        for (std::size_t i = 0; i < Q[t].size(); ++i) Q[t][i] += bq[i];
        for (std::size_t i = 0; i < K[t].size(); ++i) { K[t][i] += bk[i]; Vv[t][i] += bv[i]; }
      }
      for (std::int64_t x = 0; x < nh; ++x) rope(Q[t].data() + x * hd, t);
      for (std::int64_t x = 0; x < nkv; ++x) rope(K[t].data() + x * hd, t);
    }
    for (std::int64_t t = 0; t < T; ++t) {
      std::vector<double> o(static_cast<std::size_t>(nh * hd), 0.0);
      for (std::int64_t x = 0; x < nh; ++x) {
        const std::int64_t g = x / (nh / nkv);
        std::vector<double> s(static_cast<std::size_t>(t + 1));
        double mx = -1e300;
        for (std::int64_t j = 0; j <= t; ++j) {
          double d = 0;
          for (std::int64_t i = 0; i < hd; ++i) d += Q[t][x * hd + i] * K[j][g * hd + i];
          s[j] = d / std::sqrt(static_cast<double>(hd));
          mx = std::max(mx, s[j]);
        }
        double sum = 0;
        for (auto& v : s) { v = std::exp(v - mx); sum += v; }
        for (std::int64_t j = 0; j <= t; ++j)
          for (std::int64_t i = 0; i < hd; ++i) o[x * hd + i] += s[j] / sum * Vv[j][g * hd + i];
      }
      auto y = linear(wo, o, H, nh * hd);
      if (has(p + "self_attn.o_proj.bias")) {
        auto bo = W(p + "self_attn.o_proj.bias");
        for (std::int64_t i = 0; i < H; ++i) y[i] += bo[i];
      }
      for (std::int64_t i = 0; i < H; ++i) h[t][i] += y[i];
    }
    for (std::int64_t t = 0; t < T; ++t) {
      auto f = rms(h[t], fn);
      auto g = linear(wg, f, F, H), u = linear(wu, f, F, H);
      for (std::int64_t i = 0; i < F; ++i) g[i] = g[i] / (1 + std::exp(-g[i])) * u[i];
      auto y = linear(wd, g, H, F);
      for (std::int64_t i = 0; i < H; ++i) h[t][i] += y[i];
    }
  }
  const auto nw = W("model.norm.weight");
  const auto head = c.tied_embeddings ? E : W("lm_head.weight");
  std::vector<double> out;
  for (std::int64_t t = 0; t < T; ++t) {
    auto y = linear(head, rms(h[t], nw), V, H);
    out.insert(out.end(), y.begin(), y.end());
  }
  return out;
}

}  // namespace apr::engine::test
