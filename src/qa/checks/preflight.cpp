// Check kinds preflight_validate, preflight_tensor, preflight_integrity (G0 gates): the source
// model's values and configuration, measured on the canonical model loaded without the manifest
// check — a model that violates its manifest is measured (counts of missing, mis-shaped and
// unexpected tensors), not refused.
#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "model/model_check.hpp"
#include "tensor/dequantize.hpp"

namespace apr::qa::checks {

CheckOutput preflight_validate(const nlohmann::json& p) {
  CheckOutput o;
  auto m = load_unchecked(p.at("model").get<std::string>());
  std::size_t nan = 0, inf = 0, zero_tensors = 0, scanned = 0;
  std::vector<float> row;
  for (const auto& t : m->tensors) {
    ++scanned;
    bool all_zero = true;
    for (std::int64_t r = 0; r < t.source.rows(); ++r) {
      row.resize(static_cast<std::size_t>(t.source.row_len()));
      dequantize_row(t.type(), t.row(r).data(), row.data(), t.source.row_len());
      for (float v : row) {
        if (std::isnan(v)) ++nan;
        else if (std::isinf(v)) ++inf;
        if (v != 0.0f) all_zero = false;
      }
    }
    if (all_zero) {
      ++zero_tensors;
      if (o.output.size() < 2000) o.output += "all-zero tensor: " + t.name + "\n";
    }
  }
  o.add("tensors_scanned", static_cast<double>(scanned));
  o.add("nan_count", static_cast<double>(nan));
  o.add("inf_count", static_cast<double>(inf));
  o.add("all_zero_tensors", static_cast<double>(zero_tensors));
  return o;
}

CheckOutput preflight_tensor(const nlohmann::json& p) {
  CheckOutput o;
  auto m = load_unchecked(p.at("model").get<std::string>());
  std::size_t missing = 0, shapes = 0, unexpected = 0, config = 0;
  for (const auto& v : model::manifest_violations(*m)) {
    using K = model::ManifestViolation::Kind;
    (v.kind == K::missing ? missing : v.kind == K::shape ? shapes : v.kind == K::unexpected ? unexpected : config) += 1;
    if (o.output.size() < 4000) o.output += (v.tensor.empty() ? "" : v.tensor + ": ") + v.message + "\n";
  }
  if (p.contains("family") && p["family"].is_string() && p["family"].get<std::string>() != model::to_string(m->config.arch)) {
    ++missing;
    o.output += fmt::format("playbook family {} but the model is {}\n", p["family"].get<std::string>(), model::to_string(m->config.arch));
  }
  o.add("required_tensors", static_cast<double>(m->tensors.size()));
  o.add("missing_required", static_cast<double>(missing));
  o.add("shape_mismatches", static_cast<double>(shapes));
  o.add("unexpected_tensors", static_cast<double>(unexpected));
  o.add("config_errors", static_cast<double>(config));
  return o;
}

CheckOutput preflight_integrity(const nlohmann::json& p) {
  CheckOutput o;
  auto m = load_unchecked(p.at("model").get<std::string>());
  const auto& c = m->config;
  o.add("config_ok", c.hidden > 0 && c.layers > 0 && c.vocab > 0 ? 1.0 : 0.0);
  static const std::regex layer_re("^model\\.layers\\.([0-9]+)\\.");
  std::int64_t max_layer = -1;
  for (const auto& t : m->tensors) {
    std::smatch mt;
    if (std::regex_search(t.name, mt, layer_re)) max_layer = std::max<std::int64_t>(max_layer, std::stoll(mt[1]));
  }
  const auto* emb = m->find("model.embed_tokens.weight");
  std::int64_t ev = emb && emb->shape().size() == 2 ? emb->shape()[0] : -1;
  std::int64_t eh = emb && emb->shape().size() == 2 ? emb->shape()[1] : -1;
  auto expected = [&](const char* k) -> std::optional<std::int64_t> {
    if (p.contains("expected") && p["expected"].contains(k)) return p["expected"][k].get<std::int64_t>();
    return std::nullopt;
  };
  auto mismatch = [&](std::int64_t cfg, std::int64_t found, std::optional<std::int64_t> exp, const char* what) {
    double n = (cfg != found) + (exp && *exp != cfg);
    o.output += fmt::format("{}: config {} tensors {}{}\n", what, cfg, found, exp ? fmt::format(" expected {}", *exp) : "");
    return n;
  };
  o.add("layers_mismatch", mismatch(c.layers, max_layer + 1, expected("num_layers"), "layers"));
  o.add("hidden_mismatch", mismatch(c.hidden, eh, expected("hidden_dim"), "hidden"));
  o.add("vocab_mismatch", mismatch(c.vocab, ev, expected("vocab_size"), "vocab"));
  const auto* up = m->find("model.layers.0.mlp.up_proj.weight");
  std::int64_t ef = up && up->shape().size() == 2 ? up->shape()[0] : -1;
  o.add("ffn_mismatch", mismatch(c.ffn, ef, expected("intermediate_dim"), "intermediate"));
  return o;
}

}  // namespace apr::qa::checks
