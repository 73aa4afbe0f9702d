// apr-qa engine: perplexity of a model on a text, computed the way llama.cpp's llama-perplexity
// computes it (examples/perplexity, function perplexity()), so that the numbers compare.
//
// Contract:
// - Tokens: the whole text is encoded once as llama.cpp's common_tokenize(text, add_special =
//   true, parse_special = false) does: special-token text stays text; BOS (and EOS) are added
//   when the tokenizer adds them by default (tokenize_for_perplexity).
// - Windows: non-overlapping windows of `ctx` tokens, window i = tokens[i·ctx, (i+1)·ctx), as
//   many as requested by `chunks` (< 0: every full window) and at most tokens / ctx. A text with
//   fewer than ctx tokens is a validation Error.
// - BOS: when the tokenizer adds BOS, the first token of every window is replaced by BOS for the
//   forward pass (llama.cpp does this for the first batch of each chunk); targets are the text's
//   tokens.
// - Scoring: only the second half of each window: logits at positions j = ctx/2 … ctx-2 predict
//   the token at j+1, so ctx - 1 - ctx/2 tokens per window. nll = -log_softmax(logits_j)[target]
//   with llama.cpp's arithmetic (max in float, Σ expf(l - max) in double).
// - Result: ppl = exp(mean nll); the ± is llama.cpp's: sqrt((mean nll² - mean nll²)/(n - 1))·ppl.
//   bits_per_byte = Σ nll / ln 2 / Σ bytes of the scored target tokens (tokenizer-independent).
// - Streaming: each window's logits ([ctx × vocab] floats) are computed, scored and dropped;
//   memory is bounded by one window plus the text's token ids (4 bytes per token).
// - Each window runs on a fresh KV cache (the engine needs max_context ≥ ctx) through
//   Engine::logits_from: only the scored rows get vocabulary logits and the window's last token
//   (it predicts nothing that is scored) is not run — the same bits as those rows of logits_all.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "engine/engine.hpp"

namespace apr::engine {

struct PerplexityProgress {
  std::int64_t chunk = 0, chunks = 0;  // chunk: windows done so far (1-based)
  double ppl_so_far = 0;               // exp(mean nll) over every window done, as llama.cpp prints
  double seconds = 0;                  // since the first window started
};

// Per scored window: its scored positions' logits (rows ctx/2 … ctx-2, each vocab floats) and the
// targets those rows predict. For KL-divergence and saving reference logits.
struct ScoredWindow {
  std::int64_t chunk = 0;
  std::span<const float> logits;  // rows × vocab
  std::span<const std::int32_t> targets;
  std::int64_t vocab = 0;
};

struct PerplexityOptions {
  std::int64_t ctx = 512;     // window length in tokens (>= 4)
  std::int64_t chunks = -1;   // windows to score; < 0: every full window of the text
  std::function<void(const PerplexityProgress&)> on_progress;  // after each window
  std::function<void(const ScoredWindow&)> on_window;          // after each window, before on_progress
};

struct PerplexityResult {
  std::int64_t ctx = 0, chunks = 0;
  std::int64_t text_tokens = 0;    // tokens of the whole text (incl. an added BOS/EOS)
  std::int64_t tokens_scored = 0;  // chunks × (ctx - 1 - ctx/2)
  std::int64_t vocab = 0;
  bool bos_replaced = false;       // the first token of each window was replaced by BOS
  double nll_mean = 0;             // nats per scored token
  double ppl = 0, ppl_error = 0;   // exp(nll_mean) and its ± (standard error, llama.cpp's formula)
  std::uint64_t bytes_scored = 0;  // bytes of the scored target tokens' text
  double bits_per_byte = 0;
  std::vector<double> chunk_ppl;   // running perplexity after each window
  double seconds = 0;              // forward passes and scoring
  double tokens_per_second = 0;    // tokens evaluated (chunks × ctx) per second
};

// Token ids of `text` for perplexity (see the contract). Throws a validation Error when the
// engine's model has no tokenizer.
std::vector<std::int32_t> tokenize_for_perplexity(const Engine& e, std::string_view text);

// Whether the tokenizer adds BOS by default (llama.cpp's llama_vocab_get_add_bos).
bool adds_bos(const tok::Tokenizer& t);

// Perplexity over `tokens` (from tokenize_for_perplexity). Throws apr::Error (validation) for
// ctx < 4 or fewer than ctx tokens; the engine throws when ctx exceeds its max_context.
PerplexityResult perplexity(Engine& e, std::span<const std::int32_t> tokens, const PerplexityOptions& o);

// Corpora compiled into the binary from corpus/*.txt (frozen; see corpus/README.md).
struct BuiltinCorpus {
  const char* name;  // file name without .txt, e.g. "apr-qa-docs-v1"
  std::string_view text;
};
const std::vector<BuiltinCorpus>& builtin_corpora();  // generated at build time
inline constexpr const char* kDefaultCorpus = "apr-qa-docs-v1";

// The text of a built-in corpus named `name_or_path`, else of the file at that path (an io Error
// naming it when it cannot be read; a validation Error when it is empty).
Result<std::string> load_corpus(const std::string& name_or_path);

}  // namespace apr::engine
