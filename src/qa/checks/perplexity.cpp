// Check kind perplexity (model sanity): the perplexity of the model on a text corpus, computed as
// llama.cpp's llama-perplexity does (engine/perplexity.hpp). A random-weight model scores near its
// vocabulary size; a trained one far lower.
//
// params: model (path of the artifact), format (recorded), corpus (a built-in corpus name or a
// path; default "apr-qa-docs-v1"), ctx (window, default 256), chunks (windows, default 2),
// threads (default 1).
// Measurements (no thresholds here; the gate binds them): perplexity (<=), bits_per_byte (<=),
// tokens_scored (>=), perplexity_error (the ± of perplexity, informative, <=), perplexity_vs_uniform
// (perplexity / vocabulary size, <=: about 1 for random weights whatever the vocabulary).
#include <fmt/format.h>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "engine/perplexity.hpp"

namespace apr::qa::checks {

CheckOutput perplexity(const nlohmann::json& p) {
  CheckOutput o;
  const std::string path = p.at("model").get<std::string>();
  const std::string corpus = p.value("corpus", std::string(engine::kDefaultCorpus));
  const std::int64_t ctx = p.value("ctx", std::int64_t{256});
  const std::int64_t chunks = p.value("chunks", std::int64_t{2});
  const int threads = p.value("threads", 1);
  if (ctx < 4) throw validation_error(fmt::format("perplexity: ctx must be at least 4, found {}", ctx)).at_key("ctx");
  if (chunks < 1) throw validation_error(fmt::format("perplexity: chunks must be at least 1, found {}", chunks)).at_key("chunks");
  auto text = engine::load_corpus(corpus);
  if (!text) throw text.error();
  engine::EngineOptions eo;
  eo.threads = threads;
  eo.max_context = ctx;
  auto e = engine::Engine::create(load(path), eo);
  if (!e) throw e.error();
  const auto tokens = engine::tokenize_for_perplexity(**e, *text);
  engine::PerplexityOptions po;
  po.ctx = ctx;
  po.chunks = chunks;
  const auto r = engine::perplexity(**e, tokens, po);
  o.add("perplexity", r.ppl);
  o.add("bits_per_byte", r.bits_per_byte, "bits/byte");
  o.add("tokens_scored", static_cast<double>(r.tokens_scored), "tokens");
  o.add("perplexity_error", r.ppl_error);
  o.add("perplexity_vs_uniform", r.ppl / static_cast<double>(r.vocab));
  const std::string sha = sha256_hex(std::as_bytes(std::span<const char>(text->data(), text->size())));
  o.metrics = {{"corpus", corpus},       {"corpus_sha256", sha},        {"corpus_tokens", r.text_tokens},
               {"ctx", r.ctx},           {"chunks", r.chunks},          {"chunks_requested", chunks},
               {"vocab", r.vocab},       {"bos_replaced", r.bos_replaced}, {"nll_mean", r.nll_mean},
               {"bytes_scored", r.bytes_scored}, {"chunk_perplexity", r.chunk_ppl},
               {"seconds", r.seconds},   {"tokens_per_second", r.tokens_per_second}, {"threads", threads}};
  o.artifacts.push_back(describe_artifact(path, p.value("format", std::string())));
  o.output = fmt::format("perplexity {:.4f} +/- {:.4f} ({:.4f} bits/byte) over {} tokens: {} windows of {} on {} "
                         "(vocabulary {}, uniform perplexity {})",
                         r.ppl, r.ppl_error, r.bits_per_byte, r.tokens_scored, r.chunks, r.ctx, corpus, r.vocab, r.vocab);
  if (r.chunks < chunks)
    o.note = fmt::format("the corpus holds only {} windows of {} tokens ({} requested)", r.chunks, ctx, chunks);
  return o;
}

}  // namespace apr::qa::checks
