#include "engine/forward.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <string>

#include <sys/mman.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "engine/attention.hpp"
#include "engine/gemm.hpp"
#include "engine/kernels.hpp"

namespace apr::engine {

Forward::Forward(const model::ModelConfig& c, ModelWeights w, ThreadPool& pool, std::int64_t max_context, bool fast)
    : fast_(fast), c_(c), w_(std::move(w)), pool_(pool), max_ctx_(max_context) {
  if (max_ctx_ <= 0)
    throw validation_error("engine: max_context must be > 0, found " + std::to_string(max_ctx_));
  if (fast_) pack_int8_weights(w_, nullptr);  // Engine::create() has packed them (and released the sources)
  const std::int64_t half = c_.head_dim / 2;
  inv_freq_.resize(static_cast<std::size_t>(half));
  for (std::int64_t i = 0; i < half; ++i)
    inv_freq_[static_cast<std::size_t>(i)] =
        std::pow(c_.rope_theta, -2.0 * static_cast<double>(i) / static_cast<double>(c_.head_dim));
  // The whole cache (max_context positions) as one anonymous private mapping: the kernel backs a
  // page only when it is first written, so the resident size follows the positions used, and
  // the cache never moves or is copied as it fills.
  const auto kd = static_cast<std::uint64_t>(c_.kv_heads * c_.head_dim);
  const std::uint64_t per_position = 2ull * static_cast<std::uint64_t>(c_.layers) * kd * sizeof(float);
  if (static_cast<std::uint64_t>(max_ctx_) > (std::uint64_t{1} << 46) / per_position)
    throw validation_error("engine: max_context " + std::to_string(max_ctx_) + " needs a KV cache of more than 64 TiB");
  cache_bytes_ = static_cast<std::size_t>(per_position * static_cast<std::uint64_t>(max_ctx_));
  void* p = ::mmap(nullptr, cache_bytes_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED)
    throw validation_error("engine: cannot reserve a KV cache of " + std::to_string(cache_bytes_) +
                           " bytes for max_context " + std::to_string(max_ctx_) + ": " + std::strerror(errno));
  cache_ = static_cast<float*>(p);
}

Forward::~Forward() {
  if (cache_) ::munmap(cache_, cache_bytes_);
}

float* Forward::k_cache(std::size_t layer) const {
  return cache_ + (2 * layer) * static_cast<std::size_t>(max_ctx_ * c_.kv_heads * c_.head_dim);
}

float* Forward::v_cache(std::size_t layer) const {
  return cache_ + (2 * layer + 1) * static_cast<std::size_t>(max_ctx_ * c_.kv_heads * c_.head_dim);
}

void Forward::matmul_rows(const MatJob& j, std::int64_t T, std::int64_t r0, std::int64_t r1) {
  const Matrix& W = *j.W;
  const float* X = j.X;
  float* Y = j.Y;
  const std::int64_t rows = W.rows(), cols = W.cols();
  const float* b = (j.bias && !j.bias->empty()) ? j.bias->data() : nullptr;
  if (j.qa) {  // fast mode: the int8 kernel, all T tokens per tile of rows
    W.int8_rows(r0, r1, *j.qa, Y + r0, rows);
    if (b)
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t o = r0; o < r1; ++o) Y[t * rows + o] += b[o];
    return;
  }
  // One token: fused dequantize+dot over the whole row range where the dtype has a kernel
  // (same bits as dequantize-then-dot below).
  if (T == 1 && W.fused_dot_rows(r0, r1, X, Y + r0)) {
    if (b)
      for (std::int64_t o = r0; o < r1; ++o) Y[o] = Y[o] + b[o];
    return;
  }
  // Several tokens on AVX-512 or AVX2: rows dequantized a tile at a time, then the
  // register-blocked product over all tokens (gemm.hpp; same bits as dot() per value).
  if (const GemmRows gemm = T > 1 ? gemm_rows_for(cols) : nullptr) {
    constexpr std::int64_t kTile = 16;
    std::vector<float> tile(static_cast<std::size_t>(kTile * cols));
    const float* wr[kTile];
    for (std::int64_t o0 = r0; o0 < r1; o0 += kTile) {
      const std::int64_t n = std::min(kTile, r1 - o0);
      for (std::int64_t r = 0; r < n; ++r) wr[r] = W.row(o0 + r, tile.data() + r * cols);
      gemm(wr, n, X, cols, T, cols, Y + o0, rows);
      if (b)
        for (std::int64_t t = 0; t < T; ++t)
          for (std::int64_t r = 0; r < n; ++r) Y[t * rows + o0 + r] += b[o0 + r];
    }
    return;
  }
  std::vector<float> scratch(static_cast<std::size_t>(cols));
  for (std::int64_t o = r0; o < r1; ++o) {
    if (T == 1) {
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
}

void Forward::quantize_inputs(MatJob* jobs, std::size_t nj, std::int64_t T) {
  // Fast mode: each distinct input of the jobs whose matrix has an int8 kernel is quantized once,
  // here, before the parallel loop.
  std::size_t nq = 0, slot[kMaxJobs];
  const float* quantized[kMaxJobs];
  for (std::size_t i = 0; i < nj; ++i) {
    const MatJob& j = jobs[i];
    slot[i] = kMaxJobs;
    if (fast_ && j.W->int8_ok()) {
      std::size_t k = 0;
      while (k < nq && quantized[k] != j.X) ++k;
      if (k == nq) {
        if (qacts_.size() <= nq) qacts_.resize(nq + 1);
        quantize_acts(j.X, j.W->cols(), T, j.W->cols(), qacts_[nq]);
        quantized[nq++] = j.X;
      }
      slot[i] = k;
    }
  }
  for (std::size_t i = 0; i < nj; ++i)
    if (slot[i] < kMaxJobs) jobs[i].qa = &qacts_[slot[i]];
}

void Forward::gate_up_swiglu(const Matrix& gate, const Matrix& up, const float* X, float* G, float* U,
                             std::int64_t T) {
  MatJob jobs[2] = {{&gate, X, G, nullptr}, {&up, X, U, nullptr}};
  quantize_inputs(jobs, 2, T);
  const std::int64_t F = gate.rows();
  pool_.parallel_for(F, [&](std::int64_t r0, std::int64_t r1) {
    matmul_rows(jobs[0], T, r0, r1);
    matmul_rows(jobs[1], T, r0, r1);
    for (std::int64_t t = 0; t < T; ++t) swiglu(G + t * F + r0, U + t * F + r0, G + t * F + r0, r1 - r0);
  });
}

void Forward::matmul(std::initializer_list<MatJob> in, std::int64_t T) {
  if (in.size() > kMaxJobs) throw internal_error("engine: matmul() takes at most 4 jobs");
  MatJob jobs[kMaxJobs];
  std::size_t nj = 0;
  for (const auto& j : in) jobs[nj++] = j;
  quantize_inputs(jobs, nj, T);
  // One parallel loop over the concatenated output rows of all jobs (one synchronisation for,
  // e.g., q, k and v); each row is computed exactly as in a loop of its own.
  std::int64_t total = 0;
  for (std::size_t i = 0; i < nj; ++i) total += jobs[i].W->rows();
  pool_.parallel_for(total, [&](std::int64_t r0, std::int64_t r1) {
    std::int64_t base = 0;
    for (std::size_t i = 0; i < nj; ++i) {
      const MatJob& j = jobs[i];
      const std::int64_t rows = j.W->rows();
      const std::int64_t b0 = std::max(r0, base), b1 = std::min(r1, base + rows);
      if (b0 < b1) matmul_rows(j, T, b0 - base, b1 - base);
      base += rows;
    }
  });
}

void Forward::ensure_scratch(std::int64_t T) {
  // Grow for a longer chunk; shrink when decoding (one token) after a prefill, so a long
  // generation does not keep a prefill chunk's activations (~25 KB per token for a 135M model,
  // ~100 KB for 0.5B) resident next to its growing KV cache.
  if (T <= scratch_tokens_ && !(T == 1 && scratch_tokens_ > 1)) return;
  const auto n = [T](std::int64_t per) { return static_cast<std::size_t>(T * per); };
  const std::int64_t qd = c_.heads * c_.head_dim, kd = c_.kv_heads * c_.head_dim;
  s_h_.resize(n(c_.hidden));
  s_xn_.resize(n(c_.hidden));
  s_y_.resize(n(c_.hidden));
  s_q_.resize(n(qd));
  s_att_.resize(n(qd));
  s_k_.resize(n(kd));
  s_v_.resize(n(kd));
  s_g_.resize(n(c_.ffn));
  s_u_.resize(n(c_.ffn));
  if (T < scratch_tokens_) {
    for (auto* v : {&s_h_, &s_xn_, &s_y_, &s_q_, &s_att_, &s_k_, &s_v_, &s_g_, &s_u_}) v->shrink_to_fit();
    qacts_.clear();  // fast mode's int8 copies of the prefill chunk's inputs
    qacts_.shrink_to_fit();
#if defined(__GLIBC__)
    // The freed prefill buffers raised glibc's mmap threshold, so they may sit in the heap as
    // free space: hand it back to the OS before the decode (measured: ~3 MB on SmolLM2 fast).
    ::malloc_trim(0);
#endif
  }
  scratch_tokens_ = T;
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
  out.resize(static_cast<std::size_t>((all_logits ? T : 1) * c_.vocab));
  // Chunks of at most kPrefillChunk tokens: the activations stay small (peak RSS) and the
  // results are the same bits as one batch (every value is computed per token).
  for (std::int64_t c0 = 0; c0 < T; c0 += kPrefillChunk) {
    const std::int64_t tc = std::min(kPrefillChunk, T - c0);
    const bool last = c0 + tc == T;
    float* dst = all_logits ? out.data() + c0 * c_.vocab : (last ? out.data() : nullptr);
    step(tokens.subspan(static_cast<std::size_t>(c0), static_cast<std::size_t>(tc)), all_logits, dst);
  }
}

void Forward::step(std::span<const std::int32_t> tokens, bool all_logits, float* logits) {
  const std::int64_t T = static_cast<std::int64_t>(tokens.size());
  ensure_scratch(T);
  const std::int64_t H = c_.hidden, hd = c_.head_dim, nh = c_.heads, nkv = c_.kv_heads;
  const std::int64_t qd = nh * hd, kd = nkv * hd, group = nh / nkv;
  const auto sz = [](std::int64_t n) { return static_cast<std::size_t>(n); };
  float *h = s_h_.data(), *xn = s_xn_.data(), *q = s_q_.data(), *k = s_k_.data(), *v = s_v_.data();
  float *att = s_att_.data(), *y = s_y_.data(), *g = s_g_.data(), *u = s_u_.data();

  // Embeddings: exact rows of the embedding table.
  pool_.parallel_for(T, [&](std::int64_t t0, std::int64_t t1) {
    for (std::int64_t t = t0; t < t1; ++t) {
      float* dst = h + t * H;
      const float* src = w_.embed.row(tokens[sz(t)], dst);
      if (src != dst) std::copy(src, src + H, dst);
    }
  });

  const float scale = static_cast<float>(1.0 / std::sqrt(static_cast<double>(hd)));
  for (std::size_t l = 0; l < w_.layers.size(); ++l) {
    const LayerWeights& L = w_.layers[l];
    for (std::int64_t t = 0; t < T; ++t) rmsnorm(h + t * H, L.attn_norm.data(), xn + t * H, H, c_.rms_eps);
    matmul({{&L.q, xn, q, &L.bq}, {&L.k, xn, k, &L.bk}, {&L.v, xn, v, &L.bv}}, T);
    float* kc = k_cache(l);
    float* vc = v_cache(l);
    for (std::int64_t t = 0; t < T; ++t) {
      const std::int64_t pos = n_past_ + t;
      for (std::int64_t hh = 0; hh < nh; ++hh) rope_neox(q + t * qd + hh * hd, hd, pos, inv_freq_.data());
      for (std::int64_t hh = 0; hh < nkv; ++hh) rope_neox(k + t * kd + hh * hd, hd, pos, inv_freq_.data());
      std::copy(k + t * kd, k + (t + 1) * kd, kc + pos * kd);
      std::copy(v + t * kd, v + (t + 1) * kd, vc + pos * kd);
    }
    if (T == 1) {
      // Decoding: units of up to kGroupChunk query heads of one kv head, whose value rows are
      // read once for all of them (attention.hpp attend_group; same bits per head).
      const std::int64_t chunks = (group + kGroupChunk - 1) / kGroupChunk;
      const std::int64_t per = (group + chunks - 1) / chunks;
      pool_.parallel_for(nkv * chunks, [&](std::int64_t u0, std::int64_t u1) {
        AttendScratch scratch;
        for (std::int64_t unit = u0; unit < u1; ++unit) {
          const std::int64_t kvh = unit / chunks, h0 = kvh * group + (unit % chunks) * per;
          const std::int64_t nq = std::min(per, (kvh + 1) * group - h0);
          if (nq <= 0) continue;
          attend_group(q + h0 * hd, hd, nq, kc + kvh * hd, vc + kvh * hd, kd, hd, n_past_, scale, scratch,
                       att + h0 * hd, hd);
        }
      });
    } else {
      // Units of (a block of up to kQueryBlock queries, one head): each key row is read once per
      // block; every output has attend_head()'s bits whatever the blocking (attention.hpp).
      const std::int64_t blocks = (T + kQueryBlock - 1) / kQueryBlock;
      pool_.parallel_for(blocks * nh, [&](std::int64_t u0, std::int64_t u1) {
        AttendScratch scratch;
        for (std::int64_t unit = u0; unit < u1; ++unit) {
          const std::int64_t t0 = (unit / nh) * kQueryBlock, hh = unit % nh, kvh = hh / group;
          const std::int64_t tt = std::min(kQueryBlock, T - t0);
          attend_block(q + t0 * qd + hh * hd, qd, tt, kc + kvh * hd, vc + kvh * hd, kd, hd, n_past_ + t0, scale,
                       scratch, att + t0 * qd + hh * hd, qd);
        }
      });
    }
    matmul({{&L.o, att, y, &L.bo}}, T);
    for (std::int64_t i = 0; i < T * H; ++i) h[i] += y[i];
    for (std::int64_t t = 0; t < T; ++t) rmsnorm(h + t * H, L.ffn_norm.data(), xn + t * H, H, c_.rms_eps);
    gate_up_swiglu(L.gate, L.up, xn, g, u, T);
    matmul({{&L.down, g, y, nullptr}}, T);
    for (std::int64_t i = 0; i < T * H; ++i) h[i] += y[i];
  }
  n_past_ += T;
  if (!logits) return;

  const std::int64_t first = all_logits ? 0 : T - 1, n_out = T - first;
  for (std::int64_t t = 0; t < n_out; ++t)
    rmsnorm(h + (first + t) * H, w_.final_norm.data(), xn + t * H, H, c_.rms_eps);
  matmul({{&w_.lm_head, xn, logits, nullptr}}, n_out);
}

}  // namespace apr::engine
