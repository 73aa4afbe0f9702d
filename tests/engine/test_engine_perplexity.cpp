// Perplexity (engine/perplexity.hpp) against a computation written here from the definition:
// non-overlapping windows, second half scored, BOS replacing each window's first token, the ±
// from the per-token NLL's standard error; the built-in corpus.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <unistd.h>

#include "convert/fixture.hpp"
#include "convert/load.hpp"
#include "core/error.hpp"
#include "engine/perplexity.hpp"
#include "engine/perplexity_kl.hpp"
#include "tiny_model.hpp"

using namespace apr;
using namespace apr::engine;
using namespace apr::engine::test;

namespace {

std::unique_ptr<Engine> engine_for(std::shared_ptr<const model::CanonicalModel> m, std::int64_t ctx) {
  EngineOptions o;
  o.max_context = ctx;
  auto r = Engine::create(std::move(m), o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().what()));
  return std::move(r.value());
}

// NLL of every scored token, from the definition, in long double.
struct Reference {
  std::vector<long double> nll;
  std::vector<double> chunk_ppl;
};
Reference reference(Engine& e, const std::vector<std::int32_t>& tokens, std::int64_t ctx, std::int64_t chunks,
                    std::optional<std::int32_t> bos) {
  Reference r;
  const auto V = static_cast<std::size_t>(e.vocab());
  long double sum = 0;
  for (std::int64_t c = 0; c < chunks; ++c) {
    std::vector<std::int32_t> w(tokens.begin() + c * ctx, tokens.begin() + (c + 1) * ctx);
    if (bos) w[0] = *bos;
    auto l = e.logits_all(w);
    for (std::int64_t j = ctx / 2; j <= ctx - 2; ++j) {
      const float* row = l.data() + static_cast<std::size_t>(j) * V;
      long double mx = row[0], s = 0;
      for (std::size_t v = 0; v < V; ++v) mx = std::max<long double>(mx, row[v]);
      for (std::size_t v = 0; v < V; ++v) s += std::exp(static_cast<long double>(row[v]) - mx);
      const std::int32_t target = tokens[static_cast<std::size_t>(c * ctx + j + 1)];
      long double nll = -(static_cast<long double>(row[target]) - mx - std::log(s));
      r.nll.push_back(nll);
      sum += nll;
    }
    r.chunk_ppl.push_back(static_cast<double>(std::exp(sum / static_cast<long double>(r.nll.size()))));
  }
  return r;
}

std::vector<std::int32_t> pseudo_text(std::size_t n, std::int32_t vocab, std::uint32_t seed) {
  std::vector<std::int32_t> t(n);
  for (auto& x : t) {
    seed = seed * 1664525u + 1013904223u;
    x = static_cast<std::int32_t>((seed >> 8) % static_cast<std::uint32_t>(vocab));
  }
  return t;
}

}  // namespace

TEST_CASE("perplexity: non-overlapping windows, second half scored, llama.cpp's statistics") {
  TinySpec s;
  s.seed = 5;
  s.vocab = 300;
  auto m = make_tiny(s);
  const std::int64_t ctx = 32;
  auto e = engine_for(m, ctx);
  const auto tokens = pseudo_text(5 * ctx + 7, 300, 9);

  std::vector<std::int64_t> seen_chunks;
  std::vector<std::int32_t> seen_targets;
  PerplexityOptions o;
  o.ctx = ctx;
  o.on_window = [&](const ScoredWindow& w) {
    seen_chunks.push_back(w.chunk);
    CHECK(w.logits.size() == w.targets.size() * static_cast<std::size_t>(w.vocab));
    seen_targets.insert(seen_targets.end(), w.targets.begin(), w.targets.end());
  };
  int progress = 0;
  o.on_progress = [&](const PerplexityProgress& p) { CHECK(p.chunk == ++progress); };
  auto r = perplexity(*e, tokens, o);

  CHECK(r.chunks == 5);  // every full window; the 7 trailing tokens are not used
  CHECK(r.tokens_scored == 5 * (ctx - 1 - ctx / 2));
  CHECK(progress == 5);
  CHECK(seen_chunks == std::vector<std::int64_t>{0, 1, 2, 3, 4});
  std::vector<std::int32_t> want_targets;
  for (std::int64_t c = 0; c < 5; ++c)
    for (std::int64_t j = ctx / 2 + 1; j < ctx; ++j) want_targets.push_back(tokens[static_cast<std::size_t>(c * ctx + j)]);
  CHECK(seen_targets == want_targets);
  CHECK_FALSE(r.bos_replaced);  // no tokenizer

  auto ref = reference(*e, tokens, ctx, 5, std::nullopt);
  REQUIRE(ref.nll.size() == static_cast<std::size_t>(r.tokens_scored));
  long double mean = 0, mean2 = 0;
  for (auto v : ref.nll) mean += v, mean2 += v * v;
  mean /= ref.nll.size();
  mean2 /= ref.nll.size();
  const double ppl = static_cast<double>(std::exp(mean));
  const double err = static_cast<double>(std::sqrt((mean2 - mean * mean) / (ref.nll.size() - 1))) * ppl;
  CHECK(r.nll_mean == doctest::Approx(static_cast<double>(mean)).epsilon(1e-6));
  CHECK(r.ppl == doctest::Approx(ppl).epsilon(1e-6));
  CHECK(r.ppl_error == doctest::Approx(err).epsilon(1e-4));
  CHECK(r.ppl_error > 0);
  REQUIRE(r.chunk_ppl.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) CHECK(r.chunk_ppl[i] == doctest::Approx(ref.chunk_ppl[i]).epsilon(1e-6));
  CHECK(r.chunk_ppl.back() == doctest::Approx(r.ppl).epsilon(1e-12));
  CHECK(r.tokens_per_second > 0);

  // --chunks limits the windows and is capped at the text.
  o.on_window = nullptr;
  o.on_progress = nullptr;
  o.chunks = 2;
  auto r2 = perplexity(*e, tokens, o);
  CHECK(r2.chunks == 2);
  CHECK(r2.chunk_ppl[0] == r.chunk_ppl[0]);
  CHECK(r2.ppl == doctest::Approx(ref.chunk_ppl[1]).epsilon(1e-6));
  o.chunks = 100;
  CHECK(perplexity(*e, tokens, o).chunks == 5);
  // Thread count changes nothing.
  EngineOptions eo;
  eo.max_context = ctx;
  eo.threads = 3;
  auto e3 = Engine::create(m, eo);
  REQUIRE(e3.ok());
  o.chunks = -1;
  CHECK(perplexity(**e3, tokens, o).ppl == r.ppl);
}

TEST_CASE("perplexity: errors name what is wrong") {
  TinySpec s;
  auto e = engine_for(make_tiny(s), 64);
  const auto tokens = pseudo_text(40, 300, 3);
  PerplexityOptions o;
  o.ctx = 64;
  CHECK_THROWS_WITH_AS(perplexity(*e, tokens, o), doctest::Contains("40 tokens, fewer than one window"), Error);
  o.ctx = 3;
  CHECK_THROWS_WITH_AS(perplexity(*e, tokens, o), doctest::Contains("at least 4"), Error);
  o.ctx = 8;
  o.chunks = 0;
  CHECK_THROWS_AS(perplexity(*e, tokens, o), Error);
}

TEST_CASE("perplexity: BOS replaces the first token of every window when the tokenizer adds it") {
  auto dir = std::filesystem::temp_directory_path() / ("apr_ppl_fixture_" + std::to_string(::getpid()));
  convert::FixtureOptions fo;
  fo.arch = "llama";
  auto path = convert::write_fixture(fo, dir);
  REQUIRE_MESSAGE(path.ok(), (path.ok() ? "" : path.error().what()));
  auto loaded = convert::load_model(path->string());
  REQUIRE_MESSAGE(loaded.ok(), (loaded.ok() ? "" : loaded.error().what()));
  auto m = std::make_shared<model::CanonicalModel>(std::move(*loaded));
  std::filesystem::remove_all(dir);
  const auto& toks = m->tokenizer.tokens;
  auto it = std::find(toks.begin(), toks.end(), "<|endoftext|>");
  REQUIRE(it != toks.end());
  const auto bos = static_cast<std::int32_t>(it - toks.begin());
  m->tokenizer.bos_id = bos;
  m->tokenizer.add_bos = true;
  const std::int64_t ctx = 16;
  auto e = engine_for(m, ctx);
  REQUIRE(e->tokenizer());
  CHECK(adds_bos(*e->tokenizer()));
  const std::string text = "The quick brown fox jumps over the lazy dog. <|im_start|> stays text here, 12345.";
  auto tokens = tokenize_for_perplexity(*e, text);
  REQUIRE(tokens.size() >= static_cast<std::size_t>(2 * ctx));
  CHECK(tokens[0] == bos);
  // parse_special = false: the ChatML marker is not one token.
  auto im_start = std::find(toks.begin(), toks.end(), "<|im_start|>") - toks.begin();
  CHECK(std::find(tokens.begin(), tokens.end(), static_cast<std::int32_t>(im_start)) == tokens.end());

  PerplexityOptions o;
  o.ctx = ctx;
  o.chunks = 2;
  auto r = perplexity(*e, tokens, o);
  CHECK(r.bos_replaced);
  auto ref = reference(*e, tokens, ctx, 2, bos);
  auto plain = reference(*e, tokens, ctx, 2, std::nullopt);
  CHECK(r.chunk_ppl[1] == doctest::Approx(ref.chunk_ppl[1]).epsilon(1e-6));
  CHECK(std::fabs(ref.chunk_ppl[1] - plain.chunk_ppl[1]) > 1e-9);  // the replacement matters
  // Bits per byte: total NLL over the bytes of the scored tokens.
  std::uint64_t bytes = 0;
  for (std::int64_t c = 0; c < 2; ++c)
    for (std::int64_t j = ctx / 2 + 1; j < ctx; ++j) bytes += e->tokenizer()->token_text(tokens[static_cast<std::size_t>(c * ctx + j)]).size();
  CHECK(r.bytes_scored == bytes);
  CHECK(r.bits_per_byte == doctest::Approx(r.nll_mean * static_cast<double>(r.tokens_scored) / std::log(2.0) / static_cast<double>(bytes)));
  // A random-weight model is near-uniform: its perplexity is of the order of the vocabulary.
  CHECK(r.ppl > 0.25 * static_cast<double>(r.vocab));
}

TEST_CASE("built-in corpus: compiled in, identical to corpus/apr-qa-docs-v1.txt") {
  bool found = false;
  for (const auto& c : builtin_corpora())
    if (std::string(c.name) == kDefaultCorpus) found = true;
  REQUIRE(found);
  auto t = load_corpus(kDefaultCorpus);
  REQUIRE(t.ok());
  std::ifstream in(std::string(APR_QA_SOURCE_DIR) + "/corpus/apr-qa-docs-v1.txt", std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  CHECK(*t == ss.str());
  CHECK(t->size() == 188860);
  auto f = load_corpus(std::string(APR_QA_SOURCE_DIR) + "/corpus/README.md");
  REQUIRE(f.ok());
  CHECK(f->find("frozen") != std::string::npos);
  auto missing = load_corpus("/nonexistent/text.txt");
  REQUIRE_FALSE(missing.ok());
  CHECK(std::string(missing.error().what()).find("/nonexistent/text.txt") != std::string::npos);
}

TEST_CASE("KL divergence against saved logits: zero against itself, the definition against another model") {
  TinySpec s;
  s.seed = 21;
  s.tied = false;  // an lm_head of scale 0.08: logits O(1), perplexity near the vocabulary's
  auto a = make_tiny(s);
  s.wtype = GgmlType::Q8_0;  // the same values, quantized
  auto b = make_tiny(s);
  const std::int64_t ctx = 32, chunks = 3;
  auto ea = engine_for(a, ctx);
  auto eb = engine_for(b, ctx);
  const auto tokens = pseudo_text(chunks * ctx, 300, 17);
  const std::string path = (std::filesystem::temp_directory_path() / ("apr_ppl_kl_" + std::to_string(::getpid()) + ".bin")).string();

  PerplexityOptions o;
  o.ctx = ctx;
  LogitsWriter w(path, ctx, chunks, ea->vocab());
  o.on_window = [&](const ScoredWindow& sw) { w.write(sw); };
  auto ra = perplexity(*ea, tokens, o);
  w.close();
  const auto per = static_cast<std::uintmax_t>(ctx - 1 - ctx / 2);
  CHECK(std::filesystem::file_size(path) > chunks * per * 300 * 4);

  KlAccumulator self(path, ctx, chunks, ea->vocab());
  o.on_window = [&](const ScoredWindow& sw) { self.add(sw); };
  auto s0 = self.finish(perplexity(*ea, tokens, o).ppl);
  CHECK(s0.positions == chunks * static_cast<std::int64_t>(per));
  CHECK(s0.kl_max == 0.0);
  CHECK(s0.top1_agreement == 1.0);
  CHECK(s0.ppl_base == doctest::Approx(ra.ppl).epsilon(1e-6));  // double vs llama.cpp's float/double log-softmax

  KlAccumulator other(path, ctx, chunks, eb->vocab());
  o.on_window = [&](const ScoredWindow& sw) { other.add(sw); };
  auto rb = perplexity(*eb, tokens, o);
  auto s1 = other.finish(rb.ppl);
  // The definition, in long double, from both engines' logits.
  std::vector<double> kls;
  std::int64_t same = 0;
  const auto V = static_cast<std::size_t>(ea->vocab());
  for (std::int64_t c = 0; c < chunks; ++c) {
    std::vector<std::int32_t> win(tokens.begin() + c * ctx, tokens.begin() + (c + 1) * ctx);
    auto la = ea->logits_all(win), lb = eb->logits_all(win);
    for (std::int64_t j = ctx / 2; j <= ctx - 2; ++j) {
      const float* pa = la.data() + static_cast<std::size_t>(j) * V;
      const float* pb = lb.data() + static_cast<std::size_t>(j) * V;
      long double ma = *std::max_element(pa, pa + V), mb = *std::max_element(pb, pb + V), za = 0, zb = 0;
      for (std::size_t v = 0; v < V; ++v) za += std::exp(pa[v] - ma), zb += std::exp(pb[v] - mb);
      long double kl = 0;
      for (std::size_t v = 0; v < V; ++v) {
        long double lpa = pa[v] - ma - std::log(za), lpb = pb[v] - mb - std::log(zb);
        kl += std::exp(lpa) * (lpa - lpb);
      }
      kls.push_back(static_cast<double>(kl));
      same += std::max_element(pa, pa + V) - pa == std::max_element(pb, pb + V) - pb;
    }
  }
  std::vector<double> sorted = kls;
  std::sort(sorted.begin(), sorted.end());
  double mean = 0;
  for (double v : kls) mean += v;
  mean /= static_cast<double>(kls.size());
  CHECK(s1.kl_mean > 0);
  CHECK(s1.kl_mean == doctest::Approx(mean).epsilon(1e-6));
  CHECK(s1.kl_max == doctest::Approx(sorted.back()).epsilon(1e-6));
  const double mid = 0.5 * static_cast<double>(sorted.size() - 1);
  CHECK(s1.kl_median == doctest::Approx(sorted[static_cast<std::size_t>(mid)] +
                                        (sorted[static_cast<std::size_t>(mid) + 1] - sorted[static_cast<std::size_t>(mid)]) *
                                            (mid - std::floor(mid))).epsilon(1e-6));
  CHECK(s1.kl_p99 <= s1.kl_max);
  CHECK(s1.kl_p99 >= s1.kl_median);
  CHECK(s1.top1_agreement == doctest::Approx(static_cast<double>(same) / static_cast<double>(kls.size())));
  CHECK(s1.delta_ppl == doctest::Approx(rb.ppl - ra.ppl).epsilon(1e-4));
  CHECK(s1.ppl_base == doctest::Approx(ra.ppl).epsilon(1e-6));

  // Another window, chunk count or text is an error.
  CHECK_THROWS_AS(KlAccumulator(path, 16, chunks, ea->vocab()), apr::Error);
  CHECK_THROWS_AS(KlAccumulator(path, ctx, chunks + 1, ea->vocab()), apr::Error);
  KlAccumulator wrong(path, ctx, chunks, ea->vocab());
  o.on_window = [&](const ScoredWindow& sw) { wrong.add(sw); };
  CHECK_THROWS_WITH_AS(perplexity(*ea, pseudo_text(chunks * ctx, 300, 18), o), doctest::Contains("other tokens"), apr::Error);
  CHECK_THROWS_AS(KlAccumulator("/nonexistent/base.bin", ctx, chunks, 300), apr::Error);
  std::filesystem::remove(path);
}
