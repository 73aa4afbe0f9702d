// Check kinds differential_inference (F-ROSETTA-INF-*) and differential_tensor
// (F-ROSETTA-DIFF-*): one format's artifact against the reference format's.
#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/tensor_compare.hpp"

namespace apr::qa::checks {

CheckOutput differential_inference(const nlohmann::json& p) {
#ifndef APR_QA_CHECKS_REAL
  (void)p;
  return needs("apr_convert and apr_engine");
#else
  CheckOutput o;
  auto a = load(p.at("a").get<std::string>());
  auto b = load(p.at("b").get<std::string>());
  auto ea = make_engine(a), eb = make_engine(b);
  const std::string prompt = p.value("prompt", "What is 2+2?");
  engine::SamplingOptions so;
  so.max_tokens = p.value("max_tokens", 10);
  auto ids = encode_prompt(*ea, prompt);
  auto ga = ea->generate(ids, so);
  auto gb = eb->generate(encode_prompt(*eb, prompt), so);
  std::size_t n = std::max(ga.tokens.size(), gb.tokens.size()), mism = 0, pad = 0;
  for (std::size_t i = 0; i < n; ++i)
    mism += (i >= ga.tokens.size() || i >= gb.tokens.size() || ga.tokens[i] != gb.tokens[i]) ? 1 : 0;
  const tok::Tokenizer* tb = eb->tokenizer();
  for (std::size_t i = 0; i + 1 < gb.tokens.size() || (i < gb.tokens.size() && gb.stop_reason != "eos"); ++i) {
    auto id = gb.tokens[i];
    std::string t = tb ? tb->token_text(id) : "";
    if ((b->tokenizer.pad_id && *b->tokenizer.pad_id == id) || t == "<pad>" || t == "<|endoftext|>") ++pad;
  }
  std::vector<std::int32_t> seq = ids;
  seq.insert(seq.end(), ga.tokens.begin(), ga.tokens.end());
  auto lc = compare_logits(*ea, *eb, seq);
  o.add("positions_compared", static_cast<double>(lc.positions), 1.0, Comparator::ge);
  o.add("token_mismatches", static_cast<double>(mism), 0.0, Comparator::le);
  o.add("diff", lc.diff, p.value("tolerance", 1e-5), Comparator::le, "ratio");
  o.add("pad_fraction", gb.tokens.empty() ? 1.0 : static_cast<double>(pad) / gb.tokens.size(), 0.5, Comparator::le, "ratio");
  o.add("kl_max", lc.kl_max);
  o.add("top1_agreement", lc.top1_agreement);
  o.output = fmt::format("reference '{}'\nother '{}'\n", ga.text, gb.text);
  return o;
#endif
}

CheckOutput differential_tensor(const nlohmann::json& p) {
#ifndef APR_QA_CHECKS_REAL
  (void)p;
  return needs("apr_convert");
#else
  CheckOutput o;
  auto a = load(p.at("a").get<std::string>());
  auto b = load(p.at("b").get<std::string>());
  auto tc = compare_tensors(*a, *b, p.value("filter", ""));
  o.add("tensors_compared", static_cast<double>(tc.compared), 1.0, Comparator::ge);
  o.add("transposed_tensors", static_cast<double>(tc.transposed), 0.0, Comparator::le);
  o.add("shape_mismatches", static_cast<double>(tc.shape_mismatches + tc.missing_in_a + tc.missing_in_b), 0.0, Comparator::le);
  o.add("tensor_max_abs_diff", tc.max_abs, p.value("tensor_tolerance", 0.0), Comparator::le);
  for (const auto& n : tc.notes) o.output += n + "\n";
  return o;
#endif
}

}  // namespace apr::qa::checks
