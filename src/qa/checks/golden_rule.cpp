// Check kind golden_rule: greedy token ids of the source and of its conversion are equal
// (the first golden-rule gate); the conversion loads (the second); the converted model generates (the third).
// The comparison is on token ids, never on text scraped from output. The greedy runs come from
// the plan's shared inference runs of the two artifacts (params a_run/b_run) when present.
#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/teacher_forced.hpp"

namespace apr::qa::checks {

CheckOutput golden_rule(const nlohmann::json& p) {
  CheckOutput o;
  const std::string prompt = p.value("prompt", "What is 2+2?");
  const int max_tokens = p.value("max_tokens", 10);
  const std::string path_a = p.at("a").get<std::string>(), path_b = p.at("b").get<std::string>();
  TeacherForced ga = teacher_forced(p, "a", path_a, prompt, max_tokens);
  o.add("generated_tokens", static_cast<double>(ga.greedy.size()));
  std::shared_ptr<const model::CanonicalModel> b;
  try {
    b = load(path_b);
  } catch (const Error& e) {
    if (is_environment_error(e)) throw;  // disk full / no permission: the run stops (exit 3)
    o.add("converted_tensors", 0.0);
    o.output = std::string("converted model does not load: ") + e.what();
    o.note = o.output;
    return o;
  }
  o.add("converted_tensors", static_cast<double>(b->tensors.size()));
  TeacherForced gb = teacher_forced(p, "b", path_b, prompt, max_tokens, b);
  o.add("converted_generated_tokens", static_cast<double>(gb.greedy.size()));
  std::size_t n = std::max(ga.greedy.size(), gb.greedy.size()), mism = 0;
  for (std::size_t i = 0; i < n; ++i)
    mism += (i >= ga.greedy.size() || i >= gb.greedy.size() || ga.greedy[i] != gb.greedy[i]) ? 1 : 0;
  o.add("token_mismatches", static_cast<double>(mism));
  o.output = fmt::format("source: {} -> [{}] '{}' ({})\nconverted: [{}] '{}' ({})\n", prompt, fmt::join(ga.greedy, ","), ga.text,
                         ga.source, fmt::join(gb.greedy, ","), gb.text, gb.source);
  o.metrics["total_tokens"] = static_cast<std::int64_t>(gb.greedy.size());
  return o;
}

}  // namespace apr::qa::checks
