// Check kind inference (F-A* matrix cells): greedy generation of the scenario's prompt with the
// embedded engine, judged by the scenario's oracle. chat renders the model's chat template;
// serve cells are handed to serve_inference (checks/serve.cpp), which drives `apr-qa serve`.
#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "qa/checks/teacher_forced.hpp"
#include "engine/prompt.hpp"
#include "qa/oracle.hpp"
#include "tokenizer/chat_template.hpp"

namespace apr::qa::checks {

std::string judge_generation(CheckOutput& o, const nlohmann::json& p, const std::string& prompt,
                             const std::string& text, std::size_t generated) {
  const std::string oracle = p.value("oracle", "garbage");
  auto v = apply_oracle(oracle, prompt, text, p.value("oracle_config", nlohmann::json::object()));
  o.add("generated_tokens", static_cast<double>(generated), "tokens");
  o.add("oracle_pass", v.pass ? 1.0 : 0.0);
  return "oracle " + oracle + ": " + v.reason;
}

CheckOutput inference(const nlohmann::json& p) {
  CheckOutput o;
  if (auto why = gpu_unavailable(p)) {
    o.skip = *why;
    return o;
  }
  if (p.value("modality", "run") == "serve") return serve_inference(p);
  const std::string prompt = p.value("prompt", "What is 2+2?");
  const bool chat = p.value("modality", "run") == "chat";
  const int max_tokens = p.value("max_tokens", 32);
  // A cpu cell reads the greedy generation of the plan's shared run of its artifact and prompt
  // (params run): greedy decoding ignores the seed, so every cell on the same artifact, modality
  // and prompt would compute these same tokens. Without one (APR_QA_NO_SHARED_RUNS=1, or the run
  // recorded an error) the cell generates itself.
  if (p.contains("run") && p["run"].is_string() && backend_of(p) == engine::Backend::cpu)
    if (auto t = read_generation(p["run"].get<std::string>(), prompt, chat, max_tokens)) {
      const std::size_t gen = t->greedy.size() - (t->last_eog ? 1 : 0);
      std::string verdict = judge_generation(o, p, prompt, t->text, gen);
      const auto& g = t->generation;
      const double tps = g.value("decode_tps", 0.0);
      o.add("tokens_per_second", tps, "tok/s");
      o.output = t->text + "\n[" + verdict + "; stop " + t->stop_reason + "; greedy tokens from the " + t->source + "]";
      o.metrics = {{"tokens_per_second", tps}, {"time_to_first_token_ms", g.value("ttft_ms", 0.0)},
                   {"total_tokens", static_cast<std::int64_t>(t->greedy.size())},
                   {"memory_peak_mb", g.value("peak_rss_bytes", 0.0) / (1024.0 * 1024.0)}, {"shared_run", p["run"]}};
      return o;
    }
  auto m = load(p.at("model").get<std::string>());
  auto e = make_engine(m, backend_of(p));
  // The prompt as the shipped paths build it: chat renders the model's template through the same
  // PromptBuilder as `generate --chat` and `serve` (bos/eos tokens, template BOS handling).
  std::vector<std::int32_t> ids = prompt_ids(*e, prompt, chat);
  engine::SamplingOptions so;
  so.max_tokens = max_tokens;
  so.seed = p.value("seed", std::uint64_t{0});
  auto g = e->generate(ids, so);
  std::size_t gen = g.tokens.size();
  if (gen > 0 && e->tokenizer() && e->tokenizer()->is_end_of_generation(g.tokens.back())) --gen;
  std::string verdict = judge_generation(o, p, prompt, g.text, gen);
  o.add("tokens_per_second", g.decode_tps, "tok/s");
  o.output = g.text + "\n[" + verdict + "; stop " + g.stop_reason + "]";
  o.metrics = {{"tokens_per_second", g.decode_tps}, {"time_to_first_token_ms", g.ttft_ms},
               {"total_tokens", static_cast<std::int64_t>(g.tokens.size())},
               {"memory_peak_mb", static_cast<double>(g.peak_rss_bytes) / (1024.0 * 1024.0)}};
  return o;
}

}  // namespace apr::qa::checks
