// apr-qa engine: an embedded CPU inference engine for llama-family decoders (llama, qwen2,
// mistral) running on the canonical model.
//
// Contract:
// - Weights stay in their stored dtype (memory-mapped or owned by the CanonicalModel) and are
//   dequantized row by row, exactly, on the fly. Canonical Q/K rows are in HF order, so RoPE is
//   always rotate-half (NEOX).
// - Mode::reference is deterministic: logits depend only on the dequantized weight values and
//   the input tokens. A Q4_K tensor and its exact F32 dequantization give bitwise identical
//   logits; 1 and N threads give bitwise identical logits; batched prefill and incremental
//   decoding with the KV cache give bitwise identical logits. Every dot product accumulates in
//   a fixed number of lanes combined in a fixed tree, an order that depends only on the row
//   length; threads split output rows (or attention heads) only.
// - Mode::fast (cpu backend only; create() rejects it on gpu with an `unsupported` Error) is NOT
//   a reference: each matmul's input rows are quantized to int8 (blocks of 32, scale amax/127)
//   and the matrices of dtype Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q6_K run integer dot kernels
//   (AVX-512 VNNI, or a portable kernel with the same bits; int8_dot.hpp); other dtypes,
//   attention, norms and sampling stay on the reference path. Its logits differ from the
//   reference mode's by the activation rounding (measured: docs/engine.md "Fast mode"). It is
//   deterministic for a given build and CPU: 1 and N threads, batched prefill and incremental
//   decoding give bitwise identical logits. Gates never use it (src/qa always passes
//   Mode::reference; tests/qa checks that), and every number it produces is labelled "fast".
// - An Engine is not thread safe: one call at a time (serve wraps it in a mutex).
// - logits_all/generate throw apr::Error (validation) for token ids outside the vocabulary or
//   sequences longer than max_context.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "model/canonical_model.hpp"
#include "tokenizer/tokenizer.hpp"

namespace apr::engine {

enum class Mode { reference /* deterministic, the gates' mode */, fast /* int8 activations, non-reference */ };
// "reference" | "fast" (the CLI's --compute values and the JSON "compute" field).
const char* mode_name(Mode m) noexcept;

// Where the forward pass runs: the CPU, or a CUDA device (cuda/gpu_forward.hpp; an io Error —
// exit 3 — when apr-qa was built without CUDA or the machine has no device).
enum class Backend { cpu, gpu };
const char* backend_name(Backend b) noexcept;

struct EngineOptions {
  int threads = 1;
  Mode mode = Mode::reference;
  Backend backend = Backend::cpu;
  std::int64_t max_context = 4096;  // KV cache capacity in positions
};

struct SamplingOptions {
  double temperature = 0;            // <= 0: greedy (argmax, lowest id on ties)
  int top_k = 0;                     // 0: no top-k cut
  double top_p = 1.0;                // 1: no nucleus cut
  std::uint64_t seed = 0;            // xoshiro256** seeded through splitmix64
  int max_tokens = 32;
  std::vector<std::int32_t> extra_stop;  // stop ids besides the model's end-of-generation ids
  bool ignore_eos = false;           // benchmarks: do not stop at the model's end-of-generation ids
};

struct GenerateResult {
  std::vector<std::int32_t> tokens;  // generated ids (a stop token is included when hit)
  std::string text;                  // decoded generated text without the stop token ("" without a tokenizer)
  std::string stop_reason;           // "eos" | "max_tokens" | "stop_token" | "callback"
  double ttft_ms = 0;                // prompt in -> first token sampled
  double prefill_tps = 0;            // prompt tokens / prefill seconds
  double decode_tps = 0;             // tokens after the first / their seconds
  std::uint64_t peak_rss_bytes = 0;  // process peak resident set size after the call
};

class ForwardPass;
class ThreadPool;

class Engine {
 public:
  // Validates the model (architecture traits, every tensor's presence, shape and dtype) and
  // binds its weights. Errors name the tensor and the expected vs found shape/dtype.
  static Result<std::unique_ptr<Engine>> create(std::shared_ptr<const model::CanonicalModel> m,
                                                const EngineOptions& o);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  // Teacher-forced logits of every position, [T * vocab] row-major, on a fresh KV cache.
  std::vector<float> logits_all(std::span<const std::int32_t> tokens);
  // The rows of logits_all(tokens) for positions first .. T-1 only, [(T - first) * vocab], bit
  // for bit: the positions before `first` run as one prefill that computes no vocabulary rows
  // (batched and split prefill give the same bits, see the contract). first is clamped to
  // [0, T]. On the gpu backend: logits_all, then the rows.
  std::vector<float> logits_from(std::span<const std::int32_t> tokens, std::int64_t first);

  // Prefill the prompt, then sample up to s.max_tokens tokens. on_token is called with each
  // generated id (including a final stop token); returning false stops generation
  // (stop_reason "callback").
  GenerateResult generate(std::span<const std::int32_t> prompt, const SamplingOptions& s,
                          const std::function<bool(std::int32_t)>& on_token = {});
  // generate() that also returns the logits of every position of prompt + generated tokens,
  // [(prompt + tokens) * vocab] row-major: the prefill keeps every prompt row, each decoding step
  // its row, and the last token runs one more step (outside the timings) for its own. Bitwise
  // what logits_all(prompt + tokens) returns (batched prefill and incremental decoding give the
  // same bits, see the contract) without computing the sequence a second time. all_logits is
  // left empty when no token is generated (max_tokens <= 0), when the cache has no room for the
  // last step, and on the gpu backend; the caller then uses logits_all. ttft_ms includes the prompt's vocabulary rows
  // (the prefill computes them all).
  GenerateResult generate_with_logits(std::span<const std::int32_t> prompt, const SamplingOptions& s,
                                      std::vector<float>& all_logits);
  // generate_with_logits() when the generation is expected to be `draft` (e.g. the greedy tokens
  // of another format of the same model on the same prompt): the draft is checked in one batched
  // pass over prompt + draft instead of one decoding step per token. When greedy sampling
  // (temperature <= 0) of this model reproduces the draft exactly — every token, and the stop
  // (an end-of-generation or extra stop id as the draft's last token, or max_tokens reached at
  // its end) — returns what generate_with_logits would: the same tokens, stop reason and text,
  // and all_logits bit for bit (batched and incremental give the same bits, see the contract);
  // timings are the one pass's (ttft_ms, prefill_tps over prompt + draft; decode_tps 0).
  // Otherwise nullopt (all_logits cleared): a token differs, the model would stop elsewhere or
  // go on past the draft, an id is outside the vocabulary, the cache is too short, or the
  // backend is the gpu; the caller then generates.
  std::optional<GenerateResult> generate_verified(std::span<const std::int32_t> prompt,
                                                  std::span<const std::int32_t> draft, const SamplingOptions& s,
                                                  std::vector<float>& all_logits);

  // Ids that end generation: the model's eos id plus the tokenizer's end-of-generation set.
  const std::vector<std::int32_t>& stop_ids() const { return stop_ids_; }
  const model::CanonicalModel& model() const { return *model_; }
  Backend backend() const { return opts_.backend; }
  std::int64_t vocab() const;
  // Decode ids to text with the model's tokenizer; "" when the engine has none. Ids without a
  // token (padding rows of the embedding beyond the tokenizer's vocabulary, which a model can
  // still emit) decode to nothing; the ids themselves are always reported in GenerateResult.
  std::string decode(std::span<const std::int32_t> ids) const;
  // Whether id has token text in the model's tokenizer.
  bool has_text(std::int32_t id) const;
  // The model's tokenizer (built from CanonicalModel::tokenizer); null when the model has none.
  const tok::Tokenizer* tokenizer() const { return tok_ ? &*tok_ : nullptr; }

 private:
  Engine() = default;
  GenerateResult generate_impl(std::span<const std::int32_t> prompt, const SamplingOptions& s,
                               const std::function<bool(std::int32_t)>& on_token, std::vector<float>* all);
  std::shared_ptr<const model::CanonicalModel> model_;
  EngineOptions opts_;
  std::unique_ptr<ThreadPool> pool_;
  std::unique_ptr<ForwardPass> fwd_;
  std::vector<std::int32_t> stop_ids_;
  std::optional<tok::Tokenizer> tok_;
};

// Process peak resident set size in bytes (VmHWM), 0 if unavailable.
std::uint64_t peak_rss_bytes();

}  // namespace apr::engine
