// Check kind inference (F-A* matrix cells): greedy generation of the scenario's prompt with the
// embedded engine, judged by the scenario's oracle. chat renders the model's chat template;
// serve is not run in-process (Skipped with the reason) until the worker drives `apr-qa serve`.
#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "qa/oracle.hpp"
#ifdef APR_QA_CHECKS_REAL
#include "tokenizer/chat_template.hpp"
#endif

namespace apr::qa::checks {

CheckOutput inference(const nlohmann::json& p) {
  CheckOutput o;
  if (p.value("backend", "cpu") != "cpu") {
    o.skip = "no CUDA device";
    return o;
  }
  if (p.value("modality", "run") == "serve") {
    o.skip = "serve modality: HTTP worker not implemented yet";
    return o;
  }
#ifndef APR_QA_CHECKS_REAL
  return needs("apr_convert and apr_engine");
#else
  auto m = load(p.at("model").get<std::string>());
  auto e = make_engine(m);
  std::string prompt = p.value("prompt", "What is 2+2?");
  std::string text = prompt;
  if (p.value("modality", "run") == "chat") {
    if (m->tokenizer.chat_template.empty()) throw validation_error("chat modality: the model has no chat template");
    auto ct = tok::ChatTemplate::parse(m->tokenizer.chat_template);
    if (!ct) throw ct.error();
    tok::ChatTemplateOptions co;
    co.add_generation_prompt = true;
    auto r = ct->render(nlohmann::json::array({{{"role", "user"}, {"content", prompt}}}), co);
    if (!r) throw r.error();
    text = *r;
  }
  auto ids = encode_prompt(*e, text);
  engine::SamplingOptions so;
  so.max_tokens = p.value("max_tokens", 32);
  so.seed = p.value("seed", std::uint64_t{0});
  auto g = e->generate(ids, so);
  std::size_t gen = g.tokens.size();
  if (gen > 0 && e->tokenizer() && e->tokenizer()->is_end_of_generation(g.tokens.back())) --gen;
  auto v = apply_oracle(p.value("oracle", "garbage"), prompt, g.text, p.value("oracle_config", nlohmann::json::object()));
  o.add("generated_tokens", static_cast<double>(gen), 1.0, Comparator::ge, "tokens");
  o.add("oracle_pass", v.pass ? 1.0 : 0.0, 1.0, Comparator::ge);
  o.add("tokens_per_second", g.decode_tps, std::nullopt, Comparator::ge, "tok/s");
  o.output = g.text + "\n[oracle " + p.value("oracle", "garbage") + ": " + v.reason + "; stop " + g.stop_reason + "]";
  o.metrics = {{"tokens_per_second", g.decode_tps}, {"time_to_first_token_ms", g.ttft_ms},
               {"total_tokens", static_cast<std::int64_t>(g.tokens.size())},
               {"memory_peak_mb", static_cast<double>(g.peak_rss_bytes) / (1024.0 * 1024.0)}};
  return o;
#endif
}

}  // namespace apr::qa::checks
