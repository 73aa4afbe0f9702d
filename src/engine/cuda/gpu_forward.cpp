#include "engine/cuda/gpu_forward.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace apr::engine {

namespace {

using gpu::i64;

// f32 array in device memory.
class DeviceArray {
 public:
  DeviceArray() = default;
  explicit DeviceArray(std::size_t n) : n_(n) { p_ = static_cast<float*>(gpu::device_alloc(n * sizeof(float))); }
  DeviceArray(const std::vector<float>& host) : DeviceArray(host.size()) {
    if (!host.empty()) gpu::upload(p_, host.data(), host.size() * sizeof(float));
  }
  ~DeviceArray() { gpu::device_free(p_); }
  DeviceArray(DeviceArray&& o) noexcept : p_(std::exchange(o.p_, nullptr)), n_(std::exchange(o.n_, 0)) {}
  DeviceArray& operator=(DeviceArray&& o) noexcept {
    std::swap(p_, o.p_);
    std::swap(n_, o.n_);
    return *this;
  }
  float* data() const { return p_; }
  bool empty() const { return n_ == 0; }

 private:
  float* p_ = nullptr;
  std::size_t n_ = 0;
};

struct DeviceMatrix {
  DeviceArray w;
  i64 rows = 0, cols = 0;
};

// The exact f32 values of a weight matrix, uploaded row-major [rows, cols].
DeviceMatrix upload_matrix(const Matrix& m) {
  DeviceMatrix d{DeviceArray(static_cast<std::size_t>(m.rows() * m.cols())), m.rows(), m.cols()};
  std::vector<float> host(static_cast<std::size_t>(m.rows() * m.cols()));
  for (i64 r = 0; r < m.rows(); ++r) {
    float* dst = host.data() + r * m.cols();
    const float* src = m.row(r, dst);
    if (src != dst) std::copy(src, src + m.cols(), dst);
  }
  gpu::upload(d.w.data(), host.data(), host.size() * sizeof(float));
  return d;
}

struct DeviceLayer {
  DeviceArray attn_norm, ffn_norm, bq, bk, bv, bo;
  DeviceMatrix q, k, v, o, gate, up, down;
};

const float* or_null(const DeviceArray& a) { return a.empty() ? nullptr : a.data(); }

class GpuForward final : public ForwardPass {
 public:
  GpuForward(const model::ModelConfig& c, const ModelWeights& w, i64 max_context)
      : c_(c), embed_(w.embed), max_ctx_(max_context) {
    if (max_ctx_ <= 0) throw validation_error("engine: max_context must be > 0, found " + std::to_string(max_ctx_));
    for (const auto& L : w.layers)
      layers_.push_back(DeviceLayer{DeviceArray(L.attn_norm), DeviceArray(L.ffn_norm), DeviceArray(L.bq),
                                    DeviceArray(L.bk), DeviceArray(L.bv), DeviceArray(L.bo), upload_matrix(L.q),
                                    upload_matrix(L.k), upload_matrix(L.v), upload_matrix(L.o),
                                    upload_matrix(L.gate), upload_matrix(L.up), upload_matrix(L.down)});
    lm_head_ = upload_matrix(w.lm_head);
    final_norm_ = DeviceArray(w.final_norm);
    // RoPE tables with the CPU engine's values: angle p * theta^(-2i/d) in double, cos/sin by libm.
    const i64 h2 = c_.head_dim / 2;
    std::vector<float> ct(static_cast<std::size_t>(max_ctx_ * h2)), st(ct.size());
    for (i64 i = 0; i < h2; ++i) {
      const double inv = std::pow(c_.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(c_.head_dim));
      for (i64 p = 0; p < max_ctx_; ++p) {
        const double th = static_cast<double>(p) * inv;
        ct[static_cast<std::size_t>(p * h2 + i)] = static_cast<float>(std::cos(th));
        st[static_cast<std::size_t>(p * h2 + i)] = static_cast<float>(std::sin(th));
      }
    }
    cos_ = DeviceArray(ct);
    sin_ = DeviceArray(st);
    const i64 kd = c_.kv_heads * c_.head_dim;
    cache_ = DeviceArray(static_cast<std::size_t>(2 * c_.layers * max_ctx_ * kd));
    const auto n = [](i64 per) { return static_cast<std::size_t>(kChunk * per); };
    const i64 qd = c_.heads * c_.head_dim;
    h_ = DeviceArray(n(c_.hidden));
    xn_ = DeviceArray(n(c_.hidden));
    y_ = DeviceArray(n(c_.hidden));
    q_ = DeviceArray(n(qd));
    att_ = DeviceArray(n(qd));
    k_ = DeviceArray(n(kd));
    v_ = DeviceArray(n(kd));
    g_ = DeviceArray(n(c_.ffn));
    u_ = DeviceArray(n(c_.ffn));
    scores_ = DeviceArray(n(c_.heads * max_ctx_));
    logits_ = DeviceArray(n(c_.vocab));
    gpu::sync();
  }

  void reset() override { n_past_ = 0; }
  i64 n_past() const override { return n_past_; }
  i64 max_context() const override { return max_ctx_; }

  void run(std::span<const std::int32_t> tokens, bool all_logits, std::vector<float>& out) override {
    const i64 T = static_cast<i64>(tokens.size());
    if (T == 0) {
      out.clear();
      return;
    }
    for (std::size_t i = 0; i < tokens.size(); ++i)
      if (tokens[i] < 0 || tokens[i] >= c_.vocab)
        throw validation_error("engine: token id " + std::to_string(tokens[i]) + " at index " + std::to_string(i) +
                               " is outside the vocabulary [0, " + std::to_string(c_.vocab) + ")");
    if (n_past_ + T > max_ctx_)
      throw validation_error("engine: sequence of " + std::to_string(n_past_ + T) + " positions exceeds max_context " +
                             std::to_string(max_ctx_));
    out.resize(static_cast<std::size_t>((all_logits ? T : 1) * c_.vocab));
    try {
      for (i64 c0 = 0; c0 < T; c0 += kChunk) {
        const i64 tc = std::min(kChunk, T - c0);
        const bool last = c0 + tc == T;
        float* dst = all_logits ? out.data() + c0 * c_.vocab : (last ? out.data() : nullptr);
        step(tokens.subspan(static_cast<std::size_t>(c0), static_cast<std::size_t>(tc)), all_logits, dst);
      }
    } catch (const std::runtime_error& e) {
      throw io_error(std::string("gpu backend: ") + e.what());
    }
  }

 private:
  static constexpr i64 kChunk = 64;  // tokens per batch, as the CPU engine

  float* k_cache(i64 l) const { return cache_.data() + (2 * l) * max_ctx_ * c_.kv_heads * c_.head_dim; }
  float* v_cache(i64 l) const { return cache_.data() + (2 * l + 1) * max_ctx_ * c_.kv_heads * c_.head_dim; }

  void step(std::span<const std::int32_t> tokens, bool all_logits, float* logits) {
    const i64 T = static_cast<i64>(tokens.size());
    const i64 H = c_.hidden, hd = c_.head_dim, nh = c_.heads, nkv = c_.kv_heads, kd = nkv * hd, F = c_.ffn;
    std::vector<float> emb(static_cast<std::size_t>(T * H));
    for (i64 t = 0; t < T; ++t) {
      float* dst = emb.data() + t * H;
      const float* src = embed_.row(tokens[static_cast<std::size_t>(t)], dst);
      if (src != dst) std::copy(src, src + H, dst);
    }
    gpu::upload(h_.data(), emb.data(), emb.size() * sizeof(float));
    const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
    for (std::size_t l = 0; l < layers_.size(); ++l) {
      const DeviceLayer& L = layers_[l];
      const i64 li = static_cast<i64>(l);
      gpu::rmsnorm(h_.data(), L.attn_norm.data(), xn_.data(), T, H, c_.rms_eps);
      gpu::matmul(L.q.w.data(), xn_.data(), q_.data(), or_null(L.bq), L.q.rows, L.q.cols, T);
      gpu::matmul(L.k.w.data(), xn_.data(), k_.data(), or_null(L.bk), L.k.rows, L.k.cols, T);
      gpu::matmul(L.v.w.data(), xn_.data(), v_.data(), or_null(L.bv), L.v.rows, L.v.cols, T);
      gpu::rope(q_.data(), T, nh, hd, n_past_, cos_.data(), sin_.data());
      gpu::rope(k_.data(), T, nkv, hd, n_past_, cos_.data(), sin_.data());
      const std::size_t bytes = static_cast<std::size_t>(T * kd) * sizeof(float);
      gpu::device_copy(k_cache(li) + n_past_ * kd, k_.data(), bytes);
      gpu::device_copy(v_cache(li) + n_past_ * kd, v_.data(), bytes);
      gpu::attention(q_.data(), k_cache(li), v_cache(li), att_.data(), scores_.data(), T, nh, nkv, hd, n_past_, scale);
      gpu::matmul(L.o.w.data(), att_.data(), y_.data(), or_null(L.bo), L.o.rows, L.o.cols, T);
      gpu::add_inplace(h_.data(), y_.data(), T * H);
      gpu::rmsnorm(h_.data(), L.ffn_norm.data(), xn_.data(), T, H, c_.rms_eps);
      gpu::matmul(L.gate.w.data(), xn_.data(), g_.data(), nullptr, L.gate.rows, L.gate.cols, T);
      gpu::matmul(L.up.w.data(), xn_.data(), u_.data(), nullptr, L.up.rows, L.up.cols, T);
      gpu::swiglu_inplace(g_.data(), u_.data(), T * F);
      gpu::matmul(L.down.w.data(), g_.data(), y_.data(), nullptr, L.down.rows, L.down.cols, T);
      gpu::add_inplace(h_.data(), y_.data(), T * H);
    }
    n_past_ += T;
    if (!logits) {
      gpu::sync();
      return;
    }
    const i64 first = all_logits ? 0 : T - 1, n_out = T - first;
    gpu::rmsnorm(h_.data() + first * H, final_norm_.data(), xn_.data(), n_out, H, c_.rms_eps);
    gpu::matmul(lm_head_.w.data(), xn_.data(), logits_.data(), nullptr, lm_head_.rows, lm_head_.cols, n_out);
    gpu::sync();
    gpu::download(logits, logits_.data(), static_cast<std::size_t>(n_out * c_.vocab) * sizeof(float));
  }

  model::ModelConfig c_;
  Matrix embed_;
  i64 max_ctx_;
  i64 n_past_ = 0;
  std::vector<DeviceLayer> layers_;
  DeviceMatrix lm_head_;
  DeviceArray final_norm_, cos_, sin_, cache_;
  DeviceArray h_, xn_, y_, q_, att_, k_, v_, g_, u_, scores_, logits_;
};

}  // namespace

gpu::DeviceInfo gpu_device() { return gpu::probe(); }

std::unique_ptr<ForwardPass> make_gpu_forward(const model::ModelConfig& c, const ModelWeights& w,
                                              std::int64_t max_context) {
  const gpu::DeviceInfo d = gpu::probe();
  if (!d.available) throw io_error("--backend gpu: " + d.reason);
  try {
    return std::make_unique<GpuForward>(c, w, max_context);
  } catch (const std::runtime_error& e) {
    throw io_error(std::string("gpu backend on ") + d.name + ": " + e.what());
  }
}

}  // namespace apr::engine
