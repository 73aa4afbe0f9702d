#include "engine/forward.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "engine/kernels.hpp"

namespace apr::engine {

Forward::Forward(const model::ModelConfig& c, ModelWeights w, ThreadPool& pool, std::int64_t max_context)
    : c_(c), w_(std::move(w)), pool_(pool), max_ctx_(max_context) {
  if (max_ctx_ <= 0)
    throw validation_error("engine: max_context must be > 0, found " + std::to_string(max_ctx_));
  const std::int64_t half = c_.head_dim / 2;
  inv_freq_.resize(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i)
    inv_freq_[static_cast<std::size_t>(i)] =
        std::pow(c_.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(c_.head_dim));
  kc_.resize(static_cast<std::size_t>(c_.layers));
  vc_.resize(static_cast<std::size_t>(c_.layers));
}

void Forward::ensure_cache(std::int64_t positions) {
  if (positions <= cache_cap_) return;
  std::int64_t cap = std::max<std::int64_t>(positions, std::min<std::int64_t>(max_ctx_, cache_cap_ * 2));
  const auto kd = static_cast<std::size_t>(c_.kv_heads * c_.head_dim);
  for (std::size_t l = 0; l < kc_.size(); ++l) {
    kc_[l].resize(static_cast<std::size_t>(cap) * kd);
    vc_[l].resize(static_cast<std::size_t>(cap) * kd);
  }
  cache_cap_ = cap;
}

void Forward::matmul(const Matrix& W, const float* X, std::int64_t T, float* Y, const std::vector<float>* bias) {
  const std::int64_t rows = W.rows(), cols = W.cols();
  const float* b = (bias && !bias->empty()) ? bias->data() : nullptr;
  pool_.parallel_for(rows, [&](std::int64_t r0, std::int64_t r1) {
    std::vector<float> scratch(static_cast<std::size_t>(cols));
    for (std::int64_t o = r0; o < r1; ++o) {
      if (T == 1) {  // decode: fused dequantize+dot where the dtype has one (same bits as below)
        float y;
        if (W.fused_dot(o, X, &y)) {
          Y[o] = b ? y + b[o] : y;
          continue;
        }
      }
      const float* wr = W.row(o, scratch.data());
      std::int64_t t = 0;
      for (; t + 4 <= T; t += 4) {  // same bits as dot() per token; w loaded once for four
        const float* xs[4] = {X + t * cols, X + (t + 1) * cols, X + (t + 2) * cols, X + (t + 3) * cols};
        float y[4];
        dot4(wr, xs, cols, y);
        for (int k = 0; k < 4; ++k) Y[(t + k) * rows + o] = b ? y[k] + b[o] : y[k];
      }
      for (; t < T; ++t) {
        float y = dot(wr, X + t * cols, cols);
        if (b) y += b[o];
        Y[t * rows + o] = y;
      }
    }
  });
}

void Forward::run(std::span<const std::int32_t> tokens, bool all_logits, std::vector<float>& out) {
  const std::int64_t T = static_cast<std::int64_t>(tokens.size());
  if (T == 0) {
    out.clear();
    return;
  }
  for (std::size_t i = 0; i < tokens.size(); ++i)
    if (tokens[i] < 0 || tokens[i] >= c_.vocab)
      throw validation_error("engine: token id " + std::to_string(tokens[i]) + " at index " +
                             std::to_string(i) + " is outside the vocabulary [0, " +
                             std::to_string(c_.vocab) + ")");
  if (n_past_ + T > max_ctx_)
    throw validation_error("engine: sequence of " + std::to_string(n_past_ + T) +
                           " positions exceeds max_context " + std::to_string(max_ctx_));
  ensure_cache(n_past_ + T);

  const std::int64_t H = c_.hidden, hd = c_.head_dim, nh = c_.heads, nkv = c_.kv_heads;
  const std::int64_t qd = nh * hd, kd = nkv * hd, F = c_.ffn, group = nh / nkv;
  const auto sz = [](std::int64_t n) { return static_cast<std::size_t>(n); };
  std::vector<float> h(sz(T * H)), xn(sz(T * H)), q(sz(T * qd)), k(sz(T * kd)), v(sz(T * kd));
  std::vector<float> att(sz(T * qd)), y(sz(T * H)), g(sz(T * F)), u(sz(T * F));

  // Embeddings: exact rows of the embedding table.
  pool_.parallel_for(T, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      float* dst = h.data() + t * H;
      const float* src = w_.embed.row(tokens[sz(t)], dst);
      if (src != dst) std::copy(src, src + H, dst);
    }
  });

  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  for (std::size_t l = 0; l < w_.layers.size(); ++l) {
    const LayerWeights& L = w_.layers[l];
    for (std::int64_t t = 0; t < T; ++t)
      rmsnorm(h.data() + t * H, L.attn_norm.data(), xn.data() + t * H, H, c_.rms_eps);
    matmul(L.q, xn.data(), T, q.data(), &L.bq);
    matmul(L.k, xn.data(), T, k.data(), &L.bk);
    matmul(L.v, xn.data(), T, v.data(), &L.bv);
    float* kc = kc_[l].data();
    float* vc = vc_[l].data();
    for (std::int64_t t = 0; t < T; ++t) {
      const std::int64_t pos = n_past_ + t;
      for (std::int64_t hh = 0; hh < nh; ++hh) rope_neox(q.data() + t * qd + hh * hd, hd, pos, inv_freq_.data());
      for (std::int64_t hh = 0; hh < nkv; ++hh) rope_neox(k.data() + t * kd + hh * hd, hd, pos, inv_freq_.data());
      std::copy(k.data() + t * kd, k.data() + (t + 1) * kd, kc + pos * kd);
      std::copy(v.data() + t * kd, v.data() + (t + 1) * kd, vc + pos * kd);
    }
    pool_.parallel_for(T * nh, [&](std::int64_t u0, std::int64_t u1) {
      std::vector<float> scores(sz(n_past_ + T));
      for (std::int64_t unit = u0; unit < u1; ++unit) {
        const std::int64_t t = unit / nh, hh = unit % nh, kvh = hh / group;
        attend_head(q.data() + t * qd + hh * hd, kc + kvh * hd, vc + kvh * hd, kd, hd, n_past_ + t, scale,
                    scores.data(), att.data() + t * qd + hh * hd);
      }
    });
    matmul(L.o, att.data(), T, y.data(), &L.bo);
    for (std::int64_t i = 0; i < T * H; ++i) h[sz(i)] += y[sz(i)];
    for (std::int64_t t = 0; t < T; ++t)
      rmsnorm(h.data() + t * H, L.ffn_norm.data(), xn.data() + t * H, H, c_.rms_eps);
    matmul(L.gate, xn.data(), T, g.data(), nullptr);
    matmul(L.up, xn.data(), T, u.data(), nullptr);
    swiglu(g.data(), u.data(), g.data(), T * F);
    matmul(L.down, g.data(), T, y.data(), nullptr);
    for (std::int64_t i = 0; i < T * H; ++i) h[sz(i)] += y[sz(i)];
  }
  n_past_ += T;

  const std::int64_t first = all_logits ? 0 : T - 1, n_out = T - first;
  for (std::int64_t t = 0; t < n_out; ++t)
    rmsnorm(h.data() + (first + t) * H, w_.final_norm.data(), xn.data() + t * H, H, c_.rms_eps);
  out.resize(sz(n_out * c_.vocab));
  matmul(w_.lm_head, xn.data(), n_out, out.data(), nullptr);
}

}  // namespace apr::engine
