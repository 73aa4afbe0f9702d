// Planning of each gate family into check nodes (see plan.hpp).
#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "qa/plan_builder.hpp"

namespace apr::qa {

using nlohmann::json;

std::string oracle_for_prompt(const std::string& p) {
  bool op = p.find_first_of("+-*/") != std::string::npos;
  bool digit = std::any_of(p.begin(), p.end(), [](unsigned char c) { return std::isdigit(c); });
  if (op && digit) return "arithmetic";
  for (const char* pre : {"def ", "fn ", "function ", "class ", "async "})
    if (p.rfind(pre, 0) == 0) return "code_syntax";
  if (p.find("```") != std::string::npos) return "code_syntax";
  return "garbage";
}

static std::string fmt_letter(const std::string& f) {
  return f == "gguf" ? "G" : (f == "apr" ? "A" : "S");
}

static json conv_thresholds(const PlanBuilder& b) {
  const auto& c = b.pb.conversion_tests;
  return {{"tolerance", c.tolerance}, {"tensor_tolerance", c.tensor_tolerance},
          {"prompt", c.prompt}, {"max_tokens", c.max_tokens}};
}

void plan_preflight(PlanBuilder& b) {
  const Node src = b.node(b.resolve_id);  // a copy: adding nodes reallocates plan.nodes
  json base = {{"model", src.artifact}, {"format", src.format}, {"expected", b.pb.model.expected}};
  if (b.pb.model.family) base["family"] = *b.pb.model.family;
  auto sc = [&](const char* what) { return b.scenario("run", "cpu", src.format, what, 0); };
  std::optional<std::string> off;
  if (!b.pb.gates.g1_model_loads) off = "disabled by playbook gates.g1_model_loads";
  auto add = [&](const char* check, std::vector<std::string> gates, const char* prompt, const char* suffix) {
    std::string id = b.add_check(check, std::move(gates), {b.resolve_id}, base, sc(prompt), suffix);
    if (off) b.plan.nodes[b.plan.index_of(id)].skip_reason = off;
  };
  add("preflight_validate", {"G0-VALIDATE-001"}, "G0 Validate: NaN/Inf/all-zero tensors", "g0-validate");
  add("preflight_tensor", {"G0-TENSOR-001"}, "G0 Tensor: architecture template", "g0-tensor");
  add("preflight_integrity", {"G0-INTEGRITY-CONFIG", "G0-INTEGRITY-LAYERS", "G0-INTEGRITY-HIDDEN", "G0-INTEGRITY-VOCAB"},
      "G0 Integrity: config.json vs tensors", "g0-integrity");
  add("preflight_layout", {"G0-LAYOUT-001"}, "G0 Layout: row-major contract", "g0-layout");
}

void plan_matrix(PlanBuilder& b) {
  const auto& tm = b.pb.test_matrix;
  std::uint64_t seed = tm.seed;
  std::vector<std::string> enabled;
  for (const auto& o : b.pb.oracles) enabled.push_back(o.type);
  json garbage_cfg = json::object();
  for (const auto& o : b.pb.oracles)
    if (o.type == "garbage") garbage_cfg = o.config;
  for (const auto& modality : tm.modalities) {
    for (const auto& backend : tm.backends) {
      int cell = (modality == "run" ? 1 : modality == "chat" ? 3 : 5) + (backend == "gpu" ? 1 : 0);
      std::string gate = fmt::format("F-A{}-001", cell);
      for (const auto& format : b.pb.model.formats) {
        std::string art = b.artifact_of(format);
        for (int i = 0; i < tm.scenario_count; ++i) {
          const std::string& prompt = tm.prompts[static_cast<std::size_t>(i) % tm.prompts.size()];
          std::string oracle = oracle_for_prompt(prompt);
          if (!enabled.empty() && std::find(enabled.begin(), enabled.end(), oracle) == enabled.end()) oracle = "garbage";
          if (!b.pb.gates.g4_output_quality) oracle = "none";
          ScenarioInfo sc = b.scenario(modality, backend, format, prompt, seed++);
          sc.oracle_type = oracle == "none" ? "garbage" : oracle;
          json p = {{"model", b.node(art).artifact}, {"format", format}, {"modality", modality},
                    {"backend", backend}, {"prompt", prompt}, {"max_tokens", 32}, {"seed", sc.seed},
                    {"oracle", oracle}, {"oracle_config", garbage_cfg}};
          std::string id = b.add_check("inference", {gate}, {art}, p, sc, fmt::format("{}-{}-{}", modality, backend, format));
          if (!b.pb.gates.g2_basic_inference)
            b.plan.nodes[b.plan.index_of(id)].skip_reason = "disabled by playbook gates.g2_basic_inference";
        }
      }
    }
  }
}

void plan_conversion_suite(PlanBuilder& b) {
  static const std::vector<std::string> backends{"cpu", "gpu"};
  auto compare = [&](const std::string& gate, const std::string& check, const std::string& a_id,
                     const std::string& b_id, const std::string& fmt_b, const std::string& prompt_text) {
    for (const auto& be : backends) {
      json p = conv_thresholds(b);
      p["a"] = b.node(a_id).artifact;
      p["b"] = b.node(b_id).artifact;
      p["format_a"] = b.node(a_id).format;
      p["format_b"] = b.node(b_id).format;
      p["backend"] = be;
      std::vector<std::string> deps{a_id, b_id};
      if (be == "cpu") {  // the shared runs are cpu runs; a gpu cell measures on its own backend
        b.use_run(p, deps, "a", a_id, b.pb.conversion_tests.prompt);
        b.use_run(p, deps, "b", b_id, b.pb.conversion_tests.prompt);
      }
      b.add_check(check, {gate}, deps, p, b.scenario("run", be, fmt_b, prompt_text, 0), "conv-" + gate.substr(7) + "-" + be);
    }
  };
  for (const auto& g : b.cat.gates()) {
    if (g.kind == CheckKind::conversion_pair || g.kind == CheckKind::roundtrip_chain) {
      std::vector<std::string> ch = g.params["chain"].get<std::vector<std::string>>();
      std::string start = b.artifact_of(ch.front());
      std::string end = b.chain(ch);
      std::string what = g.kind == CheckKind::conversion_pair ? "Convert " : "Round trip ";
      for (std::size_t i = 0; i < ch.size(); ++i) what += (i ? "->" : "") + fmt_letter(ch[i]);
      compare(g.id, to_string(g.kind), start, end, ch.back(), what);
    } else if (g.kind == CheckKind::commutativity || g.kind == CheckKind::byte_roundtrip) {
      auto pa = g.params["path_a"].get<std::vector<std::string>>();
      auto pbp = g.params["path_b"].get<std::vector<std::string>>();
      std::string a = b.chain(pa), c = b.chain(pbp);
      if (g.kind == CheckKind::commutativity) {
        compare(g.id, "commutativity", a, c, pa.back(), "Commutativity: direct vs indirect path");
      } else {
        json p = conv_thresholds(b);
        p["a"] = b.node(a).artifact;
        p["b"] = b.node(c).artifact;
        b.add_check("byte_roundtrip", {g.id}, {a, c}, p, b.scenario("run", "cpu", pa.back(), "Byte round trip", 0), "conv-rt-byte");
      }
    } else if (g.kind == CheckKind::idempotency) {
      auto ch = g.params["chain"].get<std::vector<std::string>>();
      std::string a = b.chain(ch, 0), c = b.chain(ch, 1);  // replica 1: a second, independent conversion
      json p = {{"a", b.node(a).artifact}, {"b", b.node(c).artifact}};
      b.add_check("idempotency", {g.id}, {a, c}, p, b.scenario("run", "cpu", ch.back(), "Idempotency: convert twice", 0), "conv-idem");
    } else if (g.kind == CheckKind::tensor_inventory) {
      auto ch = g.params["chain"].get<std::vector<std::string>>();
      std::string a = b.artifact_of(ch.front()), c = b.chain(ch);
      json p = {{"a", b.node(a).artifact}, {"b", b.node(c).artifact}, {"property", g.params["property"]}};
      b.add_check("tensor_inventory", {g.id}, {a, c}, p, b.scenario("run", "cpu", ch.back(), "Tensor inventory", 0),
                  "conv-" + g.id.substr(7));
    }
  }
  // Layout contract on every workspace artifact.
  std::vector<std::string> layout;
  for (const auto& g : b.cat.gates())
    if (g.kind == CheckKind::preflight_layout && g.id != "G0-LAYOUT-001") layout.push_back(g.id);
  for (const char* f : {"safetensors", "apr", "gguf"}) {
    std::string art = b.artifact_of(f);
    json p = {{"model", b.node(art).artifact}, {"format", f}};
    b.add_check("preflight_layout", layout, {art}, p, b.scenario("run", "cpu", f, "Layout contract", 0),
                std::string("layout-") + f);
  }
}

void plan_golden_and_contracts(PlanBuilder& b) {
  const auto& c = b.pb.conversion_tests;
  std::string src = b.artifact_of("safetensors");
  std::string apr = b.chain({"safetensors", "apr"});
  json p = {{"a", b.node(src).artifact}, {"b", b.node(apr).artifact}, {"prompt", c.prompt}, {"max_tokens", kGoldenRuleTokens}};
  std::vector<std::string> gdeps{src, apr};
  b.use_run(p, gdeps, "a", src, c.prompt);
  b.use_run(p, gdeps, "b", apr, c.prompt);
  b.add_check("golden_rule", {"F-GOLDEN-RULE-001", "F-GOLDEN-RULE-002", "F-GOLDEN-RULE-003"}, gdeps, p,
              b.scenario("run", "cpu", "apr", c.prompt, 0), "golden");
  for (const auto& inv : b.pb.contract_invariants) {
    std::string gate = "F-CONTRACT-" + std::string("I") + inv.substr(2) + "-001";
    if (!b.cat.find(gate)) continue;
    json q = b.cat.at(gate).params;
    q["a"] = b.node(src).artifact;
    q["b"] = b.node(apr).artifact;
    q["tensor_tolerance"] = c.tensor_tolerance;
    std::vector<std::string> deps{src, apr};
    if (inv == "I-1") {
      std::string back = b.chain({"safetensors", "apr", "safetensors"});
      q["b"] = b.node(back).artifact;
      deps = {src, back};
    }
    b.add_check("format_contract", {gate}, deps, q, b.scenario("run", "cpu", "apr", "Format contract invariant " + inv, 0),
                "contract-" + inv.substr(2));
  }
}

void plan_optional_blocks(PlanBuilder& b) {
  const auto& d = b.pb.differential_tests;
  std::vector<std::string> formats = b.directory_mode ? std::vector<std::string>{"safetensors", "apr", "gguf"} : b.pb.model.formats;
  std::string ref = b.artifact_of(formats.front());
  if (d.inference_compare.present && d.inference_compare.enabled) {
    auto gates = b.listed_or(d.inference_compare.gates, {"F-ROSETTA-INF-001", "F-ROSETTA-INF-002", "F-ROSETTA-INF-003"},
                             "differential_tests.inference_compare");
    for (std::size_t i = 1; i < formats.size(); ++i) {
      std::string other = b.artifact_of(formats[i]);
      json p = {{"a", b.node(ref).artifact}, {"b", b.node(other).artifact}, {"prompt", d.inference_compare.prompt},
                {"max_tokens", d.inference_compare.max_tokens}, {"tolerance", d.inference_compare.tolerance}};
      std::vector<std::string> ddeps{ref, other};
      b.use_run(p, ddeps, "a", ref, d.inference_compare.prompt);
      b.use_run(p, ddeps, "b", other, d.inference_compare.prompt);
      b.add_check("differential_inference", gates, ddeps, p,
                  b.scenario("run", "cpu", formats[i], d.inference_compare.prompt, 0), "rosetta-inf-" + formats[i]);
    }
    if (formats.size() < 2)
      b.plan.warnings.push_back("differential_tests.inference_compare needs two formats; give a directory input or list more model.formats");
  }
  if (d.tensor_diff.present && d.tensor_diff.enabled) {
    auto gates = b.listed_or(d.tensor_diff.gates, {"F-ROSETTA-DIFF-001", "F-ROSETTA-DIFF-002"}, "differential_tests.tensor_diff");
    for (std::size_t i = 1; i < formats.size(); ++i) {
      std::string other = b.artifact_of(formats[i]);
      json p = {{"a", b.node(ref).artifact}, {"b", b.node(other).artifact}, {"filter", d.tensor_diff.filter},
                {"tensor_tolerance", b.pb.conversion_tests.tensor_tolerance}};
      b.add_check("differential_tensor", gates, {ref, other}, p, b.scenario("run", "cpu", formats[i], "Tensor diff", 0),
                  "rosetta-diff-" + formats[i]);
    }
  }
  if ((d.fingerprint.present && d.fingerprint.enabled) || (d.format_validation.present && d.format_validation.enabled)) {
    std::vector<std::string> gates;
    if (d.fingerprint.enabled) {
      auto g = b.listed_or(d.fingerprint.gates, {"F-ROSETTA-FP-001", "F-ROSETTA-FP-002"}, "differential_tests.fingerprint");
      gates.insert(gates.end(), g.begin(), g.end());
    }
    for (const auto& f : formats) {
      std::vector<std::string> gs = gates;
      if (f == "apr" && d.format_validation.enabled) {
        auto g = b.listed_or(d.format_validation.gates, {"F-APR-FORMAT-001", "F-APR-FORMAT-002", "F-APR-FORMAT-003"},
                             "differential_tests.format_validation");
        gs.insert(gs.end(), g.begin(), g.end());
      }
      if (gs.empty()) continue;
      std::string art = b.artifact_of(f);
      if (art == ref) {
        // The reference format's own node: F-ROSETTA-FP-002 would compare the model with itself,
        // a comparison that cannot fail. It is planned Skipped with the reason; the node's other
        // gates (finite scan, APR header checks) measure the artifact as usual.
        auto fp2 = std::find(gs.begin(), gs.end(), "F-ROSETTA-FP-002");
        if (fp2 != gs.end()) {
          gs.erase(fp2);
          json q = {{"model", b.node(art).artifact}, {"format", f}};
          std::string id = b.add_check("differential_fingerprint", {"F-ROSETTA-FP-002"}, {art}, q,
                                       b.scenario("run", "cpu", f, "Fingerprint", 0), "fingerprint-ref-" + f);
          b.plan.nodes[b.plan.index_of(id)].skip_reason = "reference format: nothing to compare";
        }
        if (gs.empty()) continue;
        json p = {{"model", b.node(art).artifact}, {"format", f}};
        b.add_check("differential_fingerprint", gs, {art}, p, b.scenario("run", "cpu", f, "Fingerprint", 0), "fingerprint-" + f);
        continue;
      }
      json p = {{"model", b.node(art).artifact}, {"format", f}, {"reference", b.node(ref).artifact}};
      b.add_check("differential_fingerprint", gs, {art, ref}, p, b.scenario("run", "cpu", f, "Fingerprint", 0), "fingerprint-" + f);
    }
  }
  if (b.pb.trace_payload.present && b.pb.trace_payload.enabled) {
    auto gates = b.listed_or(b.pb.trace_payload.gates, {"F-TRACE-PAYLOAD-001", "F-TRACE-PAYLOAD-002"}, "trace_payload");
    std::string prompt = b.pb.trace_payload.prompt.empty() ? "2+2=" : b.pb.trace_payload.prompt;
    json p = {{"model", b.node(ref).artifact}, {"format", formats.front()}, {"prompt", prompt}};
    b.add_check("trace_payload", gates, {ref}, p, b.scenario("run", "cpu", formats.front(), prompt, 0), "trace");
  }
  const auto& pc = b.pb.profile_ci;
  if (pc.present && pc.enabled) {
    auto pf = pc.formats.empty() ? formats : pc.formats;
    auto pbk = pc.backends.empty() ? b.pb.test_matrix.backends : pc.backends;
    for (const auto& f : pf) {
      std::string art = b.artifact_of(f);
      for (const auto& be : pbk) {
        std::optional<double> tps = be == "gpu" ? pc.min_throughput_gpu : pc.min_throughput_cpu;
        if (!tps) tps = pc.min_throughput;
        if (!tps) tps = be == "gpu" ? 50.0 : 5.0;  // the anchor's certify fallback
        std::vector<std::string> gates{"F-PROFILE-CI-001"};
        if (pc.max_p99_ms) gates.push_back("F-PROFILE-CI-002");
        if (pc.max_p50_ms) gates.push_back("F-PROFILE-CI-003");
        if (!pc.gates.empty()) gates = b.listed_or(pc.gates, gates, "profile_ci");
        json p = {{"model", b.node(art).artifact}, {"format", f}, {"backend", be}, {"warmup", pc.warmup},
                  {"measure", pc.measure}, {"min_tokens_per_second", *tps}};
        if (pc.max_p99_ms) p["max_p99_ms"] = *pc.max_p99_ms;
        if (pc.max_p50_ms) p["max_p50_ms"] = *pc.max_p50_ms;
        b.add_check("performance", gates, {art}, p, b.scenario("run", be, f, "Profile CI", 0), "profile-" + f + "-" + be);
      }
    }
  }
}

}  // namespace apr::qa
