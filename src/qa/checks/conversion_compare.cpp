// Check kinds conversion_pair, roundtrip_chain and commutativity: artifact b against artifact a.
// (a) every tensor (bytes where the dtype is kept, max |Δ| otherwise) → tensor_max_abs_diff;
// (b) teacher-forced logits of a and b on the gate's prompt plus a's greedy continuation →
//     diff = max over positions of max|Δlogit| / max|logit_a|, with greedy token equality,
//     KL and top-1 agreement recorded beside it.
#include "qa/checks/check.hpp"
#include "qa/checks/tensor_compare.hpp"

#include <fmt/format.h>

namespace apr::qa::checks {

using nlohmann::json;

CheckOutput conversion_compare(const json& p) {
#ifndef APR_QA_CHECKS_REAL
  (void)p;
  return needs("apr_convert and apr_engine");
#else
  if (p.value("backend", "cpu") != "cpu") {
    CheckOutput s;
    s.skip = "no CUDA device";
    return s;
  }
  CheckOutput o;
  auto a = load(p.at("a").get<std::string>());
  auto b = load(p.at("b").get<std::string>());
  const double tol = p.value("tolerance", 1e-6), ttol = p.value("tensor_tolerance", 0.0);
  auto tc = compare_tensors(*a, *b);
  o.add("tensors_compared", static_cast<double>(tc.compared), 1.0, Comparator::ge);
  o.add("tensors_missing", static_cast<double>(tc.missing_in_a + tc.missing_in_b + tc.shape_mismatches), 0.0, Comparator::le);
  o.add("tensor_max_abs_diff", tc.max_abs, ttol, Comparator::le);
  o.add("tensors_differing_bytes", static_cast<double>(tc.differing_bytes));
  o.add("config_equal", a->config == b->config ? 1.0 : 0.0);

  auto ea = make_engine(a);
  auto eb = make_engine(b);
  const std::string prompt = p.value("prompt", "What is 2+2?");
  engine::SamplingOptions so;
  so.max_tokens = p.value("max_tokens", 8);
  auto ids_a = encode_prompt(*ea, prompt);
  auto ids_b = encode_prompt(*eb, prompt);
  auto ga = ea->generate(ids_a, so);
  auto gb = eb->generate(ids_b, so);
  std::size_t mism = ids_a == ids_b ? 0 : 1;
  std::size_t n = std::max(ga.tokens.size(), gb.tokens.size());
  for (std::size_t i = 0; i < n; ++i)
    mism += (i >= ga.tokens.size() || i >= gb.tokens.size() || ga.tokens[i] != gb.tokens[i]) ? 1 : 0;
  std::vector<std::int32_t> seq = ids_a;
  seq.insert(seq.end(), ga.tokens.begin(), ga.tokens.end());
  auto lc = compare_logits(*ea, *eb, seq);
  o.add("positions_compared", static_cast<double>(lc.positions), 1.0, Comparator::ge);
  o.add("diff", lc.diff, tol, Comparator::le, "ratio");
  o.add("token_mismatches", static_cast<double>(mism), 0.0, Comparator::le);
  o.add("logit_max_abs_diff", lc.max_abs);
  o.add("kl_max", lc.kl_max);
  o.add("top1_agreement", lc.top1_agreement, std::nullopt, Comparator::ge, "ratio");
  o.output = fmt::format("a: {}\nb: {}\nprompt tokens {}, continuation a '{}' ({} tokens), b '{}' ({} tokens)\n", p["a"].get<std::string>(),
                         p["b"].get<std::string>(), ids_a.size(), ga.text, ga.tokens.size(), gb.text, gb.tokens.size());
  for (const auto& nt : tc.notes) o.output += nt + "\n";
  o.metrics["total_tokens"] = static_cast<std::int64_t>(ga.tokens.size());
  return o;
#endif
}

}  // namespace apr::qa::checks
