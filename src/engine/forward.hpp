// apr-qa engine: the llama-family forward pass (formats.md §5) with an f32 KV cache.
//
// run() processes a batch of tokens at positions n_past() .. n_past()+T-1, appends their K/V to
// the cache and returns logits for every position or for the last one only. Each weight row is
// dequantized once per matmul and dotted with all T activations, four tokens per pass over the
// row (prefill is batched over tokens); a one-token step uses a fused dequantize+dot kernel where
// the dtype has one (Q4_0/Q4_1/Q8_0 on AVX2) with the same bits as dequantize-then-dot. Threads split
// output rows and (token, head) attention units only, so every value is
// computed by the same sequence of operations whatever T, the thread count or the chunking:
// batched prefill and one-token decoding produce bitwise identical logits.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "engine/thread_pool.hpp"
#include "engine/weights.hpp"

namespace apr::engine {

class Forward {
 public:
  Forward(const model::ModelConfig& c, ModelWeights w, ThreadPool& pool, std::int64_t max_context);

  void reset() { n_past_ = 0; }
  std::int64_t n_past() const { return n_past_; }
  std::int64_t max_context() const { return max_ctx_; }
  const model::ModelConfig& config() const { return c_; }

  // Throws a validation apr::Error for ids outside [0, vocab) or when the cache would exceed
  // max_context. out is resized to T*vocab (all_logits) or vocab.
  void run(std::span<const std::int32_t> tokens, bool all_logits, std::vector<float>& out);

 private:
  // Y[t*W.rows + o] = W.row(o) . X[t*W.cols ..] (+ bias[o]) for t < T.
  void matmul(const Matrix& W, const float* X, std::int64_t T, float* Y, const std::vector<float>* bias);
  void ensure_cache(std::int64_t positions);

  model::ModelConfig c_;
  ModelWeights w_;
  ThreadPool& pool_;
  std::int64_t max_ctx_;
  std::int64_t n_past_ = 0;
  std::int64_t cache_cap_ = 0;
  std::vector<double> inv_freq_;
  std::vector<std::vector<float>> kc_, vc_;  // per layer [cap, kv_heads*head_dim]
};

}  // namespace apr::engine
