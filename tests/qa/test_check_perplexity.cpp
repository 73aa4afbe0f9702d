// Check kind perplexity: measurements without thresholds (the gate binds them), a random-weight
// fixture near the uniform perplexity, errors for a missing corpus or a bad window.
#include <doctest/doctest.h>

#include <filesystem>

#include "core/error.hpp"
#include "qa/check_kinds.hpp"
#include "qa/checks/check.hpp"
#include "qa/gate.hpp"

#include "convert/fixture.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;
using nlohmann::json;

TEST_CASE("perplexity check: measured on the built-in corpus, thresholds left to the gate") {
  fs::path d = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/checks/ppl";
  fs::remove_all(d);
  apr::convert::FixtureOptions fo;
  fo.seed = 4;
  auto f = apr::convert::write_fixture(fo, d);
  REQUIRE_MESSAGE(f.ok(), std::string(f.ok() ? "" : f.error().what()));
  const std::string model = f->string();

  REQUIRE(find_check_kind("perplexity") != nullptr);
  const auto fn = checks::check_table().at("perplexity");
  auto o = fn(json{{"model", model}, {"format", "safetensors"}, {"ctx", 32}, {"chunks", 3}});
  std::map<std::string, const Measurement*> m;
  for (const auto& x : o.measurements) m[x.name] = &x;
  for (const char* name : {"perplexity", "bits_per_byte", "tokens_scored", "perplexity_error", "perplexity_vs_uniform"}) {
    CAPTURE(name);
    REQUIRE(m.count(name));
    CHECK_FALSE(m[name]->threshold.has_value());
  }
  CHECK(m["tokens_scored"]->value == 3 * (32 - 1 - 16));
  // Random weights: near-uniform predictions, perplexity about the vocabulary size (320 rows).
  CHECK(m["perplexity_vs_uniform"]->value > 0.5);
  CHECK(m["perplexity_vs_uniform"]->value < 2.0);
  CHECK(m["perplexity"]->value == doctest::Approx(m["perplexity_vs_uniform"]->value * 320));
  CHECK(o.metrics.at("corpus") == "apr-qa-docs-v1");
  CHECK(o.metrics.at("chunks") == 3);
  REQUIRE(o.artifacts.size() == 1);
  CHECK(o.output.find("perplexity") == 0);
  // Judged by thresholds the gate supplies: a random model fails perplexity_vs_uniform <= 0.1.
  auto ms = o.measurements;
  for (auto& x : ms)
    if (x.name == "perplexity_vs_uniform") x.threshold = 0.1;
  CHECK(judge(ms, {"perplexity_vs_uniform"}).outcome == Outcome::falsified);
  for (auto& x : ms)
    if (x.name == "perplexity_vs_uniform") x.threshold = 2.0;
  CHECK(judge(ms, {"perplexity_vs_uniform"}).outcome == Outcome::corroborated);

  CHECK_THROWS_AS(fn(json{{"model", model}, {"corpus", (d / "missing.txt").string()}}), apr::Error);
  CHECK_THROWS_AS(fn(json{{"model", model}, {"ctx", 2}}), apr::Error);
  CHECK_THROWS_AS(fn(json{{"model", model}, {"ctx", 1 << 20}}), apr::Error);  // more than the corpus holds
}
