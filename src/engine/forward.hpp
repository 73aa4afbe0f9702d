// apr-qa engine: the llama-family forward pass (formats.md §5) with an f32 KV cache.
// The cache is reserved for max_context positions as one anonymous mapping; pages become resident
// only as positions are written (peak RSS follows the tokens actually used).
//
// run() processes a batch of tokens at positions n_past() .. n_past()+T-1, appends their K/V to
// the cache and returns logits for every position or for the last one only. A long batch runs in
// chunks of kPrefillChunk tokens (activation buffers, reused across calls, stay small). Each weight
// row is dequantized once per matmul and chunk and dotted with the chunk's activations: on
// AVX-512 by a register-blocked product, 4 rows x 5 tokens at a time (gemm_avx512.hpp), elsewhere
// four tokens per pass over the row (prefill is batched over tokens); a one-token step uses a fused
// dequantize+dot kernel where the dtype has one (dequant_fast.hpp) with the same bits as
// dequantize-then-dot. Threads split output rows (q/k/v, and gate/up, in one loop each) and
// (token, head) attention units only, so every value is computed by the same sequence of
// operations whatever T, the thread count or the chunking: batched prefill and one-token
// decoding produce bitwise identical logits.
//
// Compute mode fast (non-reference, never used by gates): each matmul quantizes its input rows to
// int8 once (act_quant.hpp; jobs that share an input share it) and runs the integer kernels
// (int8_dot.hpp) for the matrices whose dtype has one; every other matrix, the attention, norms
// and the rest stay on the reference path. Its logits depend on the row lengths only, not on T,
// the chunking or the thread count (threads still split output rows only), so the fast mode is
// deterministic for a given build and CPU.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <vector>

#include "engine/act_quant.hpp"
#include "engine/forward_pass.hpp"
#include "engine/thread_pool.hpp"
#include "engine/weights.hpp"

namespace apr::engine {

class Forward final : public ForwardPass {
 public:
  // fast: the int8 compute mode (see above); false: the reference mode.
  Forward(const model::ModelConfig& c, ModelWeights w, ThreadPool& pool, std::int64_t max_context,
          bool fast = false);
  ~Forward() override;
  Forward(const Forward&) = delete;
  Forward& operator=(const Forward&) = delete;

  void reset() override { n_past_ = 0; }
  std::int64_t n_past() const override { return n_past_; }
  std::int64_t max_context() const override { return max_ctx_; }
  const model::ModelConfig& config() const { return c_; }

  // Throws a validation apr::Error for ids outside [0, vocab) or when the cache would exceed
  // max_context. out is resized to T*vocab (all_logits) or vocab.
  void run(std::span<const std::int32_t> tokens, bool all_logits, std::vector<float>& out) override;

 private:
  // Y[t*W.rows + o] = W.row(o) . X[t*W.cols ..] (+ bias[o]) for t < T.
  struct MatJob {
    const Matrix* W;
    const float* X;
    float* Y;
    const std::vector<float>* bias;  // null or empty: none
    const QuantizedActs* qa = nullptr;  // fast mode: X quantized to int8 (W has an int8 kernel)
  };
  void matmul_rows(const MatJob& j, std::int64_t T, std::int64_t r0, std::int64_t r1);
  // Fast mode: quantizes each distinct input of the jobs whose matrix has an int8 kernel (once)
  // and points the jobs at it. At most kMaxJobs jobs.
  void quantize_inputs(MatJob* jobs, std::size_t n, std::int64_t T);
  // All jobs in one parallel loop over their output rows.
  void matmul(std::initializer_list<MatJob> jobs, std::int64_t T);
  // G = swiglu(gate . X, up . X) in one parallel loop: each chunk of rows computes its gate and
  // up rows, then their swiglu (the same operations per value as matmul, matmul, swiglu; the
  // activation no longer waits for one thread). U receives up . X.
  void gate_up_swiglu(const Matrix& gate, const Matrix& up, const float* X, float* G, float* U, std::int64_t T);
  static constexpr std::size_t kMaxJobs = 4;
  // One chunk of tokens at n_past(); writes logits (all tokens or the last) when logits != null.
  void step(std::span<const std::int32_t> tokens, bool all_logits, float* logits);
  float* k_cache(std::size_t layer) const;  // [max_context, kv_heads*head_dim]
  float* v_cache(std::size_t layer) const;
  void ensure_scratch(std::int64_t tokens);

  // Tokens per batch of a long prompt: a multiple of the prefill product's 5-token micro-kernel;
  // each weight row is dequantized once per chunk, so a longer chunk dequantizes less often.
  static constexpr std::int64_t kPrefillChunk = 120;
  static constexpr std::int64_t kQueryBlock = 10;    // queries per attention unit
  static constexpr std::int64_t kGroupChunk = 4;     // decoding: query heads per attention unit (at most)

  bool fast_ = false;
  std::vector<QuantizedActs> qacts_;  // fast mode: the quantized inputs of one matmul call
  model::ModelConfig c_;
  ModelWeights w_;
  ThreadPool& pool_;
  std::int64_t max_ctx_;
  std::int64_t n_past_ = 0;
  std::vector<double> inv_freq_;
  float* cache_ = nullptr;  // K and V of every layer, reserved for max_context positions
  std::size_t cache_bytes_ = 0;
  // Activations of one chunk (reused across calls): [tokens, width] each.
  std::int64_t scratch_tokens_ = 0;
  std::vector<float> s_h_, s_xn_, s_y_, s_q_, s_att_, s_k_, s_v_, s_g_, s_u_;
};

}  // namespace apr::engine
