// Check kind backend_parity: the gpu backend against the cpu engine on one
// artifact. Greedy decoding on the cpu for max_tokens steps (end-of-generation ignored, so every
// step is compared), then the teacher-forced logits of prompt + continuation on both backends.
// Measurements: positions_compared, rel_max_diff = max|logit_gpu - logit_cpu| / max|logit_cpu|
// (ratio), greedy_steps (the gpu's own greedy run) and greedy_mismatches (steps whose token
// differs from the cpu's). Skipped with the reason where there is no CUDA device.
#include <algorithm>
#include <cmath>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"

namespace apr::qa::checks {

CheckOutput backend_parity(const nlohmann::json& p) {
  CheckOutput o;
  nlohmann::json gp = p;
  gp["backend"] = "gpu";
  if (auto why = gpu_unavailable(gp)) {
    o.skip = *why;
    return o;
  }
  auto m = load(p.at("model").get<std::string>());
  auto cpu = make_engine(m, engine::Backend::cpu);
  auto gpu = make_engine(m, engine::Backend::gpu);
  const auto ids = encode_prompt(*cpu, p.value("prompt", std::string("What is 2+2?")));
  engine::SamplingOptions so;
  so.max_tokens = p.value("max_tokens", 32);
  so.ignore_eos = true;
  const auto gc = cpu->generate(ids, so);
  const auto gg = gpu->generate(ids, so);
  std::size_t mism = 0;
  const std::size_t n = std::max(gc.tokens.size(), gg.tokens.size());
  for (std::size_t i = 0; i < n; ++i)
    mism += (i >= gc.tokens.size() || i >= gg.tokens.size() || gc.tokens[i] != gg.tokens[i]) ? 1 : 0;
  std::vector<std::int32_t> seq = ids;
  seq.insert(seq.end(), gc.tokens.begin(), gc.tokens.end());
  const auto lc = cpu->logits_all(seq);
  const auto lg = gpu->logits_all(seq);
  double max_ref = 0, max_diff = 0;
  std::size_t nonfinite = 0;
  for (std::size_t i = 0; i < lc.size(); ++i) {
    if (!std::isfinite(lc[i]) || !std::isfinite(lg[i])) {
      ++nonfinite;
      continue;
    }
    max_ref = std::max(max_ref, std::fabs(static_cast<double>(lc[i])));
    max_diff = std::max(max_diff, std::fabs(static_cast<double>(lg[i]) - static_cast<double>(lc[i])));
  }
  o.add("positions_compared", static_cast<double>(seq.size()));
  if (nonfinite > 0 || max_ref == 0)
    o.not_measured("rel_max_diff", nonfinite ? std::to_string(nonfinite) + " non-finite logits" : "all cpu logits are 0", "ratio");
  else
    o.add("rel_max_diff", max_diff / max_ref, "ratio");
  o.add("greedy_steps", static_cast<double>(gg.tokens.size()));
  o.add("greedy_mismatches", static_cast<double>(mism));
  o.add("gpu_tokens_per_second", gg.decode_tps, "tok/s");
  o.output = "cpu: " + gc.text + "\ngpu: " + gg.text + "\n";
  return o;
}

}  // namespace apr::qa::checks
