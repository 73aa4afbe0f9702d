// apr-qa perplexity: perplexity of a model on a text, as llama.cpp's llama-perplexity computes it
// (engine/perplexity.hpp), on the frozen built-in corpus unless --file names another text.
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <optional>
#include <iostream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "command.hpp"
#include "compute_option.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "engine/open.hpp"
#include "engine/perplexity.hpp"
#include "engine/perplexity_kl.hpp"

namespace apr::cli {
namespace {

struct PerplexityArgs {
  std::string model;
  std::string file = engine::kDefaultCorpus;
  std::int64_t ctx = 512;
  std::int64_t chunks = -1;
  int threads = 1;
  std::string compute = "reference";
  bool json = false;
  std::string save_logits, kl_base;
};

int run_perplexity(const PerplexityArgs& a) {
  auto text = engine::load_corpus(a.file);
  if (!text) throw text.error();
  engine::EngineOptions eo;
  eo.threads = a.threads;
  eo.max_context = a.ctx;
  eo.mode = compute_mode(a.compute);
  auto e = engine::open_engine(a.model, eo);
  if (!e) throw e.error();
  auto& eng = *e.value();
  const auto tokens = engine::tokenize_for_perplexity(eng, *text);

  const bool tty = isatty(2) != 0;
  engine::PerplexityOptions po;
  po.ctx = a.ctx;
  po.chunks = a.chunks;
  if (tty)
    po.on_progress = [](const engine::PerplexityProgress& p) {
      std::fprintf(stderr, "\r[%lld/%lld] ppl %.4f  %.1f s", static_cast<long long>(p.chunk),
                   static_cast<long long>(p.chunks), p.ppl_so_far, p.seconds);
      if (p.chunk == p.chunks) std::fprintf(stderr, "\n");
      std::fflush(stderr);
    };
  // The windows actually scored (the text may hold fewer than --chunks).
  const std::int64_t n_chunks = std::min(a.chunks < 0 ? INT64_MAX : a.chunks, static_cast<std::int64_t>(tokens.size()) / a.ctx);
  std::unique_ptr<engine::LogitsWriter> writer;
  std::unique_ptr<engine::KlAccumulator> kl;
  if (!a.save_logits.empty()) writer = std::make_unique<engine::LogitsWriter>(a.save_logits, a.ctx, n_chunks, eng.vocab());
  if (!a.kl_base.empty()) kl = std::make_unique<engine::KlAccumulator>(a.kl_base, a.ctx, n_chunks, eng.vocab());
  if (writer || kl)
    po.on_window = [&](const engine::ScoredWindow& w) {
      if (writer) writer->write(w);
      if (kl) kl->add(w);
    };
  const auto r = engine::perplexity(eng, tokens, po);
  if (writer) writer->close();
  std::optional<engine::KlStats> ks;
  if (kl) ks = kl->finish(r.ppl);
  const std::string sha = sha256_hex(std::as_bytes(std::span<const char>(text->data(), text->size())));

  if (a.json) {
    nlohmann::json j = {
        {"model", a.model},
        {"text", {{"source", a.file}, {"bytes", text->size()}, {"sha256", sha}, {"tokens", r.text_tokens}}},
        {"ctx", r.ctx},
        {"chunks", r.chunks},
        {"tokens_scored", r.tokens_scored},
        {"bos_replaced", r.bos_replaced},
        {"vocab", r.vocab},
        {"nll_mean", r.nll_mean},
        {"perplexity", r.ppl},
        {"perplexity_error", r.ppl_error},
        {"perplexity_vs_uniform", r.ppl / static_cast<double>(r.vocab)},
        {"bytes_scored", r.bytes_scored},
        {"bits_per_byte", r.bits_per_byte},
        {"chunk_perplexity", r.chunk_ppl},
        {"seconds", r.seconds},
        {"tokens_per_second", r.tokens_per_second},
        {"threads", a.threads},
        {"compute", a.compute},
        {"mode", a.compute},  // the same, under its older name
    };
    if (!a.save_logits.empty()) j["saved_logits"] = a.save_logits;
    if (ks)
      j["kl"] = {{"base", a.kl_base},          {"positions", ks->positions},       {"kl_mean", ks->kl_mean},
                 {"kl_mean_error", ks->kl_mean_error}, {"kl_median", ks->kl_median}, {"kl_p99", ks->kl_p99},
                 {"kl_max", ks->kl_max},        {"top1_agreement", ks->top1_agreement}, {"ppl_base", ks->ppl_base},
                 {"ppl", ks->ppl},              {"delta_ppl", ks->delta_ppl}};
    std::cout << j.dump() << "\n";
    return kExitOk;
  }
  std::cout << fmt::format("model: {}\n", a.model)
            << fmt::format("text: {} ({} bytes, sha256 {}, {} tokens)\n", a.file, text->size(), sha.substr(0, 16), r.text_tokens)
            << fmt::format("windows: {} x {} tokens, second half scored: {} tokens; first token of each window {}\n",
                           r.chunks, r.ctx, r.tokens_scored, r.bos_replaced ? "replaced by BOS" : "kept (no BOS)");
  std::string running;
  for (std::size_t i = 0; i < r.chunk_ppl.size(); ++i) running += fmt::format("[{}]{:.4f},", i + 1, r.chunk_ppl[i]);
  std::cout << running << "\n"
            << fmt::format("Final estimate: PPL = {:.4f} +/- {:.5f}\n", r.ppl, r.ppl_error)
            << fmt::format("mean NLL {:.6f} nats/token, {:.4f} bits/byte over {} bytes; {:.3g} of the uniform "
                           "perplexity (vocabulary {})\n", r.nll_mean, r.bits_per_byte, r.bytes_scored,
                           r.ppl / static_cast<double>(r.vocab), r.vocab)
            << fmt::format("time: {:.2f} s, {:.1f} tokens/s ({} thread{}, compute {})\n", r.seconds,
                           r.tokens_per_second, a.threads, a.threads == 1 ? "" : "s", a.compute);
  if (!a.save_logits.empty()) std::cout << fmt::format("scored logits saved to {}\n", a.save_logits);
  if (ks)
    std::cout << fmt::format("KL divergence vs {} over {} positions: mean {:.6f} +/- {:.6f}, median {:.6f}, 99% {:.6f}, "
                             "max {:.6f}\n", a.kl_base, ks->positions, ks->kl_mean, ks->kl_mean_error, ks->kl_median,
                             ks->kl_p99, ks->kl_max)
              << fmt::format("Same top: {:.3f} %\n", 100.0 * ks->top1_agreement)
              << fmt::format("PPL(base) {:.4f}, PPL {:.4f}, delta {:+.4f}\n", ks->ppl_base, ks->ppl, ks->delta_ppl);
  return kExitOk;
}

const bool registered = register_command({
    "perplexity",
    "Perplexity of a model on a text, computed as llama.cpp's llama-perplexity does",
    [](CLI::App& sub) -> RunFn {
      auto a = std::make_shared<PerplexityArgs>();
      sub.footer(
          "Tokenizes the whole text (special-token text stays text; BOS added when the tokenizer adds\n"
          "one), cuts it into non-overlapping windows of --ctx tokens and runs each window through the\n"
          "embedded engine (reference mode unless --compute fast) on a fresh KV cache. When the tokenizer adds BOS, the first\n"
          "token of every window is replaced by BOS. Only the second half of each window is scored:\n"
          "the logits at positions ctx/2 .. ctx-2 predict the next token, ctx-1-ctx/2 tokens per window.\n"
          "PPL = exp(mean NLL) and +/- = PPL * sqrt((mean(NLL^2) - mean(NLL)^2) / (n - 1)), exactly as\n"
          "llama.cpp's llama-perplexity computes them, so the numbers compare (same model, text, --ctx).\n"
          "Bits per byte = total NLL / ln 2 / bytes of the scored tokens (comparable across tokenizers).\n\n"
          "Without --file the frozen built-in corpus 'apr-qa-docs-v1' is used (corpus/README.md): a\n"
          "snapshot of apr-qa's own docs and source, real prose and code, so numbers compare over time.\n"
          "Memory: one window of logits (ctx x vocab floats) plus the text's token ids.\n"
          "Progress goes to stderr when it is a terminal.\n\n"
          "Output: the running perplexity per window and llama.cpp's 'Final estimate' line; with --json\n"
          "one JSON object {model, text{source, bytes, sha256, tokens}, ctx, chunks, tokens_scored,\n"
          "bos_replaced, vocab, nll_mean, perplexity, perplexity_error, perplexity_vs_uniform (perplexity /\n"
          "vocabulary size: about 1 for random weights), bytes_scored, bits_per_byte,\n"
          "chunk_perplexity, seconds, tokens_per_second, threads, compute (reference|fast; also as mode)}.\n"
          "The fast mode's distance to the reference mode: --save-logits FILE in reference mode, then\n"
          "--compute fast --kl-base FILE (bench/fast_fidelity.py does this for the benchmark models).\n\n"
          "KL divergence (as llama-perplexity --kl-divergence, own file format): run the reference model\n"
          "with --save-logits FILE (float32, chunks x (ctx-1-ctx/2) x vocab), then the other model with\n"
          "--kl-base FILE: per scored position KL(base || model) from both softmaxes in double; mean\n"
          "(+/- its standard error), median, 99th percentile (linear interpolation), max; the fraction of\n"
          "positions with the same top token; PPL(base), PPL and their difference.\n\n"
          "Exit codes: 0 ok; 2 bad input (a text shorter than one window, --ctx < 4, malformed model);\n"
          "3 missing model or text file.");
      sub.add_option("MODEL", a->model, "Model file (GGUF, SafeTensors, APR), directory or HF repo id")->required();
      sub.add_option("--file,-f", a->file,
                     "Text to measure: a path, or the name of a built-in corpus (default: apr-qa-docs-v1)");
      sub.add_option("--ctx,-c", a->ctx, "Window length in tokens (default 512, as llama-perplexity)")
          ->check(CLI::Range(std::int64_t{4}, std::int64_t{1} << 20));
      sub.add_option("--chunks", a->chunks, "Windows to score (default: every full window of the text)")
          ->check(CLI::Range(std::int64_t{1}, std::int64_t{1} << 40));
      add_compute_option(sub, a->compute);
      sub.add_option("--threads,-t", a->threads, "Worker threads (results are identical for any count; default 1)")
          ->check(CLI::Range(1, 1024));
      sub.add_flag("--json", a->json, "One JSON object on stdout instead of text");
      sub.add_option("--save-logits", a->save_logits,
                     "Save the scored positions' logits to FILE (reference for a later --kl-base run)");
      sub.add_option("--kl-base", a->kl_base,
                     "KL divergence of every scored position against logits saved with --save-logits (same text, "
                     "--ctx, --chunks and vocabulary): mean, median, p99, max, top-1 agreement, delta PPL");
      return [a] { return run_perplexity(*a); };
    },
});

}  // namespace
}  // namespace apr::cli
