#include "qa/checks/model_access.hpp"

#include "engine/prompt.hpp"

#include "engine/cuda/gpu_forward.hpp"
#include <algorithm>
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "core/error.hpp"

namespace apr::qa::checks {

std::shared_ptr<const model::CanonicalModel> load(const std::string& path) {
  auto m = convert::load_model(path);
  if (!m) throw m.error();
  return std::make_shared<const model::CanonicalModel>(std::move(*m));
}

std::shared_ptr<const model::CanonicalModel> load_unchecked(const std::string& path) {
  convert::LoadOptions lo;
  lo.validate = false;
  auto m = convert::load_model(path, lo);
  if (!m) throw m.error();
  return std::make_shared<const model::CanonicalModel>(std::move(*m));
}

std::string tokenizer_source_of(const std::string& model_path) {
  std::filesystem::path p(model_path);
  const std::string name = p.filename().string();
  if (name.ends_with(".safetensors") || name.ends_with(".safetensors.index.json")) return p.parent_path().string();
  return model_path;
}

LoadedArtifact load_for_measurement(const std::string& path, const std::string& reference_tokenizer) {
  LoadedArtifact r;
  auto strict = convert::load_model(path);
  if (strict) {
    r.model = std::make_shared<const model::CanonicalModel>(std::move(*strict));
    return r;
  }
  r.strict_error = strict.error().what();
  convert::LoadOptions lo;
  lo.validate = false;
  auto lenient = convert::load_model(path, lo);
  if (!lenient && !reference_tokenizer.empty()) {
    // The artifact's own tokenizer is missing or unreadable: borrow the reference's to reach the
    // tensors, and remember that the artifact has none.
    lo.tokenizer = reference_tokenizer;
    auto borrowed = convert::load_model(path, lo);
    if (borrowed) {
      r.tokenizer_absent = true;
      lenient = std::move(borrowed);
    }
  }
  if (!lenient) {
    r.lenient_error = lenient.error().what();
    return r;
  }
  r.model = std::make_shared<const model::CanonicalModel>(std::move(*lenient));
  return r;
}

engine::Backend backend_of(const nlohmann::json& p) {
  const std::string b = p.value("backend", "cpu");
  if (b == "cpu") return engine::Backend::cpu;
  if (b == "gpu") return engine::Backend::gpu;
  throw validation_error("backend '" + b + "': expected cpu or gpu").at_key("backend");
}

std::optional<std::string> gpu_unavailable(const nlohmann::json& p) {
  if (backend_of(p) != engine::Backend::gpu) return std::nullopt;
  static const engine::gpu::DeviceInfo d = engine::gpu_device();
  if (d.available) return std::nullopt;
  return d.reason;
}

std::unique_ptr<engine::Engine> make_engine(std::shared_ptr<const model::CanonicalModel> m, engine::Backend backend) {
  engine::EngineOptions o;
  o.threads = 1;
  o.mode = engine::Mode::reference;
  o.backend = backend;
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

std::vector<std::int32_t> prompt_ids(engine::Engine& e, const std::string& prompt, bool chat) {
  if (!chat) return encode_prompt(e, prompt);
  auto pb = engine::PromptBuilder::create(e);
  if (!pb) throw pb.error();
  auto ids = pb->chat(engine::single_turn(prompt, std::nullopt));
  if (!ids) throw ids.error();
  return std::move(ids.value());
}

LogitCompare compare_logit_rows(const std::vector<float>& a, const std::vector<float>& b, std::size_t positions, std::size_t V) {
  LogitCompare c;
  if (a.size() < positions * V || b.size() < positions * V)
    throw internal_error(fmt::format("logit comparison of {} positions x {} needs {} values, has {} and {}", positions, V,
                                     positions * V, a.size(), b.size()));
  c.positions = V == 0 ? 0 : positions;
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
