#include "qa/checks/model_access.hpp"

#ifdef APR_QA_CHECKS_REAL
#include <algorithm>
#include <cmath>

#include "core/error.hpp"

namespace apr::qa::checks {

std::shared_ptr<const model::CanonicalModel> load(const std::string& path) {
  auto m = convert::load_model(path);
  if (!m) throw m.error();
  return std::make_shared<const model::CanonicalModel>(std::move(*m));
}

std::unique_ptr<engine::Engine> make_engine(std::shared_ptr<const model::CanonicalModel> m) {
  engine::EngineOptions o;
  o.threads = 1;
  o.mode = engine::Mode::reference;
  auto e = engine::Engine::create(std::move(m), o);
  if (!e) throw e.error();
  return std::move(*e);
}

std::vector<std::int32_t> encode_prompt(const engine::Engine& e, const std::string& prompt) {
  const tok::Tokenizer* t = e.tokenizer();
  if (!t) throw validation_error("model has no tokenizer: cannot encode the gate's prompt");
  auto ids = t->encode(prompt);
  if (ids.empty()) throw validation_error("prompt '" + prompt + "' encodes to no token");
  return ids;
}

LogitCompare compare_logits(engine::Engine& ref, engine::Engine& other, const std::vector<std::int32_t>& ids) {
  LogitCompare c;
  if (ref.vocab() != other.vocab())
    throw validation_error("vocabulary sizes differ: " + std::to_string(ref.vocab()) + " vs " + std::to_string(other.vocab()));
  auto a = ref.logits_all(ids);
  auto b = other.logits_all(ids);
  auto V = static_cast<std::size_t>(ref.vocab());
  c.positions = V == 0 ? 0 : a.size() / V;
  if (a.size() != b.size() || c.positions != ids.size())
    throw internal_error("logits_all returned " + std::to_string(a.size()) + " and " + std::to_string(b.size()) + " values");
  std::size_t agree = 0;
  for (std::size_t p = 0; p < c.positions; ++p) {
    const float* x = a.data() + p * V;
    const float* y = b.data() + p * V;
    double maxref = 0, maxd = 0, mx = -INFINITY, my = -INFINITY;
    std::size_t ax = 0, ay = 0;
    for (std::size_t v = 0; v < V; ++v) {
      if (!std::isfinite(x[v]) || !std::isfinite(y[v])) { ++c.nonfinite; continue; }
      maxref = std::max(maxref, std::fabs(static_cast<double>(x[v])));
      maxd = std::max(maxd, std::fabs(static_cast<double>(x[v]) - y[v]));
      if (x[v] > mx) { mx = x[v]; ax = v; }
      if (y[v] > my) { my = y[v]; ay = v; }
    }
    agree += ax == ay;
    c.max_abs = std::max(c.max_abs, maxd);
    double rel = maxref > 0 ? maxd / maxref : (maxd > 0 ? INFINITY : 0.0);
    c.diff = std::max(c.diff, rel);
    double zx = 0, zy = 0;
    for (std::size_t v = 0; v < V; ++v) {
      if (!std::isfinite(x[v]) || !std::isfinite(y[v])) continue;
      zx += std::exp(x[v] - mx);
      zy += std::exp(y[v] - my);
    }
    double kl = 0;
    for (std::size_t v = 0; v < V; ++v) {
      if (!std::isfinite(x[v]) || !std::isfinite(y[v])) continue;
      double lp = x[v] - mx - std::log(zx), lq = y[v] - my - std::log(zy);
      kl += std::exp(lp) * (lp - lq);
    }
    c.kl_max = std::max(c.kl_max, kl);
  }
  if (c.nonfinite > 0) c.diff = INFINITY;
  c.top1_agreement = c.positions ? static_cast<double>(agree) / c.positions : 0.0;
  return c;
}

}  // namespace apr::qa::checks
#endif
