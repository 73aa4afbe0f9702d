// Optional playbook blocks (anchor-spec §1.3) and apr-qa's conversion_tests extension.
#include <fmt/format.h>

#include "qa/playbook_values.hpp"
#include "qa/playbook_internal.hpp"

namespace apr::qa {

using namespace yamlr;

static void read_diff_common(PbCtx& pc, MapReader& r, const std::string& k, DiffBlock& b) {
  b.present = true;
  b.enabled = false;
  if (auto v = r.take("enabled"); v.IsDefined()) b.enabled = as_bool(pc.c, v, k + ".enabled");
  if (auto v = r.take("gates"); v.IsDefined()) b.gates = as_string_list(pc.c, v, k + ".gates");
}

static void read_differential(PbCtx& pc, const YAML::Node& n) {
  auto& d = pc.pb->differential_tests;
  MapReader r(pc.c, n, "differential_tests");
  if (auto v = r.take("format_validation"); v.IsDefined()) {
    const std::string k = "differential_tests.format_validation";
    MapReader b(pc.c, v, k);
    read_diff_common(pc, b, k, d.format_validation);
    if (auto c = b.take("checks"); c.IsDefined()) {
      if (!c.IsSequence()) fail(pc.c, c, k + ".checks", "expected a list, found " + describe(c));
      for (std::size_t i = 0; i < c.size(); ++i)
        d.format_validation.checks.push_back(as_enum(pc.c, c[i], fmt::format("{}.checks[{}]", k, i),
                                                     {"dtype_mapping", "tensor_alignment", "header_integrity"}));
    }
    b.finish();
    note(pc, v, k, d.format_validation.enabled ? "adds format contract gates (F-APR-FORMAT-*) on every artifact" : "disabled");
  }
  if (auto v = r.take("tensor_diff"); v.IsDefined()) {
    const std::string k = "differential_tests.tensor_diff";
    MapReader b(pc.c, v, k);
    read_diff_common(pc, b, k, d.tensor_diff);
    if (auto f = b.take("filter"); f.IsDefined()) d.tensor_diff.filter = as_string(pc.c, f, k + ".filter");
    b.finish();
    note(pc, v, k, d.tensor_diff.enabled ? "adds tensor diff gates (F-ROSETTA-DIFF-*) between formats, limited to the filter" : "disabled");
  }
  if (auto v = r.take("inference_compare"); v.IsDefined()) {
    const std::string k = "differential_tests.inference_compare";
    MapReader b(pc.c, v, k);
    auto& ic = d.inference_compare;
    read_diff_common(pc, b, k, ic);
    if (auto p = b.take("prompt"); p.IsDefined()) ic.prompt = as_string(pc.c, p, k + ".prompt");
    if (auto m = b.take("max_tokens"); m.IsDefined()) ic.max_tokens = static_cast<int>(as_int(pc.c, m, k + ".max_tokens", 1, 4096));
    if (auto t = b.take("tolerance"); t.IsDefined()) ic.tolerance = as_number(pc.c, t, k + ".tolerance");
    b.finish();
    note(pc, v, k, ic.enabled ? "adds F-ROSETTA-INF-* gates: teacher-forced logits and greedy tokens of each format against the first, within tolerance" : "disabled");
  }
  if (auto v = r.take("fingerprint"); v.IsDefined()) {
    const std::string k = "differential_tests.fingerprint";
    MapReader b(pc.c, v, k);
    read_diff_common(pc, b, k, d.fingerprint);
    if (auto t = b.take("tensors"); t.IsDefined()) d.fingerprint.tensors = as_string(pc.c, t, k + ".tensors");
    if (auto s = b.take("stats"); s.IsDefined()) {
      if (!s.IsSequence()) fail(pc.c, s, k + ".stats", "expected a list, found " + describe(s));
      for (std::size_t i = 0; i < s.size(); ++i)
        d.fingerprint.stats.push_back(as_enum(pc.c, s[i], fmt::format("{}.stats[{}]", k, i), {"mean", "std", "min", "max", "checksum"}));
    }
    b.finish();
    note(pc, v, k, d.fingerprint.enabled ? "adds F-ROSETTA-FP-* gates: NaN/Inf scan and per-tensor statistics of every format" : "disabled");
  }
  if (auto v = r.take("validate_stats"); v.IsDefined()) {
    const std::string k = "differential_tests.validate_stats";
    MapReader b(pc.c, v, k);
    read_diff_common(pc, b, k, d.validate_stats);
    if (auto x = b.take("reference"); x.IsDefined()) d.validate_stats.reference = as_string(pc.c, x, k + ".reference");
    if (auto t = b.take("tolerance"); t.IsDefined()) {
      MapReader tr(pc.c, t, k + ".tolerance");
      for (const char* role : {"layernorm", "embedding", "attention"})
        if (auto x = tr.take(role); x.IsDefined()) d.validate_stats.tolerance[role] = as_number(pc.c, x, k + ".tolerance." + role);
      tr.finish();
    }
    b.finish();
    ignored(pc, v, k, "needs a reference statistics file, which the anchor never defined; use tensor_diff/fingerprint");
  }
  r.finish();
}

static void read_profile_ci(PbCtx& pc, const YAML::Node& n) {
  const std::string k = "profile_ci";
  auto& p = pc.pb->profile_ci;
  MapReader r(pc.c, n, k);
  p.present = true;
  if (auto v = r.take("enabled"); v.IsDefined()) p.enabled = as_bool(pc.c, v, k + ".enabled");
  if (auto v = r.take("warmup"); v.IsDefined()) p.warmup = static_cast<int>(as_int(pc.c, v, k + ".warmup", 0, 1000));
  if (auto v = r.take("measure"); v.IsDefined()) p.measure = static_cast<int>(as_int(pc.c, v, k + ".measure", 1, 10000));
  auto enum_list = [&](const char* key, const std::vector<std::string>& allowed, std::vector<std::string>& out) {
    if (auto v = r.take(key); v.IsDefined()) {
      if (!v.IsSequence()) fail(pc.c, v, k + "." + key, "expected a list, found " + describe(v));
      for (std::size_t i = 0; i < v.size(); ++i) out.push_back(as_enum(pc.c, v[i], fmt::format("{}.{}[{}]", k, key, i), allowed));
    }
  };
  enum_list("formats", {"gguf", "safetensors", "apr"}, p.formats);
  enum_list("backends", {"cpu", "gpu"}, p.backends);
  if (auto a = r.take("assertions"); a.IsDefined()) {
    MapReader ar(pc.c, a, k + ".assertions");
    struct A { const char* key; std::optional<double>* dst; };
    A as[] = {{"min_throughput", &p.min_throughput}, {"min_throughput_cpu", &p.min_throughput_cpu},
              {"min_throughput_gpu", &p.min_throughput_gpu}, {"max_p99_ms", &p.max_p99_ms}, {"max_p50_ms", &p.max_p50_ms}};
    for (auto& x : as)
      if (auto v = ar.take(x.key); v.IsDefined()) *x.dst = as_number(pc.c, v, k + ".assertions." + x.key);
    ar.finish();
  }
  if (auto v = r.take("gates"); v.IsDefined()) p.gates = as_string_list(pc.c, v, k + ".gates");
  r.finish();
  note(pc, n, k, p.enabled ? "adds the catalogue gates planned for block profile_ci: throughput (tok/s) and p99/p50 latency per format × backend against the assertions" : "disabled");
}

static void read_trace_payload(PbCtx& pc, const YAML::Node& n) {
  const std::string k = "trace_payload";
  auto& t = pc.pb->trace_payload;
  MapReader r(pc.c, n, k);
  t.present = true;
  if (auto v = r.take("enabled"); v.IsDefined()) t.enabled = as_bool(pc.c, v, k + ".enabled");
  if (auto v = r.take("prompt"); v.IsDefined()) t.prompt = as_string(pc.c, v, k + ".prompt");
  if (auto v = r.take("gates"); v.IsDefined()) t.gates = as_string_list(pc.c, v, k + ".gates");
  r.finish();
  note(pc, n, k, t.enabled ? "adds the catalogue gates planned for block trace_payload: every logit of the prompt's forward pass is finite" : "disabled");
}

static void read_contract_tests(PbCtx& pc, const YAML::Node& n) {
  const std::string k = "contract_tests";
  MapReader r(pc.c, n, k);
  if (auto v = r.take("invariants"); v.IsDefined()) {
    if (!v.IsSequence()) fail(pc.c, v, k + ".invariants", "expected a list, found " + describe(v));
    pc.pb->contract_invariants.clear();
    for (std::size_t i = 0; i < v.size(); ++i)
      pc.pb->contract_invariants.push_back(as_enum(pc.c, v[i], fmt::format("{}.invariants[{}]", k, i), {"I-1", "I-2", "I-3", "I-4", "I-5"}));
  }
  r.finish();
  note(pc, n, k, "selects the F-CONTRACT-I* format contract invariants run on the converted artifacts");
}

static void read_ollama(PbCtx& pc, const YAML::Node& n) {
  const std::string k = "ollama_parity";
  MapReader r(pc.c, n, k);
  if (auto v = r.take("enabled"); v.IsDefined()) (void)as_bool(pc.c, v, k + ".enabled");
  if (auto v = r.take("model_tag"); v.IsDefined()) (void)as_string(pc.c, v, k + ".model_tag");
  if (auto v = r.take("quantizations"); v.IsDefined()) (void)as_string_list(pc.c, v, k + ".quantizations");
  if (auto v = r.take("prompts"); v.IsDefined()) (void)as_string_list(pc.c, v, k + ".prompts");
  if (auto v = r.take("temperature"); v.IsDefined()) {
    double t = as_number(pc.c, v, k + ".temperature");
    if (t < 0 || t > 2) fail(pc.c, v, k + ".temperature", fmt::format("expected a number in [0, 2], found {}", t));
  }
  if (auto v = r.take("min_perf_ratio"); v.IsDefined()) (void)as_number(pc.c, v, k + ".min_perf_ratio");
  if (auto v = r.take("gates"); v.IsDefined()) (void)as_string_list(pc.c, v, k + ".gates");
  r.finish();
  ignored(pc, n, k, "apr-qa does not drive ollama (the anchor hard-wires it off too)");
}

static void read_kernel_profile(PbCtx& pc, const YAML::Node& n) {
  const std::string k = "kernel_profile";
  MapReader r(pc.c, n, k);
  if (auto v = r.take("family"); v.IsDefined()) (void)as_string(pc.c, v, k + ".family");
  if (auto v = r.take("kernel_ops"); v.IsDefined()) (void)as_string_list(pc.c, v, k + ".kernel_ops");
  if (auto v = r.take("prompt_count"); v.IsDefined()) (void)as_int(pc.c, v, k + ".prompt_count", 0, 1000000);
  if (auto v = r.take("long_context"); v.IsDefined()) (void)as_bool(pc.c, v, k + ".long_context");
  r.finish();
  ignored(pc, n, k, "informational (written by the anchor's bootstrap); the prompts it chose are in test_matrix.prompts");
}

static void read_conversion_tests(PbCtx& pc, const YAML::Node& n) {
  const std::string k = "conversion_tests";
  auto& c = pc.pb->conversion_tests;
  MapReader r(pc.c, n, k);
  c.present = true;
  if (auto v = r.take("enabled"); v.IsDefined()) c.enabled = as_bool(pc.c, v, k + ".enabled");
  if (auto v = r.take("tolerance"); v.IsDefined()) c.tolerance = as_number(pc.c, v, k + ".tolerance");
  if (auto v = r.take("tensor_tolerance"); v.IsDefined()) c.tensor_tolerance = as_number(pc.c, v, k + ".tensor_tolerance");
  if (auto v = r.take("prompt"); v.IsDefined()) c.prompt = as_string(pc.c, v, k + ".prompt");
  if (auto v = r.take("max_tokens"); v.IsDefined()) c.max_tokens = static_cast<int>(as_int(pc.c, v, k + ".max_tokens", 1, 4096));
  r.finish();
  note(pc, n, k, c.enabled ? "conversion suite thresholds: diff (relative max |Δlogit|) and tensor_max_abs_diff" : "disables the conversion suite");
}

static void read_quantization_thresholds(PbCtx& pc, const YAML::Node& n) {
  const std::string k = "quantization_thresholds";
  if (!n.IsMap()) fail(pc.c, n, k, "expected a mapping of quantization type to bounds, found " + describe(n));
  MapReader r(pc.c, n, k);
  for (const auto& q : playbook_quantizations()) {
    auto v = r.take(q);
    if (!v.IsDefined()) continue;
    MapReader b(pc.c, v, k + "." + q);
    for (const char* m : {"kl_mean", "kl_p99", "top1_agreement", "delta_ppl_rel"})
      if (auto x = b.take(m); x.IsDefined()) {
        double d = as_number(pc.c, x, k + "." + q + "." + m);
        if (!(d >= 0)) fail(pc.c, x, k + "." + q + "." + m, "expected a number >= 0");
        pc.pb->quantization_thresholds[q][m] = d;
      }
    b.finish();
  }
  r.finish();
  note(pc, n, k, "bounds of the F-QUANT-* gates per quantization type, replacing the catalogue's defaults (docs/quantization.md)");
}

void read_optional_blocks(PbCtx& pc, MapReader& r) {
  if (auto v = r.take("quantization_thresholds"); v.IsDefined()) read_quantization_thresholds(pc, v);
  if (auto v = r.take("differential_tests"); v.IsDefined()) read_differential(pc, v);
  if (auto v = r.take("profile_ci"); v.IsDefined()) read_profile_ci(pc, v);
  if (auto v = r.take("trace_payload"); v.IsDefined()) read_trace_payload(pc, v);
  if (auto v = r.take("contract_tests"); v.IsDefined()) read_contract_tests(pc, v);
  if (auto v = r.take("ollama_parity"); v.IsDefined()) read_ollama(pc, v);
  if (auto v = r.take("kernel_profile"); v.IsDefined()) read_kernel_profile(pc, v);
  if (auto v = r.take("conversion_tests"); v.IsDefined()) read_conversion_tests(pc, v);
  struct Loose { const char* key; const char* why; };
  for (auto [key, why] : {Loose{"verification_tests", "the anchor never parsed it; the matrix (formats × prompts) and differential_tests.inference_compare measure the same"},
                          Loose{"mvp_matrix", "the anchor never parsed it; test_matrix expands to the same format × backend × modality cells"},
                          Loose{"verification_gates", "the anchor never parsed it (ticket cross-references)"}}) {
    if (auto v = r.take(key); v.IsDefined()) {
      if (!v.IsSequence()) fail(pc.c, v, key, "expected a list of mappings, found " + describe(v));
      for (std::size_t i = 0; i < v.size(); ++i)
        if (!v[i].IsMap()) fail(pc.c, v[i], fmt::format("{}[{}]", key, i), "expected a mapping, found " + describe(v[i]));
      ignored(pc, v, key, why);
    }
  }
  if (auto v = r.take("state_machine"); v.IsDefined()) {
    if (!v.IsMap()) fail(pc.c, v, "state_machine", "expected a mapping, found " + describe(v));
    ignored(pc, v, "state_machine", "the anchor parses it but never executes it; apr-qa does not either");
  }
}

}  // namespace apr::qa
