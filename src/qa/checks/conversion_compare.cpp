// Check kinds conversion_pair, roundtrip_chain and commutativity: artifact b against artifact a.
// (a) every tensor (bytes where the dtype is kept, max |Δ| otherwise; a tensor missing on one
//     side is an infinite difference) → tensor_max_abs_diff, tensors_missing;
//     dtype changes no recorded provenance or format limit explains → unexplained_dtype_changes
//     (dtype_provenance.hpp);
// (b) the tokenizer, entry by entry → tokenizer_differences; every metadata key (GGUF record and
//     extra metadata, like with like) → metadata_differences; every config field →
//     config_differences; tied on one side only → tied_embeddings_mismatch (0/1);
// (c) teacher-forced logits of a and b on the gate's prompt plus a's greedy continuation →
//     diff = max over positions of max|Δlogit| / max|logit_a|, with greedy token equality,
//     KL and top-1 agreement recorded beside it;
// (d) load_errors: 1 when b fails the strict load (the architecture manifest check).
// A converted artifact that fails the strict load is reloaded without the manifest check (and
// with a's tokenizer borrowed when it has none) so that (a) and (b) are still measured; the
// load error goes into the verdict's reason. Logits that cannot be computed (the engine refuses
// the model) are recorded as `diff` = NaN with a note saying why — never as 0, never passing.
#include "qa/checks/check.hpp"
#include "qa/checks/teacher_forced.hpp"
#include "qa/checks/tensor_compare.hpp"
#include "qa/checks/tokenizer_compare.hpp"

#include <fmt/format.h>

#include "core/error.hpp"
#include "convert/diff.hpp"

namespace apr::qa::checks {

using nlohmann::json;

// (a) and (b): what the two files hold, measured without running them.
static void measure_contents(CheckOutput& o, const model::CanonicalModel& a, const LoadedArtifact& lb) {
  const auto& b = lb.model;
  auto tc = compare_tensors(a, *b);
  o.add("tensors_compared", static_cast<double>(tc.compared));
  o.add("tensors_missing", static_cast<double>(tc.missing_in_a + tc.missing_in_b + tc.shape_mismatches));
  o.add("tensor_max_abs_diff", tc.max_abs);
  o.add("tensors_differing_bytes", static_cast<double>(tc.differing_bytes));
  o.add("unexplained_dtype_changes", static_cast<double>(tc.unexplained_dtype_changes));
  // Every config field (convert::config_differences) and the tied lm_head, compared on both sides.
  const auto cfg_diffs = convert::config_differences(a.config, b->config);
  o.add("config_differences", static_cast<double>(cfg_diffs.size()));
  for (const auto& d : cfg_diffs) o.output += "config " + d + "\n";
  o.add("tied_embeddings_mismatch", a.config.tied_embeddings != b->config.tied_embeddings ? 1.0 : 0.0);
  if (a.config.tied_embeddings != b->config.tied_embeddings)
    o.output += fmt::format("tied embeddings: a {}, b {} (b {} an lm_head.weight)\n", a.config.tied_embeddings ? "tied" : "untied",
                            b->config.tied_embeddings ? "tied" : "untied", b->find("lm_head.weight") ? "carries" : "has no");
  // Every metadata key, like with like (convert::metadata_differences); the gate binds the threshold.
  const auto meta_diffs = convert::metadata_differences(a, *b);
  o.add("metadata_differences", static_cast<double>(meta_diffs.size()));
  for (std::size_t i = 0; i < meta_diffs.size() && i < 8; ++i) o.output += "metadata " + meta_diffs[i] + "\n";
  std::vector<std::string> tok_notes;
  static const model::TokenizerData kNone{};
  std::size_t tokdiff = tokenizer_differences(a.tokenizer, lb.tokenizer_absent ? kNone : b->tokenizer, &tok_notes);
  if (lb.tokenizer_absent) tok_notes.insert(tok_notes.begin(), "the converted model has no loadable tokenizer");
  o.add("tokenizer_differences", static_cast<double>(tokdiff));
  for (const auto& nt : tc.notes) o.output += nt + "\n";
  for (const auto& nt : tok_notes) o.output += nt + "\n";
}

CheckOutput conversion_compare(const json& p) {
  if (p.value("backend", "cpu") != "cpu") {
    CheckOutput s;
    // The teacher-forced runs these gates share are computed on the CPU engine; their gpu column
    // is the business of the catalogue's backend_parity gates until the shared runs take a backend.
    s.skip = gpu_unavailable(p).value_or("the gpu column of conversion gates is not implemented yet (the CPU-GPU parity gate checks the gpu backend)");
    return s;
  }
  CheckOutput o;
  const std::string path_a = p.at("a").get<std::string>(), path_b = p.at("b").get<std::string>();
  auto a = load(path_a);  // the reference side passed its own gates; failing to load it is an error
  LoadedArtifact lb = load_for_measurement(path_b, tokenizer_source_of(path_a));
  const std::string prompt = p.value("prompt", "What is 2+2?");
  const int max_tokens = p.value("max_tokens", 8);
  if (!lb.strict_error.empty()) o.note = "the converted model fails the strict load: " + lb.strict_error;
  o.output = fmt::format("a: {}\nb: {}\n", path_a, path_b);

  if (!lb.model) {
    const std::string why = "the converted model does not load: " + lb.lenient_error;
    o.add("tensors_compared", 0.0);
    o.not_measured("tensors_missing", why);
    o.not_measured("tensor_max_abs_diff", why);
    o.not_measured("tokenizer_differences", why);
    for (const char* m : {"unexplained_dtype_changes", "config_differences", "tied_embeddings_mismatch", "metadata_differences"})
      o.not_measured(m, why);
    o.add("positions_compared", 0.0);
    o.not_measured("diff", why, "ratio");
    o.not_measured("token_mismatches", why);
    o.add("load_errors", 1.0);
    return o;
  }
  const auto& b = lb.model;
  measure_contents(o, *a, lb);

  // (c) logits: a's run is shared with every other gate on the same artifact and prompt.
  TeacherForced ta = teacher_forced(p, "a", path_a, prompt, max_tokens, a);
  std::optional<TeacherForced> tb;
  std::string engine_error;
  try {
    tb = teacher_forced(p, "b", path_b, prompt, max_tokens, b);
  } catch (const Error& e) {
    if (is_environment_error(e)) throw;  // disk full / no permission: the run stops (exit 3)
    engine_error = e.what();
  }
  if (!tb) {
    const std::string why = "the converted model does not run: " + engine_error;
    o.add("positions_compared", 0.0);
    o.not_measured("diff", why, "ratio");
    o.not_measured("token_mismatches", why);
    o.output += why + "\n";
  } else {
    std::size_t mism = ta.prompt_ids == tb->prompt_ids ? 0 : 1;
    std::size_t n = std::max(ta.greedy.size(), tb->greedy.size());
    for (std::size_t i = 0; i < n; ++i)
      mism += (i >= ta.greedy.size() || i >= tb->greedy.size() || ta.greedy[i] != tb->greedy[i]) ? 1 : 0;
    auto lc = compare_teacher_forced(ta, *tb, path_b, b);
    o.add("positions_compared", static_cast<double>(lc.positions));
    o.add("diff", lc.diff, "ratio");
    o.add("token_mismatches", static_cast<double>(mism));
    o.add("logit_max_abs_diff", lc.max_abs);
    o.add("kl_max", lc.kl_max);
    o.add("top1_agreement", lc.top1_agreement, "ratio");
    o.output += fmt::format("prompt tokens {}, continuation a '{}' ({} tokens), b '{}' ({} tokens)\n", ta.prompt_ids.size(),
                            ta.text, ta.greedy.size(), tb->text, tb->greedy.size());
    o.metrics["total_tokens"] = static_cast<std::int64_t>(ta.greedy.size());
  }
  o.add("load_errors", lb.strict_error.empty() ? 0.0 : 1.0);
  if (!lb.strict_error.empty()) o.output += "strict load: " + lb.strict_error + "\n";
  return o;
}

}  // namespace apr::qa::checks
