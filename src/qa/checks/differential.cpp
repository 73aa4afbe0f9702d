// Check kinds differential_inference (F-ROSETTA-INF-*) and differential_tensor
// (F-ROSETTA-DIFF-*): one format's artifact against the reference format's.
#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/teacher_forced.hpp"
#include "qa/checks/tensor_compare.hpp"

namespace apr::qa::checks {

CheckOutput differential_inference(const nlohmann::json& p) {
  CheckOutput o;
  const std::string path_a = p.at("a").get<std::string>(), path_b = p.at("b").get<std::string>();
  auto b = load(path_b);
  const std::string prompt = p.value("prompt", "What is 2+2?");
  const int max_tokens = p.value("max_tokens", 10);
  // The greedy runs and logits come from the plan's shared inference runs when present.
  TeacherForced ga = teacher_forced(p, "a", path_a, prompt, max_tokens);
  TeacherForced gb = teacher_forced(p, "b", path_b, prompt, max_tokens, b);
  std::size_t n = std::max(ga.greedy.size(), gb.greedy.size()), mism = 0, pad = 0;
  for (std::size_t i = 0; i < n; ++i)
    mism += (i >= ga.greedy.size() || i >= gb.greedy.size() || ga.greedy[i] != gb.greedy[i]) ? 1 : 0;
  auto tb = tok::Tokenizer::from_data(b->tokenizer);
  if (!tb) throw tb.error();
  for (std::size_t i = 0; i + 1 < gb.greedy.size() || (i < gb.greedy.size() && gb.stop_reason != "eos"); ++i) {
    auto id = gb.greedy[i];
    std::string t = tb->token_text(id);
    if ((b->tokenizer.pad_id && *b->tokenizer.pad_id == id) || t == "<pad>" || t == "<|endoftext|>") ++pad;
  }
  auto lc = compare_teacher_forced(ga, gb, path_b, b);
  o.add("positions_compared", static_cast<double>(lc.positions));
  o.add("token_mismatches", static_cast<double>(mism));
  o.add("diff", lc.diff, "ratio");
  o.add("pad_fraction", gb.greedy.empty() ? 1.0 : static_cast<double>(pad) / gb.greedy.size(), "ratio");
  o.add("kl_max", lc.kl_max);
  o.add("top1_agreement", lc.top1_agreement);
  o.output = fmt::format("reference '{}' ({})\nother '{}' ({})\n", ga.text, ga.source, gb.text, gb.source);
  return o;
}

CheckOutput differential_tensor(const nlohmann::json& p) {
  CheckOutput o;
  auto a = load(p.at("a").get<std::string>());
  auto b = load(p.at("b").get<std::string>());
  auto tc = compare_tensors(*a, *b, p.value("filter", ""));
  o.add("tensors_compared", static_cast<double>(tc.compared));
  o.add("transposed_tensors", static_cast<double>(tc.transposed));
  o.add("shape_mismatches", static_cast<double>(tc.shape_mismatches + tc.missing_in_a + tc.missing_in_b));
  o.add("tensor_max_abs_diff", tc.max_abs);
  o.add("unexplained_dtype_changes", static_cast<double>(tc.unexplained_dtype_changes));
  for (const auto& n : tc.notes) o.output += n + "\n";
  return o;
}

}  // namespace apr::qa::checks
