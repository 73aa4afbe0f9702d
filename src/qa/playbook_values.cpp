#include "qa/playbook_values.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include <fmt/format.h>

#include "core/error.hpp"

namespace apr::qa {

using nlohmann::json;

static json block(bool enabled, const std::vector<std::string>& gates) {
  return {{"enabled", enabled}, {"gates", gates}};
}

json playbook_values(const Playbook& pb, const std::string& input_mode) {
  json v;
  const bool dir = input_mode == "directory";
  v["input"] = {{"mode", input_mode}};
  v["workspace"] = {{"formats", dir ? std::vector<std::string>{"safetensors", "apr", "gguf"} : pb.model.formats}};
  json model = {{"formats", pb.model.formats}, {"expected", json::object()}, {"size_category", pb.model.size_category},
                {"quantizations", pb.model.quantizations_given ? pb.model.quantizations : std::vector<std::string>{}}};
  for (const auto& [k, n] : pb.model.expected) model["expected"][k] = n;
  if (pb.model.family) model["family"] = *pb.model.family;
  v["model"] = model;
  const auto& tm = pb.test_matrix;
  v["test_matrix"] = {{"modalities", tm.modalities}, {"backends", tm.backends}, {"scenario_count", tm.scenario_count},
                      {"prompts", tm.prompts}, {"seed", tm.seed}};
  v["gates"] = {{"g1_model_loads", pb.gates.g1_model_loads}, {"g2_basic_inference", pb.gates.g2_basic_inference},
                {"g3_no_crashes", pb.gates.g3_no_crashes}, {"g4_output_quality", pb.gates.g4_output_quality}};
  v["contract_invariants"] = pb.contract_invariants;
  const auto& ct = pb.conversion_tests;
  v["conversion_tests"] = block(ct.enabled, {});
  v["conversion_tests"].update({{"tolerance", ct.tolerance}, {"tensor_tolerance", ct.tensor_tolerance},
                                {"prompt", ct.prompt}, {"max_tokens", ct.max_tokens}});
  const auto& d = pb.differential_tests;
  json dt;
  auto on = [](const DiffBlock& b) { return b.present && b.enabled; };
  dt["inference_compare"] = block(on(d.inference_compare), d.inference_compare.gates);
  dt["inference_compare"].update({{"prompt", d.inference_compare.prompt}, {"max_tokens", d.inference_compare.max_tokens},
                                  {"tolerance", d.inference_compare.tolerance}});
  dt["tensor_diff"] = block(on(d.tensor_diff), d.tensor_diff.gates);
  dt["tensor_diff"]["filter"] = d.tensor_diff.filter;
  dt["fingerprint"] = block(on(d.fingerprint), d.fingerprint.gates);
  dt["format_validation"] = block(on(d.format_validation), d.format_validation.gates);
  v["differential_tests"] = dt;
  const auto& tp = pb.trace_payload;
  v["trace_payload"] = block(tp.present && tp.enabled, tp.gates);
  v["trace_payload"]["prompt"] = tp.prompt.empty() ? "2+2=" : tp.prompt;
  const auto& pc = pb.profile_ci;
  json p = block(pc.present && pc.enabled, pc.gates);
  p["warmup"] = pc.warmup;
  p["measure"] = pc.measure;
  p["formats"] = pc.formats.empty() ? v["workspace"]["formats"] : json(pc.formats);
  p["backends"] = pc.backends.empty() ? json(tm.backends) : json(pc.backends);
  auto opt = [&](const char* k, const std::optional<double>& x) {
    if (x) p[k] = *x;
  };
  opt("min_throughput", pc.min_throughput);
  opt("min_throughput_cpu", pc.min_throughput_cpu);
  opt("min_throughput_gpu", pc.min_throughput_gpu);
  opt("max_p99_ms", pc.max_p99_ms);
  opt("max_p50_ms", pc.max_p50_ms);
  v["profile_ci"] = p;
  v["quantization_thresholds"] = json::object();
  for (const auto& [q, ms] : pb.quantization_thresholds)
    for (const auto& [m, x] : ms) v["quantization_thresholds"][q][m] = x;
  return v;
}

const std::vector<std::string>& playbook_quantizations() {
  static const std::vector<std::string> q = {"f32", "f16", "bf16", "q8_0", "q6_k", "q5_k_m", "q5_0", "q4_k_m", "q4_0", "q3_k_m", "q2_k"};
  return q;
}

const std::vector<std::string>& playbook_blocks() {
  static const std::vector<std::string> b = {"conversion_tests",
                                             "differential_tests.inference_compare",
                                             "differential_tests.tensor_diff",
                                             "differential_tests.fingerprint",
                                             "differential_tests.format_validation",
                                             "trace_payload",
                                             "profile_ci"};
  return b;
}

bool known_value_path(std::string_view dotted) {
  static const char* optional_paths[] = {"model.family", "profile_ci.min_throughput", "profile_ci.min_throughput_cpu",
                                         "profile_ci.min_throughput_gpu", "profile_ci.max_p99_ms", "profile_ci.max_p50_ms"};
  for (const char* o : optional_paths)
    if (dotted == o) return true;
  static const json defaults = playbook_values(Playbook{}, "directory");
  if (dotted.rfind("model.expected.", 0) == 0) return true;
  if (dotted.rfind("quantization_thresholds.", 0) == 0) {  // quantization_thresholds.<type>.<bound>
    auto rest = dotted.substr(24);
    auto dot = rest.find('.');
    if (dot == std::string_view::npos) return false;
    const auto& qs = playbook_quantizations();
    std::string_view m = rest.substr(dot + 1);
    return std::find(qs.begin(), qs.end(), rest.substr(0, dot)) != qs.end() &&
           (m == "kl_mean" || m == "kl_p99" || m == "top1_agreement" || m == "delta_ppl_rel");
  }
  return lookup_value(defaults, dotted).has_value();
}

std::optional<json> lookup_value(const json& view, std::string_view dotted) {
  const json* cur = &view;
  while (!dotted.empty()) {
    auto dot = dotted.find('.');
    std::string key(dotted.substr(0, dot));
    if (!cur->is_object() || !cur->contains(key)) return std::nullopt;
    cur = &(*cur)[key];
    if (dot == std::string_view::npos) break;
    dotted.remove_prefix(dot + 1);
  }
  return *cur;
}

static std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

static std::optional<double> number(std::string_view s) {
  s = trim(s);
  if (s.empty()) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

static std::vector<std::string_view> alternatives(std::string_view inner) {
  std::vector<std::string_view> out;
  while (true) {
    auto bar = inner.find('|');
    out.push_back(trim(inner.substr(0, bar)));
    if (bar == std::string_view::npos) break;
    inner.remove_prefix(bar + 1);
  }
  return out;
}

std::optional<json> resolve_reference(const json& view, std::string_view inner) {
  for (auto alt : alternatives(inner)) {
    if (auto n = number(alt)) return *n;
    if (auto v = lookup_value(view, alt)) return v;
  }
  return std::nullopt;
}

static bool is_whole_reference(std::string_view s) {
  return s.size() > 3 && s.substr(0, 2) == "${" && s.back() == '}' && s.find("${", 2) == std::string_view::npos;
}

std::optional<json> resolve_param(const json& view, const json& value) {
  if (value.is_string()) {
    std::string_view s = value.get_ref<const std::string&>();
    if (!is_whole_reference(s)) return value;
    return resolve_reference(view, s.substr(2, s.size() - 3));
  }
  if (value.is_array()) {
    json out = json::array();
    for (const auto& e : value)
      if (auto r = resolve_param(view, e)) out.push_back(*r);
    return out;
  }
  if (value.is_object()) {
    json out = json::object();
    for (auto it = value.begin(); it != value.end(); ++it)
      if (auto r = resolve_param(view, it.value())) out[it.key()] = *r;
    return out;
  }
  return value;
}

static std::size_t comparator_length(std::string_view e) {
  for (const char* op : {"<=", ">=", "=="})
    if (e.substr(0, 2) == op) return 2;
  if (!e.empty() && (e[0] == '<' || e[0] == '>')) return 1;
  return 0;
}

std::string check_requirement_syntax(std::string_view expr) {
  std::string_view e = trim(expr);
  std::size_t n = comparator_length(e);
  if (n == 0) return fmt::format("expected '<comparator> <threshold>' with a comparator <=, <, >=, > or ==, found '{}'", expr);
  std::string_view rhs = trim(e.substr(n));
  if (number(rhs)) return "";
  if (is_whole_reference(rhs)) {
    for (auto alt : alternatives(rhs.substr(2, rhs.size() - 3))) {
      if (number(alt)) continue;
      if (!known_value_path(alt)) return fmt::format("'{}' is not a playbook value (docs/gates.md lists them)", alt);
    }
    return "";
  }
  return fmt::format("expected a number or ${{playbook.value}} after '{}', found '{}'", e.substr(0, n), rhs);
}

std::vector<std::string> references_in(std::string_view text) {
  std::vector<std::string> out;
  std::size_t pos = 0;
  while ((pos = text.find("${", pos)) != std::string_view::npos) {
    auto end = text.find('}', pos);
    if (end == std::string_view::npos) break;
    for (auto alt : alternatives(text.substr(pos + 2, end - pos - 2)))
      if (!number(alt)) out.emplace_back(alt);
    pos = end + 1;
  }
  return out;
}

std::optional<BoundThreshold> bind_threshold(const json& view, std::string_view expr) {
  std::string_view e = trim(expr);
  std::size_t n = comparator_length(e);
  if (n == 0) throw validation_error(fmt::format("malformed requirement '{}'", expr));
  BoundThreshold b;
  b.comparator = comparator_from_string(e.substr(0, n)).value_or(Comparator::le);
  std::string_view rhs = trim(e.substr(n));
  if (auto x = number(rhs)) {
    b.threshold = *x;
    return b;
  }
  if (!is_whole_reference(rhs)) throw validation_error(fmt::format("malformed requirement '{}'", expr));
  auto v = resolve_reference(view, rhs.substr(2, rhs.size() - 3));
  if (!v) return std::nullopt;
  if (!v->is_number())
    throw validation_error(fmt::format("requirement '{}': the playbook value is {}, expected a number", expr, v->type_name()));
  b.threshold = v->get<double>();
  return b;
}

}  // namespace apr::qa
