// Check kind golden_rule: greedy token ids of the source and of its conversion are equal
// (F-GOLDEN-RULE-001); the conversion loads (002); the converted model generates (003).
// The comparison is on token ids, never on text scraped from output.
#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"

namespace apr::qa::checks {

CheckOutput golden_rule(const nlohmann::json& p) {
#ifndef APR_QA_CHECKS_REAL
  (void)p;
  return needs("apr_convert and apr_engine");
#else
  CheckOutput o;
  const std::string prompt = p.value("prompt", "What is 2+2?");
  engine::SamplingOptions so;
  so.max_tokens = p.value("max_tokens", 10);
  auto a = load(p.at("a").get<std::string>());
  auto ea = make_engine(a);
  auto ids = encode_prompt(*ea, prompt);
  auto ga = ea->generate(ids, so);
  o.add("generated_tokens", static_cast<double>(ga.tokens.size()), 1.0, Comparator::ge);
  std::shared_ptr<const model::CanonicalModel> b;
  try {
    b = load(p.at("b").get<std::string>());
  } catch (const Error& e) {
    o.add("converted_tensors", 0.0, 1.0, Comparator::ge);
    o.output = std::string("converted model does not load: ") + e.what();
    return o;
  }
  o.add("converted_tensors", static_cast<double>(b->tensors.size()), 1.0, Comparator::ge);
  auto eb = make_engine(b);
  auto gb = eb->generate(encode_prompt(*eb, prompt), so);
  o.add("converted_generated_tokens", static_cast<double>(gb.tokens.size()), 1.0, Comparator::ge);
  std::size_t n = std::max(ga.tokens.size(), gb.tokens.size()), mism = 0;
  for (std::size_t i = 0; i < n; ++i)
    mism += (i >= ga.tokens.size() || i >= gb.tokens.size() || ga.tokens[i] != gb.tokens[i]) ? 1 : 0;
  o.add("token_mismatches", static_cast<double>(mism), 0.0, Comparator::le);
  o.output = fmt::format("source: {} -> [{}] '{}'\nconverted: [{}] '{}'\n", prompt, fmt::join(ga.tokens, ","), ga.text,
                         fmt::join(gb.tokens, ","), gb.text);
  o.metrics["total_tokens"] = static_cast<std::int64_t>(gb.tokens.size());
  return o;
#endif
}

}  // namespace apr::qa::checks
