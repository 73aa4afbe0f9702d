// Forward pass on tiny in-memory models: agreement with an independent double-precision
// reference, the determinism contract, KV-cache consistency and load-time validation.
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "engine/engine.hpp"
#include "engine/forward.hpp"
#include "reference_forward.hpp"
#include "tiny_model.hpp"

using namespace apr;
using namespace apr::engine;
using namespace apr::engine::test;

namespace {

std::unique_ptr<Engine> make_engine(std::shared_ptr<const model::CanonicalModel> m, int threads = 1,
                                    std::int64_t ctx = 256) {
  EngineOptions o;
  o.threads = threads;
  o.max_context = ctx;
  auto r = Engine::create(std::move(m), o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().what()));
  return std::move(r.value());
}

std::vector<std::int32_t> tokens(std::size_t n, std::int64_t vocab, unsigned seed) {
  std::mt19937 r(seed);
  std::vector<std::int32_t> t(n);
  for (auto& x : t) x = static_cast<std::int32_t>(r() % static_cast<unsigned>(vocab));
  return t;
}

double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

}  // namespace

TEST_CASE("logits agree with an independent double-precision forward pass (llama, qwen2, mistral)") {
  for (auto arch : {model::Arch::llama, model::Arch::qwen2, model::Arch::mistral}) {
    for (bool tied : {true, false}) {
      TinySpec s;
      s.arch = arch;
      s.tied = tied;
      s.seed = 11 + static_cast<unsigned>(arch) * 2 + tied;
      auto m = make_tiny(s);
      auto e = make_engine(m);
      auto toks = tokens(9, s.vocab, 3);
      auto got = e->logits_all(toks);
      auto want = ref_logits(*m, toks);
      REQUIRE(got.size() == want.size());
      const double tol = 1e-4 * max_abs(want);
      double worst = 0;
      for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
      INFO("arch " << model::to_string(arch) << " tied " << tied << " max|d| " << worst << " tol " << tol);
      CHECK(worst <= tol);
      CHECK(max_abs(want) > 0.5);  // logits are not degenerate
    }
  }
}

TEST_CASE("llama with attention_bias uses q/k/v/o biases") {
  TinySpec s;
  s.bias = true;
  s.seed = 5;
  auto m = make_tiny(s);
  auto e = make_engine(m);
  auto toks = tokens(6, s.vocab, 4);
  auto got = e->logits_all(toks);
  auto want = ref_logits(*m, toks);
  double worst = 0;
  for (std::size_t i = 0; i < got.size(); ++i) worst = std::max(worst, std::fabs(got[i] - want[i]));
  CHECK(worst <= 1e-4 * max_abs(want));
}

TEST_CASE("determinism: a quantized model and its exact F32 twin give bitwise identical logits") {
  for (auto t : {GgmlType::Q8_0, GgmlType::Q4_K, GgmlType::Q4_1, GgmlType::Q6_K, GgmlType::F16, GgmlType::BF16}) {
    TinySpec s;
    s.arch = model::Arch::qwen2;
    s.wtype = t;
    s.tied = false;
    s.seed = 21;
    auto q = make_tiny(s);
    auto f = f32_twin(*q);
    auto toks = tokens(12, s.vocab, 9);
    auto lq = make_engine(q)->logits_all(toks);
    auto lf = make_engine(f)->logits_all(toks);
    INFO("dtype " << dtype_name(t));
    CHECK(bitwise_equal(lq, lf));
  }
}

TEST_CASE("determinism: 1, 2 and 3 threads give bitwise identical logits") {
  TinySpec s;
  s.wtype = GgmlType::Q4_K;
  s.seed = 31;
  auto m = make_tiny(s);
  auto toks = tokens(20, s.vocab, 10);
  auto l1 = make_engine(m, 1)->logits_all(toks);
  auto l2 = make_engine(m, 2)->logits_all(toks);
  auto l3 = make_engine(m, 3)->logits_all(toks);
  CHECK(bitwise_equal(l1, l2));
  CHECK(bitwise_equal(l1, l3));
}

TEST_CASE("a row-order map is honoured: permuted storage gives bitwise identical logits") {
  TinySpec s;
  s.wtype = GgmlType::Q8_0;
  s.seed = 41;
  auto m = make_tiny(s);
  auto p = std::make_shared<model::CanonicalModel>(*m);
  for (auto& t : p->tensors) {
    if (t.name.find("q_proj.weight") == std::string::npos && t.name.find("k_proj.weight") == std::string::npos)
      continue;
    // Store rows reversed and give the map that undoes it.
    const std::int64_t rows = t.source.rows();
    const auto stride = t.source.row_stride();
    auto buf = std::make_shared<std::vector<std::byte>>(t.source.data.size());
    for (std::int64_t r = 0; r < rows; ++r)
      std::copy(t.source.row(r).begin(), t.source.row(r).end(), buf->begin() + (rows - 1 - r) * stride);
    t.source.data = std::span<const std::byte>(buf->data(), buf->size());
    t.owned = buf;
    t.row_order.resize(rows);
    for (std::int64_t r = 0; r < rows; ++r) t.row_order[r] = static_cast<std::int32_t>(rows - 1 - r);
  }
  auto toks = tokens(8, s.vocab, 12);
  CHECK(bitwise_equal(make_engine(m)->logits_all(toks), make_engine(p)->logits_all(toks)));
}

TEST_CASE("KV cache: incremental decoding reproduces full-recompute logits bit for bit") {
  TinySpec s;
  s.arch = model::Arch::qwen2;
  s.seed = 51;
  s.wtype = GgmlType::Q4_1;  // decode steps take the fused Q4 path, the full pass dot4/dot
  auto m = make_tiny(s);
  auto e = make_engine(m, 2);
  auto toks = tokens(10, s.vocab, 13);
  auto full = e->logits_all(toks);
  // Forward directly: prefill 4 tokens, then one token at a time; each step's logits must equal
  // the full pass's row for that position, bit for bit.
  {
    ThreadPool pool(2);
    Forward f(m->config, bind_weights(*m), pool, 64);
    std::vector<float> step;
    f.run(std::span<const std::int32_t>(toks).first(4), true, step);
    CHECK(std::equal(step.begin(), step.end(), full.begin()));
    const auto V = static_cast<std::size_t>(s.vocab);
    for (std::size_t i = 4; i < toks.size(); ++i) {
      f.run(std::span<const std::int32_t>(toks).subspan(i, 1), false, step);
      REQUIRE(step.size() == V);
      CHECK(std::equal(step.begin(), step.end(), full.begin() + static_cast<std::ptrdiff_t>(i * V)));
    }
    CHECK(f.n_past() == static_cast<std::int64_t>(toks.size()));
  }
  // generate(): each greedy token is the argmax of the teacher-forced logits of the extended
  // sequence.
  std::vector<std::int32_t> prompt(toks.begin(), toks.begin() + 4);
  SamplingOptions so;
  so.max_tokens = 6;
  auto g = e->generate(prompt, so);
  REQUIRE(g.tokens.size() == 6);
  std::vector<std::int32_t> seq = prompt;
  seq.insert(seq.end(), g.tokens.begin(), g.tokens.end());
  auto lf = e->logits_all(seq);
  const auto V = static_cast<std::size_t>(s.vocab);
  for (std::size_t i = 0; i < g.tokens.size(); ++i) {
    const float* row = lf.data() + (prompt.size() - 1 + i) * V;
    const auto best = std::max_element(row, row + V) - row;
    CHECK(best == g.tokens[i]);
  }
  // A prefix's logits do not change when more tokens follow (causality), bitwise.
  auto part = e->logits_all(std::span<const std::int32_t>(toks).first(5));
  CHECK(std::equal(part.begin(), part.end(), full.begin()));
}

TEST_CASE("KV cache and prefill chunks: every fused decode dtype reproduces the full pass bit for bit") {
  // 270 tokens: the batched pass runs in chunks (120 + 120 + 30); one-token steps take the fused
  // dequantize+dot kernel of each dtype (where the CPU has one). Every step's logits must equal
  // the batched pass's row, and the last-position-only batched call must equal its last row.
  for (auto wt : {GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q5_1, GgmlType::Q8_0, GgmlType::Q4_K,
                  GgmlType::Q6_K}) {
    CAPTURE(apr::dtype_name(wt));
    TinySpec s;
    s.arch = model::Arch::llama;
    s.seed = 77;
    s.wtype = wt;
    auto m = make_tiny(s);
    auto toks = tokens(270, s.vocab, 19);
    const auto V = static_cast<std::size_t>(s.vocab);
    ThreadPool pool(2);
    Forward full(m->config, bind_weights(*m), pool, 300);
    std::vector<float> all, last, step;
    full.run(toks, true, all);
    REQUIRE(all.size() == toks.size() * V);
    full.reset();
    full.run(toks, false, last);
    REQUIRE(last.size() == V);
    CHECK(std::equal(last.begin(), last.end(), all.begin() + static_cast<std::ptrdiff_t>((toks.size() - 1) * V)));
    Forward inc(m->config, bind_weights(*m), pool, 300);
    int mismatches = 0;
    for (std::size_t i = 0; i < toks.size(); ++i) {
      inc.run(std::span<const std::int32_t>(toks).subspan(i, 1), false, step);
      if (!std::equal(step.begin(), step.end(), all.begin() + static_cast<std::ptrdiff_t>(i * V))) ++mismatches;
    }
    CHECK(mismatches == 0);
  }
}

TEST_CASE("validation: missing tensors, wrong shapes, unexpected biases and bad tokens are named errors") {
  TinySpec s;
  s.seed = 61;
  {
    auto m = make_tiny(s);
    m->tensors.erase(std::find_if(m->tensors.begin(), m->tensors.end(),
                                  [](auto& t) { return t.name == "model.layers.1.mlp.up_proj.weight"; }));
    auto r = Engine::create(m, {});
    REQUIRE_FALSE(r.ok());
    CHECK(std::string(r.error().what()).find("model.layers.1.mlp.up_proj.weight") != std::string::npos);
  }
  {
    auto m = make_tiny(s);
    for (auto& t : m->tensors)
      if (t.name == "model.layers.0.self_attn.k_proj.weight") t.source.shape = {64, 512};
    auto r = Engine::create(m, {});
    REQUIRE_FALSE(r.ok());
    const std::string w = r.error().what();
    CHECK(w.find("k_proj") != std::string::npos);
    CHECK(w.find("[128,256]") != std::string::npos);
  }
  {
    TinySpec b = s;
    b.bias = true;
    auto m = make_tiny(b);
    m->config.attention_bias = false;  // config says no bias, tensors have one
    auto r = Engine::create(m, {});
    REQUIRE_FALSE(r.ok());
    CHECK(std::string(r.error().what()).find("bias") != std::string::npos);
  }
  {
    TinySpec q = s;
    q.arch = model::Arch::qwen2;
    auto m = make_tiny(q);
    std::erase_if(m->tensors, [](auto& t) { return t.name == "model.layers.0.self_attn.v_proj.bias"; });
    auto r = Engine::create(m, {});
    REQUIRE_FALSE(r.ok());
    CHECK(std::string(r.error().what()).find("v_proj.bias") != std::string::npos);
  }
  {
    auto m = make_tiny(s);
    EngineOptions o;
    o.max_context = 8;
    auto e = Engine::create(m, o);
    REQUIRE(e.ok());
    std::vector<std::int32_t> bad{1, 2, static_cast<std::int32_t>(s.vocab)};
    CHECK_THROWS_AS((void)(*e)->logits_all(bad), apr::Error);
    std::vector<std::int32_t> neg{-1};
    CHECK_THROWS_AS((void)(*e)->logits_all(neg), apr::Error);
    std::vector<std::int32_t> longer(9, 1);
    CHECK_THROWS_AS((void)(*e)->logits_all(longer), apr::Error);
    std::vector<std::int32_t> ok(8, 1);
    CHECK((*e)->logits_all(ok).size() == 8 * static_cast<std::size_t>(s.vocab));
  }
}
