// Sampling and generation on tiny in-memory models.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "engine/engine.hpp"
#include "engine/sampler.hpp"
#include "tiny_model.hpp"

using namespace apr;
using namespace apr::engine;
using namespace apr::engine::test;

namespace {
std::unique_ptr<Engine> make_engine(std::shared_ptr<const model::CanonicalModel> m, int threads = 1) {
  EngineOptions o;
  o.threads = threads;
  o.max_context = 128;
  auto r = Engine::create(std::move(m), o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().what()));
  return std::move(r.value());
}
}  // namespace

TEST_CASE("Rng: same seed same stream, different seeds differ, uniform in [0,1)") {
  Rng a(42), b(42), c(43);
  bool differs = false;
  for (int i = 0; i < 1000; ++i) {
    auto x = a.next(), y = b.next(), z = c.next();
    CHECK(x == y);
    differs |= x != z;
  }
  CHECK(differs);
  Rng u(7);
  double sum = 0;
  for (int i = 0; i < 20000; ++i) {
    double v = u.uniform();
    REQUIRE(v >= 0.0);
    REQUIRE(v < 1.0);
    sum += v;
  }
  CHECK(std::fabs(sum / 20000 - 0.5) < 0.01);
}

TEST_CASE("sample: greedy, top_k=1 and tiny top_p pick the argmax; sampling follows softmax") {
  std::vector<float> l{0.1f, 2.0f, -1.0f, 1.5f, 2.0f};
  Rng r(1);
  CHECK(argmax(l) == 1);  // lowest id among equal maxima
  CHECK(sample(l, {0.0, 0, 1.0}, r) == 1);
  CHECK(sample(l, {1.0, 1, 1.0}, r) == 1);
  CHECK(sample(l, {1.0, 0, 1e-6}, r) == 1);
  // top_k = 2 keeps only ids 1 and 4 (equal logits): both appear, nothing else does.
  std::map<int, int> seen;
  for (int i = 0; i < 2000; ++i) seen[sample(l, {1.0, 2, 1.0}, r)]++;
  CHECK(seen.size() == 2);
  CHECK(seen[1] > 800);
  CHECK(seen[4] > 800);
  // Full distribution at temperature 0.7 against softmax(l / 0.7).
  std::vector<double> p(l.size());
  double s = 0;
  for (std::size_t i = 0; i < l.size(); ++i) s += (p[i] = std::exp(l[i] / 0.7));
  std::vector<int> cnt(l.size());
  const int N = 40000;
  for (int i = 0; i < N; ++i) cnt[static_cast<std::size_t>(sample(l, {0.7, 0, 1.0}, r))]++;
  for (std::size_t i = 0; i < l.size(); ++i) {
    const double expect = p[i] / s;
    const double sd = std::sqrt(expect * (1 - expect) / N);
    CHECK(std::fabs(cnt[i] / static_cast<double>(N) - expect) < 5 * sd + 1e-4);
  }
}

TEST_CASE("generate: greedy continuation, seeded sampling reproducible, stops and limits") {
  TinySpec s;
  s.arch = model::Arch::qwen2;
  s.seed = 71;
  s.wtype = GgmlType::Q8_0;
  auto m = make_tiny(s);
  auto e = make_engine(m, 2);
  std::vector<std::int32_t> prompt{5, 17, 42, 99};

  SamplingOptions greedy;
  greedy.max_tokens = 12;
  auto g = e->generate(prompt, greedy);
  CHECK(g.tokens.size() == 12);
  CHECK(g.stop_reason == "max_tokens");
  CHECK(g.ttft_ms > 0);
  CHECK(g.prefill_tps > 0);
  CHECK(g.decode_tps > 0);
  CHECK(g.peak_rss_bytes > 0);
  // Greedy tokens are the argmaxes of the teacher-forced logits.
  std::vector<std::int32_t> seq = prompt;
  seq.insert(seq.end(), g.tokens.begin(), g.tokens.end());
  auto lf = e->logits_all(seq);
  const auto V = static_cast<std::size_t>(s.vocab);
  for (std::size_t i = 0; i < g.tokens.size(); ++i)
    CHECK(argmax(std::span<const float>(lf.data() + (prompt.size() - 1 + i) * V, V)) == g.tokens[i]);
  // Same again with 1 thread: identical.
  CHECK(make_engine(m, 1)->generate(prompt, greedy).tokens == g.tokens);

  SamplingOptions hot;
  hot.temperature = 20.0;  // the tiny tied model has very peaked logits
  hot.top_k = 50;
  hot.top_p = 0.95;
  hot.seed = 1234;
  hot.max_tokens = 16;
  auto a = e->generate(prompt, hot);
  auto b = e->generate(prompt, hot);
  CHECK(a.tokens == b.tokens);
  bool any_differs = false;
  for (std::uint64_t seed = 1; seed < 6 && !any_differs; ++seed) {
    hot.seed = seed;
    any_differs = e->generate(prompt, hot).tokens != a.tokens;
  }
  CHECK(any_differs);

  // extra_stop: stop at the 3rd greedy token.
  SamplingOptions st = greedy;
  st.extra_stop = {g.tokens[2]};
  auto sr = e->generate(prompt, st);
  const auto first = std::find(g.tokens.begin(), g.tokens.end(), g.tokens[2]) - g.tokens.begin();
  CHECK(sr.stop_reason == "stop_token");
  CHECK(sr.tokens.size() == static_cast<std::size_t>(first + 1));

  // Model eos: the same token as the model's eos id.
  auto m2 = std::make_shared<model::CanonicalModel>(*m);
  m2->tokenizer.eos_id = g.tokens[2];
  auto e2 = make_engine(m2);
  auto er = e2->generate(prompt, greedy);
  CHECK(er.stop_reason == "eos");
  CHECK(er.tokens.back() == g.tokens[2]);

  // Streaming callback sees every token in order and can stop generation.
  std::vector<std::int32_t> streamed;
  auto cr = e->generate(prompt, greedy, [&](std::int32_t id) {
    streamed.push_back(id);
    return streamed.size() < 5;
  });
  CHECK(cr.stop_reason == "callback");
  CHECK(streamed.size() == 5);
  CHECK(std::equal(streamed.begin(), streamed.end(), g.tokens.begin()));

  SamplingOptions none = greedy;
  none.max_tokens = 0;
  CHECK(e->generate(prompt, none).tokens.empty());
  CHECK_THROWS_AS((void)e->generate(std::vector<std::int32_t>{}, greedy), apr::Error);
  SamplingOptions badp = greedy;
  badp.top_p = 0;
  CHECK_THROWS_AS((void)e->generate(prompt, badp), apr::Error);
}

namespace {
// A tiny qwen2-shaped model of the given seed and weight type (the drafted-run tests' fixture).
TinySpec qwen2_spec(std::uint32_t seed, GgmlType wt) {
  TinySpec s;
  s.arch = model::Arch::qwen2;
  s.seed = seed;
  s.wtype = wt;
  return s;
}
}  // namespace

TEST_CASE("generate_with_logits: the same generation, and logits_all of the sequence bit for bit") {
  for (GgmlType wt : {GgmlType::Q8_0, GgmlType::BF16}) {
    const TinySpec s = qwen2_spec(73, wt);
    auto m = make_tiny(s);
    auto e = make_engine(m, 2);
    std::vector<std::int32_t> prompt{5, 17, 42, 99, 3};
    SamplingOptions greedy;
    greedy.max_tokens = 9;
    const auto g = e->generate(prompt, greedy);
    std::vector<float> all;
    const auto gl = e->generate_with_logits(prompt, greedy, all);
    CHECK(gl.tokens == g.tokens);
    CHECK(gl.text == g.text);
    CHECK(gl.stop_reason == g.stop_reason);
    CHECK(gl.decode_tps > 0);
    std::vector<std::int32_t> seq = prompt;
    seq.insert(seq.end(), gl.tokens.begin(), gl.tokens.end());
    REQUIRE(all.size() == seq.size() * static_cast<std::size_t>(s.vocab));
    CHECK(bitwise_equal(all, e->logits_all(seq)));

    // A stop token ends the sequence: its own row is still there.
    auto m2 = std::make_shared<model::CanonicalModel>(*m);
    m2->tokenizer.eos_id = g.tokens[3];
    auto e2 = make_engine(m2);
    const auto es = e2->generate_with_logits(prompt, greedy, all);
    CHECK(es.stop_reason == "eos");
    seq.assign(prompt.begin(), prompt.end());
    seq.insert(seq.end(), es.tokens.begin(), es.tokens.end());
    CHECK(bitwise_equal(all, e2->logits_all(seq)));

    // Nothing generated, or no room in the cache for the last token's step: no rows.
    SamplingOptions none = greedy;
    none.max_tokens = 0;
    CHECK(e->generate_with_logits(prompt, none, all).tokens.empty());
    CHECK(all.empty());
    EngineOptions o;
    o.max_context = static_cast<std::int64_t>(prompt.size()) + 3;
    auto small = Engine::create(m, o);
    REQUIRE(small.ok());
    const auto full = small.value()->generate_with_logits(prompt, greedy, all);
    CHECK(full.stop_reason == "max_context");
    CHECK(all.empty());
  }
}

TEST_CASE("generate_verified: a draft this model generates is confirmed bit for bit; any other is refused") {
  for (GgmlType wt : {GgmlType::Q8_0, GgmlType::BF16}) {
    const TinySpec s = qwen2_spec(83, wt);
    auto m = make_tiny(s);
    auto e = make_engine(m, 2);
    std::vector<std::int32_t> prompt{7, 19, 44, 2, 61};
    SamplingOptions greedy;
    greedy.max_tokens = 8;
    std::vector<float> gen_rows, ver_rows;
    const auto g = e->generate_with_logits(prompt, greedy, gen_rows);
    REQUIRE(g.tokens.size() == 8u);
    REQUIRE(g.stop_reason == "max_tokens");

    auto v = e->generate_verified(prompt, g.tokens, greedy, ver_rows);
    REQUIRE(v.has_value());
    CHECK(v->tokens == g.tokens);
    CHECK(v->stop_reason == g.stop_reason);
    CHECK(v->text == g.text);
    CHECK(v->decode_tps == 0);
    CHECK(bitwise_equal(ver_rows, gen_rows));

    // A draft longer than max_tokens is cut by the caller; the first k tokens verify a k-token run.
    SamplingOptions four = greedy;
    four.max_tokens = 4;
    std::vector<float> rows4;
    const auto g4 = e->generate_with_logits(prompt, four, rows4);
    auto v4 = e->generate_verified(prompt, std::span<const std::int32_t>(g.tokens).first(4), four, ver_rows);
    REQUIRE(v4.has_value());
    CHECK(v4->tokens == g4.tokens);
    CHECK(bitwise_equal(ver_rows, rows4));

    // Refused: one token changed (first, middle, last), a draft shorter than the generation, a
    // draft longer than max_tokens, sampling that is not greedy, an id outside the vocabulary.
    for (std::size_t at : {std::size_t{0}, std::size_t{3}, std::size_t{7}}) {
      auto bad = g.tokens;
      bad[at] = (bad[at] + 1) % static_cast<std::int32_t>(s.vocab);
      CHECK_FALSE(e->generate_verified(prompt, bad, greedy, ver_rows).has_value());
      CHECK(ver_rows.empty());
    }
    CHECK_FALSE(e->generate_verified(prompt, std::span<const std::int32_t>(g.tokens).first(5), greedy, ver_rows));
    CHECK_FALSE(e->generate_verified(prompt, g.tokens, four, ver_rows));
    SamplingOptions hot = greedy;
    hot.temperature = 0.7;
    CHECK_FALSE(e->generate_verified(prompt, g.tokens, hot, ver_rows));
    auto out_of_vocab = g.tokens;
    out_of_vocab[2] = static_cast<std::int32_t>(s.vocab);
    CHECK_FALSE(e->generate_verified(prompt, out_of_vocab, greedy, ver_rows));

    // A stop token: confirmed only as the draft's last token (the model stops there).
    auto m2 = std::make_shared<model::CanonicalModel>(*m);
    m2->tokenizer.eos_id = g.tokens[3];
    auto e2 = make_engine(m2);
    std::vector<float> stop_rows;
    const auto gs = e2->generate_with_logits(prompt, greedy, stop_rows);
    REQUIRE(gs.stop_reason == "eos");
    auto vs = e2->generate_verified(prompt, gs.tokens, greedy, ver_rows);
    REQUIRE(vs.has_value());
    CHECK(vs->stop_reason == "eos");
    CHECK(vs->tokens == gs.tokens);
    CHECK(vs->text == gs.text);
    CHECK(bitwise_equal(ver_rows, stop_rows));
    // The other model's longer draft runs through this model's stop token: refused.
    CHECK_FALSE(e2->generate_verified(prompt, g.tokens, greedy, ver_rows));
  }
}

TEST_CASE("logits_from: the rows of logits_all from a position on, bit for bit") {
  TinySpec s;
  s.arch = model::Arch::qwen2;
  s.seed = 79;
  s.wtype = GgmlType::BF16;
  auto e = make_engine(make_tiny(s), 2);
  std::vector<std::int32_t> seq{5, 17, 42, 99, 3, 8, 61, 7, 22, 40};
  const auto all = e->logits_all(seq);
  const auto V = static_cast<std::size_t>(s.vocab);
  for (std::int64_t first : {0, 1, 5, 9, 10}) {
    const auto rows = e->logits_from(seq, first);
    CHECK(bitwise_equal(rows, std::vector<float>(all.begin() + static_cast<std::ptrdiff_t>(first * V), all.end())));
  }
  CHECK(e->logits_from(seq, 99).empty());
  CHECK(bitwise_equal(e->logits_from(seq, -3), all));
}
