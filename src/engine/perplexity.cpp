#include "engine/perplexity.hpp"

#include <chrono>
#include <cmath>
#include <fstream>
#include <sstream>
#include <string>

#include "core/error.hpp"

namespace apr::engine {

bool adds_bos(const tok::Tokenizer& t) {
  // The tokenizer's default rule, observed on the empty text: llama.cpp's add_bos flag.
  auto bos = t.bos();
  if (!bos) return false;
  auto ids = t.encode("", false, std::nullopt);
  return !ids.empty() && ids.front() == *bos;
}

std::vector<std::int32_t> tokenize_for_perplexity(const Engine& e, std::string_view text) {
  const tok::Tokenizer* t = e.tokenizer();
  if (!t) throw validation_error("perplexity: the model has no tokenizer; expected tokenizer data to encode the text");
  return t->encode(text, /*parse_special=*/false, std::nullopt);
}

namespace {

// -log softmax(row)[target], as llama.cpp's log_softmax: max in float, Σ expf in double.
double token_nll(const float* row, std::int64_t vocab, std::int32_t target) {
  float mx = row[0];
  for (std::int64_t i = 1; i < vocab; ++i) mx = std::max(mx, row[i]);
  double sum = 0;
  for (std::int64_t i = 0; i < vocab; ++i) sum += std::exp(row[i] - mx);
  return -(static_cast<double>(row[target] - mx) - std::log(sum));
}

}  // namespace

PerplexityResult perplexity(Engine& e, std::span<const std::int32_t> tokens, const PerplexityOptions& o) {
  if (o.ctx < 4) throw validation_error("perplexity: --ctx must be at least 4, found " + std::to_string(o.ctx)).at_key("ctx");
  const auto n = static_cast<std::int64_t>(tokens.size());
  const std::int64_t max_chunks = n / o.ctx;
  if (max_chunks < 1)
    throw validation_error("perplexity: the text has " + std::to_string(n) + " tokens, fewer than one window of --ctx " +
                           std::to_string(o.ctx))
        .at_key("ctx");
  PerplexityResult r;
  r.ctx = o.ctx;
  r.chunks = o.chunks < 0 ? max_chunks : std::min(o.chunks, max_chunks);
  if (r.chunks < 1) throw validation_error("perplexity: --chunks must be at least 1").at_key("chunks");
  r.text_tokens = n;
  r.vocab = e.vocab();
  const tok::Tokenizer* t = e.tokenizer();
  std::optional<std::int32_t> bos;
  if (t && adds_bos(*t)) bos = t->bos();
  r.bos_replaced = bos.has_value();

  const std::int64_t first = o.ctx / 2, per_chunk = o.ctx - 1 - first;
  const std::size_t V = static_cast<std::size_t>(r.vocab);
  double nll = 0, nll2 = 0;
  std::int64_t count = 0;
  std::vector<std::int32_t> window(static_cast<std::size_t>(o.ctx));
  std::vector<std::int32_t> targets(static_cast<std::size_t>(per_chunk));
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t c = 0; c < r.chunks; ++c) {
    const std::int64_t start = c * o.ctx;
    std::copy(tokens.begin() + start, tokens.begin() + start + o.ctx, window.begin());
    if (bos) window[0] = *bos;
    // Only the scored rows: positions first .. ctx-2 (the last token predicts nothing scored, so
    // it is not run; the first half runs without vocabulary rows). The same bits as those rows
    // of logits_all(window) (Engine::logits_from).
    std::vector<float> logits =
        e.logits_from(std::span<const std::int32_t>(window).first(static_cast<std::size_t>(o.ctx - 1)), first);
    if (logits.size() != static_cast<std::size_t>(per_chunk) * V)
      throw internal_error("perplexity: logits_from returned " + std::to_string(logits.size()) + " values for " +
                           std::to_string(per_chunk) + " x " + std::to_string(V));
    for (std::int64_t j = 0; j < per_chunk; ++j) {
      const std::int32_t target = tokens[static_cast<std::size_t>(start + first + j + 1)];
      targets[static_cast<std::size_t>(j)] = target;
      const double v = token_nll(logits.data() + static_cast<std::size_t>(j) * V, r.vocab, target);
      nll += v;
      nll2 += v * v;
      if (t) r.bytes_scored += t->token_text(target).size();
    }
    count += per_chunk;
    if (o.on_window)
      o.on_window({c, std::span<const float>(logits.data(), static_cast<std::size_t>(per_chunk) * V),
                   targets, r.vocab});
    r.chunk_ppl.push_back(std::exp(nll / static_cast<double>(count)));
    if (o.on_progress)
      o.on_progress({c + 1, r.chunks, r.chunk_ppl.back(),
                     std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count()});
  }
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  r.tokens_scored = count;
  r.nll_mean = nll / static_cast<double>(count);
  r.ppl = std::exp(r.nll_mean);
  const double var = nll2 / static_cast<double>(count) - r.nll_mean * r.nll_mean;
  r.ppl_error = var > 0 && count > 1 ? std::sqrt(var / static_cast<double>(count - 1)) * r.ppl : 0.0;
  r.bits_per_byte = r.bytes_scored ? nll / std::log(2.0) / static_cast<double>(r.bytes_scored) : std::nan("");
  r.tokens_per_second = r.seconds > 0 ? static_cast<double>(r.chunks * o.ctx) / r.seconds : 0.0;
  return r;
}

Result<std::string> load_corpus(const std::string& name_or_path) {
  return capture([&]() -> std::string {
    for (const auto& c : builtin_corpora())
      if (name_or_path == c.name) return std::string(c.text);
    std::ifstream in(name_or_path, std::ios::binary);
    if (!in) throw io_error("cannot read the text file (not a built-in corpus either: expected a path or '" + std::string(kDefaultCorpus) + "')").at_path(name_or_path);
    std::ostringstream ss;
    ss << in.rdbuf();
    std::string s = ss.str();
    if (s.empty()) throw validation_error("the text file is empty; expected text to measure perplexity on").at_path(name_or_path);
    return s;
  });
}

}  // namespace apr::engine
