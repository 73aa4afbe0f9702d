// apr-qa qa checks: teacher-forced runs shared between gates (DAG node kind `infer`).
//
// A run of one artifact on one prompt: the prompt's ids (the artifact's own tokenizer), its
// greedy continuation of up to max_tokens tokens (reference mode, deterministic) and the logits
// of every position of prompt + continuation. The plan computes one run per (artifact, prompt),
// with max_tokens the largest any gate on that prompt needs; a gate wanting k tokens uses the
// first k greedy tokens and the logits rows of prompt + those tokens — by causality and the
// engine's determinism exactly what a run of k tokens computes.
//
// params draft_run (set by the planner on a run of a converted artifact, never on one matrix
// cells read): the source's run on the same prompt. Its greedy tokens are checked against this
// artifact in one batched pass (engine generate_verified); when this model's greedy decoding
// reproduces them, the run's tokens, stop, text and logits are exactly what generating gives
// (only the timings are the one pass's), else it generates as without a draft. run.json's
// "draft" says which happened.
//
// infer_step (worker side) writes `output` (run.json) and the logits beside it (run.logits.f32,
// float32 little-endian, positions × vocab) unless params logits is false (a run only matrix cells
// read: the greedy generation, its text and its timings). params chat renders the prompt with the
// model's chat template (chat cells). When the artifact fails to load or run, run.json
// records the error instead: the gates comparing that artifact then measure it themselves (a
// lenient load can still compare its tensors), so a broken artifact is never hidden behind an
// upstream failure. An existing run.json is replaced, never reused across runs.
#pragma once

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"

namespace apr::qa::checks {

CheckOutput infer_step(const nlohmann::json& params);

}  // namespace apr::qa::checks

namespace apr::qa::checks {

struct TeacherForced {
  std::vector<std::int32_t> prompt_ids, greedy;
  std::string text, stop_reason;
  std::int64_t vocab = 0;
  std::vector<float> logits;  // (prompt_ids.size() + greedy.size()) × vocab
  std::string source;         // "shared run <path>" or "computed in this check"
  bool last_eog = false;      // the last greedy token is an end-of-generation token
  bool draft_accepted = false;  // the greedy tokens were verified against a draft (no decoding steps)
  nlohmann::json generation;  // timings of the greedy generation: ttft_ms, prefill_tps, decode_tps, peak_rss_bytes
  std::vector<std::int32_t> sequence() const;
};

// Runs `m` on `prompt`: greedy continuation of up to max_tokens, then logits_all over the
// sequence. Throws apr::Error when the engine refuses the model or it has no tokenizer.
TeacherForced compute_teacher_forced(std::shared_ptr<const model::CanonicalModel> m, const std::string& prompt, int max_tokens);
// A draft for compute_teacher_forced: another run's prompt ids and greedy tokens.
struct Draft {
  std::vector<std::int32_t> prompt_ids, tokens;
};
TeacherForced compute_teacher_forced(engine::Engine& e, const std::string& prompt, int max_tokens, bool chat = false,
                                     bool logits = true, const Draft* draft = nullptr);

// The run of side `side` ("a" or "b") of a check node: the shared run named by params
// "<side>_run" when it holds one for this prompt, truncated to max_tokens; otherwise computed
// here from `model` (loaded from `path` when null). Throws apr::Error when it cannot be had.
TeacherForced teacher_forced(const nlohmann::json& p, const std::string& side, const std::string& path,
                             const std::string& prompt, int max_tokens,
                             std::shared_ptr<const model::CanonicalModel> model = nullptr);

// The greedy generation of the shared run at `run_path` (a matrix cell's params "run"): prompt ids,
// the first max_tokens greedy tokens, their text, stop reason and the run's timings; no logits.
// nullopt when the run recorded an error (the cell then generates itself). Throws when the run is
// missing or was made for another prompt, template use or a shorter generation.
std::optional<TeacherForced> read_generation(const std::string& run_path, const std::string& prompt, bool chat, int max_tokens);

// Logits of `ref` and `other` compared over ref's sequence. When other's own sequence differs
// (another prompt encoding or continuation), other's logits on ref's sequence are computed from
// `other_model` (loaded from `other_path` when null).
LogitCompare compare_teacher_forced(const TeacherForced& ref, const TeacherForced& other, const std::string& other_path,
                                    std::shared_ptr<const model::CanonicalModel> other_model = nullptr);

}  // namespace apr::qa::checks
