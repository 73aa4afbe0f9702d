// apr-qa qa checks: loading artifacts and running the engine, for the check kinds.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "convert/load.hpp"
#include "engine/engine.hpp"

namespace apr::qa::checks {

// Loads a model file (throws apr::Error naming it on failure).
std::shared_ptr<const model::CanonicalModel> load(const std::string& path);
// Loads a model file without the architecture manifest check, so that the preflight checks can
// measure what is wrong with it (model::manifest_violations) instead of failing on the first
// violation. Throws only when the file cannot be read as a model at all.
std::shared_ptr<const model::CanonicalModel> load_unchecked(const std::string& path);

// A converted artifact loaded for measurement. `strict_error` is empty when the strict load
// succeeded. Otherwise the artifact was reloaded without the architecture manifest check
// (convert::LoadOptions::validate = false) so that its tensors can still be compared; when it
// has no loadable tokenizer, `reference_tokenizer` is borrowed to get at its tensors and
// `tokenizer_absent` says so (the tokenizer comparison then counts every entry as missing).
// `model` is null when even that lenient load fails (`lenient_error` says why).
struct LoadedArtifact {
  std::shared_ptr<const model::CanonicalModel> model;
  std::string strict_error, lenient_error;
  bool tokenizer_absent = false;
};
LoadedArtifact load_for_measurement(const std::string& path, const std::string& reference_tokenizer);
// What convert::LoadOptions::tokenizer accepts for a model file's tokenizer: the snapshot
// directory of a SafeTensors file, the file itself for GGUF and APR.
std::string tokenizer_source_of(const std::string& model_path);
std::unique_ptr<engine::Engine> make_engine(std::shared_ptr<const model::CanonicalModel> m,
                                            engine::Backend backend = engine::Backend::cpu);
// The backend a cell asks for (params.backend: "cpu" or "gpu"; anything else is a validation Error).
engine::Backend backend_of(const nlohmann::json& p);
// Why a gpu cell cannot run here ("no CUDA device (…)"), or nullopt when it can (or is a cpu cell).
std::optional<std::string> gpu_unavailable(const nlohmann::json& p);
// Prompt ids with the model's own tokenizer (throws when the model has none).
std::vector<std::int32_t> encode_prompt(const engine::Engine& e, const std::string& prompt);
// The prompt as the shipped paths build it: `chat` renders the model's chat template around one
// user turn through the same PromptBuilder as `generate --chat` and `serve`; otherwise
// encode_prompt. Throws when the model has no tokenizer (or, for chat, no template).
std::vector<std::int32_t> prompt_ids(engine::Engine& e, const std::string& prompt, bool chat);

// Teacher-forced comparison of two models' logits at the same positions (prompt + continuation).
struct LogitCompare {
  std::size_t positions = 0;
  double diff = 0;          // max over positions of max|Δ| / max|ref|
  double max_abs = 0;       // max|Δ|
  double kl_max = 0;        // max over positions of KL(softmax(ref) || softmax(other))
  double top1_agreement = 0;  // fraction of positions with equal argmax
  std::size_t nonfinite = 0;  // non-finite logits on either side
};
// The comparison on logits already computed: `positions` rows of `vocab` values each (the
// first positions × vocab values of both vectors are used; shorter vectors are an internal error).
LogitCompare compare_logit_rows(const std::vector<float>& ref, const std::vector<float>& other, std::size_t positions,
                                std::size_t vocab);

}  // namespace apr::qa::checks
