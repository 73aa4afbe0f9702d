// apr-qa qa checks: loading artifacts and running the engine, for the check kinds.
// Available only when apr_convert and apr_engine are linked (APR_QA_HAVE_CONVERT/ENGINE).
#pragma once

#if defined(APR_QA_HAVE_CONVERT) && defined(APR_QA_HAVE_ENGINE) && __has_include("convert/load.hpp") && __has_include("engine/engine.hpp")
#define APR_QA_CHECKS_REAL 1
#include <memory>
#include <string>
#include <vector>

#include "convert/load.hpp"
#include "engine/engine.hpp"

namespace apr::qa::checks {

// Loads a model file (throws apr::Error naming it on failure).
std::shared_ptr<const model::CanonicalModel> load(const std::string& path);
std::unique_ptr<engine::Engine> make_engine(std::shared_ptr<const model::CanonicalModel> m);
// Prompt ids with the model's own tokenizer (throws when the model has none).
std::vector<std::int32_t> encode_prompt(const engine::Engine& e, const std::string& prompt);

// Teacher-forced comparison of two engines on `ids` (prompt + continuation).
struct LogitCompare {
  std::size_t positions = 0;
  double diff = 0;          // max over positions of max|Δ| / max|ref|
  double max_abs = 0;       // max|Δ|
  double kl_max = 0;        // max over positions of KL(softmax(ref) || softmax(other))
  double top1_agreement = 0;  // fraction of positions with equal argmax
  std::size_t nonfinite = 0;  // non-finite logits on either side
};
LogitCompare compare_logits(engine::Engine& ref, engine::Engine& other, const std::vector<std::int32_t>& ids);

}  // namespace apr::qa::checks
#endif
