// The planner's one loop over the gate catalogue (see plan.hpp, gate.hpp): each gate the
// playbook asks for is expanded by its input type into concrete instances (which artifacts,
// which backend), its thresholds are bound from the playbook, and instances that measure the
// same thing on the same files with the same parameters share one check node.
#include <algorithm>
#include <cctype>
#include <unordered_map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/suggest.hpp"
#include "qa/check_kinds.hpp"
#include "qa/judge.hpp"
#include "qa/oracle.hpp"
#include "qa/playbook_values.hpp"
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

namespace {

std::string letters(const std::vector<std::string>& formats) {
  std::string s;
  for (const auto& f : formats) s += f == "gguf" ? 'G' : (f == "apr" ? 'A' : 'S');
  return s;
}

std::string arrow(const std::vector<std::string>& formats) {
  std::string s;
  for (char c : letters(formats)) s += (s.empty() ? "" : "->") + std::string(1, c);
  return s;
}

struct Instance {
  const CheckKindInfo* kind = nullptr;
  std::vector<std::string> gates;
  std::map<std::string, std::vector<BoundRequirement>> require;
  std::string a_id, b_id;     // artifact nodes (b_id empty for single-model kinds)
  std::string backend = "cpu";
  json params;                // the check's parameters (gate params resolved + inputs)
  ScenarioInfo scenario;
  std::string suffix, key;
  std::optional<std::string> skip;
  int phase = 0;
};

struct Planner {
  explicit Planner(PlanBuilder& builder) : b(builder) {}
  PlanBuilder& b;
  std::vector<Instance> instances;
  std::unordered_map<std::string, std::size_t> instance_by_key;  // grouping key -> index in instances
  std::vector<const GateDef*> cell_gates;

  bool flag(const std::string& path, bool fallback) {
    auto v = lookup_value(b.values, path);
    if (!v) return fallback;
    if (!v->is_boolean()) throw validation_error("gate catalogue: playbook value '" + path + "' is not a boolean");
    return v->get<bool>();
  }
  std::vector<std::string> list_value(const std::string& path) {
    auto v = lookup_value(b.values, path);
    if (!v || !v->is_array()) throw validation_error("gate catalogue: playbook value '" + path + "' is not a list");
    return v->get<std::vector<std::string>>();
  }
  std::vector<std::string> backends_of(const GateDef& g) {
    if (!g.inputs.backends_from.empty()) return list_value(g.inputs.backends_from);
    return g.inputs.backends.empty() ? std::vector<std::string>{"cpu"} : g.inputs.backends;
  }
  std::vector<std::string> formats_of(const GateDef& g) {
    if (!g.inputs.formats_from.empty()) return list_value(g.inputs.formats_from);
    if (!g.inputs.formats.empty()) return g.inputs.formats;
    return list_value("workspace.formats");
  }

  // Why the playbook does not ask for `g`, or "" when it does.
  std::string not_asked(const GateDef& g) {
    const std::string& mode = b.plan.input_mode;
    if (g.when.input == "directory" && mode != "directory") return "needs an HF snapshot directory as model input";
    if (g.when.input == "file" && mode != "file") return "needs a single model file as input";
    if (!g.when.block.empty()) {
      if (!flag(g.when.block + ".enabled", false))
        return "playbook block " + g.when.block + " is absent or disabled";
      auto listed = list_value(g.when.block + ".gates");
      if (!listed.empty() && std::find(listed.begin(), listed.end(), g.id) == listed.end())
        return g.when.block + ".gates does not list it";
    }
    if (!g.when.list.empty()) {
      auto l = list_value(g.when.list);
      if (std::find(l.begin(), l.end(), g.when.contains) == l.end()) return g.when.list + " does not contain " + g.when.contains;
    }
    return "";
  }

  std::optional<std::vector<BoundRequirement>> bind(const GateDef& g, const std::string& backend, std::string& why) {
    return bind_gate(g, b.values, backend, why);
  }

  void unplanned(const GateDef& g, const std::string& why) {
    for (const auto& [id, w] : b.plan.unplanned)
      if (id == g.id && w == why) return;
    b.plan.unplanned.emplace_back(g.id, why);
  }

  void add_instance(const GateDef& g, Instance in) {
    std::string why;
    auto req = bind(g, in.backend, why);
    if (!req) return unplanned(g, why);
    if (!g.skip_unless.empty() && !flag(g.skip_unless, true))
      in.skip = "disabled by playbook " + g.skip_unless;
    if (in.backend == "gpu" && !b.opts.has_cuda && !in.skip) in.skip = "no CUDA device";
    in.key = fmt::format("{}|{}|{}|{}|{}|{}|{}", in.kind->name, in.a_id, in.b_id, in.backend, in.params.dump(),
                         in.skip.value_or(""), in.scenario.id);
    if (auto it = instance_by_key.find(in.key); it != instance_by_key.end()) {
      Instance& x = instances[it->second];
      x.gates.push_back(g.id);
      x.require[g.id] = std::move(*req);
      return;
    }
    instance_by_key.emplace(in.key, instances.size());
    in.gates = {g.id};
    in.require[g.id] = std::move(*req);
    instances.push_back(std::move(in));
  }

  json gate_params(const GateDef& g) {
    auto p = resolve_param(b.values, g.params);
    return p ? *p : json::object();
  }

  Instance single(const GateDef& g, const std::string& art, const std::string& backend, int phase) {
    Instance in;
    in.kind = find_check_kind(g.kind);
    in.a_id = art;
    in.backend = backend;
    in.phase = phase;
    in.params = gate_params(g);
    const Node& n = b.node(art);
    in.params["model"] = n.artifact;
    in.params["format"] = n.format;
    in.params["backend"] = backend;
    in.scenario = b.scenario("run", backend, n.format, in.params.value("prompt", g.title), 0);
    in.suffix = fmt::format("{}-{}-{}", g.kind, n.format, backend);
    return in;
  }

  Instance pair(const GateDef& g, const std::string& a, const std::string& c, const std::string& backend,
                const std::string& label) {
    Instance in;
    in.kind = find_check_kind(g.kind);
    in.a_id = a;
    in.b_id = c;
    in.backend = backend;
    in.phase = 2;
    in.params = gate_params(g);
    const Node& na = b.node(a);
    const Node& nb = b.node(c);
    in.params["a"] = na.artifact;
    in.params["b"] = nb.artifact;
    in.params["format_a"] = na.format;
    in.params["format_b"] = nb.format;
    in.params["backend"] = backend;
    // Single-or-pair kinds (fingerprint) read the pair as model against reference.
    in.params["model"] = nb.artifact;
    in.params["format"] = nb.format;
    in.params["reference"] = na.artifact;
    in.scenario = b.scenario("run", backend, nb.format, label, 0);
    in.suffix = fmt::format("{}-{}-{}", g.kind, label, backend);
    return in;
  }

  void expand(const GateDef& g) {
    const auto& t = g.inputs.type;
    if (t == "process") return;  // emitted by the executor
    if (t == "cell") return cell_gates.push_back(&g);
    if (t == "conversion") return attach_to_conversion(g);
    for (const auto& be : backends_of(g)) {
      if (t == "source") {
        add_instance(g, single(g, b.resolve_id, be, 0));
      } else if (t == "artifact") {
        for (const auto& f : formats_of(g)) add_instance(g, single(g, b.artifact_of(f), be, 3));
      } else if (t == "reference_pair") {
        auto fs = list_value("workspace.formats");
        if (fs.size() < 2) {
          unplanned(g, "needs two formats: give a directory input or list more model.formats");
          continue;
        }
        std::string ref = b.artifact_of(fs.front());
        for (std::size_t i = 1; i < fs.size(); ++i) {
          Instance in = pair(g, ref, b.artifact_of(fs[i]), be, letters({fs.front(), fs[i]}));
          in.phase = 3;
          add_instance(g, std::move(in));
        }
      } else if (t == "quantization") {
        add_quantization(g, be);
      } else if (t == "chain") {
        const auto& ch = g.inputs.chain;
        std::string start = b.artifact_of(ch.front()), end = b.chain(ch);
        Instance in = pair(g, start, end, be, letters(ch));
        in.scenario.prompt = in.params.value("prompt", (ch.size() > 2 ? "Round trip " : "Convert ") + arrow(ch));
        add_instance(g, std::move(in));
      } else if (t == "paths") {
        std::string a = b.chain(g.inputs.path_a), c = b.chain(g.inputs.path_b);
        Instance in = pair(g, a, c, be, letters(g.inputs.path_a) + "-" + letters(g.inputs.path_b));
        in.scenario.prompt = in.params.value("prompt", arrow(g.inputs.path_a) + " vs " + arrow(g.inputs.path_b));
        add_instance(g, std::move(in));
      } else if (t == "replicas") {
        std::string a = b.chain(g.inputs.chain, 0), c = b.chain(g.inputs.chain, 1);
        Instance in = pair(g, a, c, be, letters(g.inputs.chain) + "-twice");
        in.scenario.prompt = "Convert " + arrow(g.inputs.chain) + " twice";
        add_instance(g, std::move(in));
      }
    }
  }

  // The source against a quantized (or re-typed) variant of it, made by the check itself in a
  // content-keyed artifact folder; the reference's logits on the corpus are cached once per run
  // under runs/ and shared by every variant's node.
  void add_quantization(const GateDef& g, const std::string& backend) {
    const std::string& q = g.inputs.quantization;
    auto qs = list_value("model.quantizations");
    if (std::find(qs.begin(), qs.end(), q) == qs.end())
      return unplanned(g, "model.quantizations does not list " + q);
    Instance in = single(g, b.resolve_id, backend, 3);
    const Node& src = b.node(b.resolve_id);
    auto key = [&](const std::string& what) {
      std::string raw = src.key + "|" + what + "|" + build_id();
      return sha256_hex(std::as_bytes(std::span(raw.data(), raw.size())));
    };
    in.params["quantization"] = q;
    in.params["variant"] = (b.plan.work_dir / "artifacts" / key("quantize|" + q).substr(0, 20) / "model.gguf").string();
    in.params["reference_logits"] =
        (b.plan.work_dir / "runs" / (key(fmt::format("ppl|{}|{}|{}", in.params.value("corpus", std::string()),
                                                    in.params.value("ctx", 0), in.params.value("chunks", 0)))
                                        .substr(0, 20) +
                                    ".logits"))
            .string();
    in.params["reuse"] = b.opts.reuse_artifacts;
    in.scenario = b.scenario("run", backend, "gguf", "Quantize to " + q, 0);
    in.suffix = fmt::format("{}-{}-{}", g.kind, q, backend);
    add_instance(g, std::move(in));
  }

  // A gate judged on the workspace conversion node itself (e.g. "the conversion succeeds").
  void attach_to_conversion(const GateDef& g) {
    if (g.inputs.format == b.source_format) return unplanned(g, "the source is already " + g.inputs.format);
    if (!g.skip_unless.empty() && !flag(g.skip_unless, true))
      return unplanned(g, "disabled by playbook " + g.skip_unless);
    std::string why;
    auto req = bind(g, "cpu", why);
    if (!req) return unplanned(g, why);
    std::string id = b.artifact_of(g.inputs.format);
    Node& n = b.plan.nodes[b.plan.index_of(id)];
    n.gates.push_back(g.id);
    n.require[g.id] = std::move(*req);
    n.severity = more_severe(n.severity, g.severity);
    n.params["inspect"] = true;
  }

  // The inference matrix: modalities × backends × formats × scenarios, one node per cell,
  // judged by every cell gate of that (modality, backend); seeds count up across the matrix.
  void expand_matrix() {
    const auto& tm = b.pb.test_matrix;
    std::uint64_t seed = tm.seed;
    std::vector<std::string> enabled;
    for (const auto& o : b.pb.oracles) enabled.push_back(o.type);
    json garbage_cfg = json::object();
    for (const auto& o : b.pb.oracles)
      if (o.type == "garbage") garbage_cfg = o.config;
    for (const auto& modality : tm.modalities) {
      for (const auto& backend : tm.backends) {
        std::vector<const GateDef*> gs;
        for (const auto* g : cell_gates)
          if (g->inputs.modality == modality && g->inputs.backend == backend) gs.push_back(g);
        if (gs.empty()) continue;
        for (const auto& format : b.pb.model.formats) {
          std::string art = b.artifact_of(format);
          for (int i = 0; i < tm.scenario_count; ++i) {
            const std::string& prompt = tm.prompts[static_cast<std::size_t>(i) % tm.prompts.size()];
            std::string oracle = oracle_for_prompt(prompt);
            if (!enabled.empty() && std::find(enabled.begin(), enabled.end(), oracle) == enabled.end()) oracle = "garbage";
            if (!b.pb.gates.g4_output_quality) oracle = "none";
            ScenarioInfo sc = b.scenario(modality, backend, format, prompt, seed++);
            sc.oracle_type = oracle == "none" ? "garbage" : oracle;
            for (const auto* g : gs) {
              Instance in;
              in.kind = find_check_kind(g->kind);
              in.a_id = art;
              in.backend = backend;
              in.phase = 1;
              in.params = gate_params(*g);
              in.params.update({{"model", b.node(art).artifact}, {"format", format}, {"modality", modality},
                                {"backend", backend}, {"prompt", prompt}, {"seed", sc.seed}, {"oracle", oracle},
                                {"oracle_config", garbage_cfg}});
              in.scenario = sc;
              in.suffix = fmt::format("{}-{}-{}", modality, backend, format);
              add_instance(*g, std::move(in));
            }
          }
        }
      }
    }
  }

  // The shared runs an instance reads (cpu only): a pair kind with shared_runs reads both sides'
  // teacher-forced runs on its prompt; a cpu run/chat matrix cell reads the greedy generation of
  // its artifact on its prompt (greedy decoding ignores the scenario seed, so every cell with the
  // same artifact, modality and prompt computes the same tokens: one run serves them all).
  struct RunUse {
    std::string key, artifact, prompt;
    bool chat = false, logits = true;
    int tokens = 8;
  };
  std::vector<RunUse> run_uses(const Instance& in) const {
    std::vector<RunUse> uses;
    if (!b.opts.shared_runs || in.backend != "cpu" || in.skip || !in.params.contains("prompt") ||
        !in.params["prompt"].is_string())
      return uses;
    const std::string prompt = in.params["prompt"].get<std::string>();
    if (in.kind->shared_runs && !in.b_id.empty()) {
      const int t = in.params.value("max_tokens", 8);
      uses.push_back({"a_run", in.a_id, prompt, false, true, t});
      uses.push_back({"b_run", in.b_id, prompt, false, true, t});
    } else if (std::string(in.kind->name) == "inference") {
      const std::string modality = in.params.value("modality", "run");
      if (modality == "run" || modality == "chat")
        uses.push_back({"run", in.a_id, prompt, modality == "chat", false, in.params.value("max_tokens", 32)});
    }
    return uses;
  }

  void emit() {
    std::stable_sort(instances.begin(), instances.end(), [](const Instance& x, const Instance& y) { return x.phase < y.phase; });
    // A shared run is as long as its longest user needs, and keeps logits when any user reads them.
    for (const auto& in : instances)
      for (const auto& u : run_uses(in)) {
        const std::string rk = PlanBuilder::run_key(u.artifact, u.prompt, u.chat);
        int& t = b.infer_tokens[rk];
        t = std::max(t, u.tokens);
        b.infer_logits[rk] = b.infer_logits[rk] || u.logits;
        if (u.key == "run") b.cell_runs.insert(rk);
      }
    for (auto& in : instances) {
      std::vector<std::string> deps{in.a_id};
      if (!in.b_id.empty()) deps.push_back(in.b_id);
      for (const auto& u : run_uses(in)) b.use_run(in.params, deps, u.key, u.artifact, u.prompt, u.chat);
      Node n;
      n.kind = NodeKind::check;
      n.check = in.kind->name;
      n.gates = in.gates;
      n.require = in.require;
      n.deps = std::move(deps);
      n.params = std::move(in.params);
      n.params["check"] = n.check;
      json gp = json::object();
      for (const auto& g : n.gates) gp[g] = resolve_param(b.values, b.cat.at(g).params).value_or(json::object());
      n.params["gate_params"] = gp;
      n.scenario = std::move(in.scenario);
      n.skip_reason = in.skip;
      b.add(std::move(n), in.suffix);
    }
  }
};

// Plan order: checks on the source first, then the matrix, then comparisons, then per-artifact
// checks; catalogue order within each.
int phase_of(const GateDef& g) {
  const auto& t = g.inputs.type;
  if (t == "source" || t == "conversion") return 0;
  if (t == "cell") return 1;
  if (t == "artifact" || t == "reference_pair" || t == "quantization") return 3;
  return 2;
}

}  // namespace

// Gate ids and oracle names a playbook names must exist: a typo is a configuration error (it
// would otherwise drop a gate or change a judgement silently).
static void check_playbook_names(const PlanBuilder& b) {
  const std::string file = b.pb.file.string();
  for (const auto& block : playbook_blocks()) {
    auto listed = lookup_value(b.values, block + ".gates");
    if (!listed || !listed->is_array()) continue;
    for (const auto& id : *listed) {
      const std::string s = id.get<std::string>();
      const GateDef* g = b.cat.find(s);
      if (!g) {
        std::string hint = b.cat.suggest(s);
        throw validation_error(fmt::format("key '{}.gates': gate '{}' is not in the catalogue{}", block, s.substr(0, 80),
                                           hint.empty() ? " (apr-qa gates lists them)" : "; " + hint))
            .at_path(file);
      }
      if (g->when.block != block)
        throw validation_error(fmt::format("key '{}.gates': gate '{}' belongs to {}", block, s,
                                           g->when.block.empty() ? "no playbook block" : "block " + g->when.block))
            .at_path(file);
    }
  }
  // The oracles apr-qa implements, plus the anchor's two it accepts without judging with them.
  std::vector<std::string> oracles = known_oracles();
  oracles.erase(std::remove(oracles.begin(), oracles.end(), "none"), oracles.end());
  static const std::vector<std::string> anchor_only = {"response", "composite"};
  for (std::size_t i = 0; i < b.pb.oracles.size(); ++i) {
    const std::string& t = b.pb.oracles[i].type;
    if (std::find(anchor_only.begin(), anchor_only.end(), t) != anchor_only.end()) continue;
    if (std::find(oracles.begin(), oracles.end(), t) == oracles.end()) {
      std::vector<std::string> all = oracles;
      all.insert(all.end(), anchor_only.begin(), anchor_only.end());
      std::string best = closest_name(t, all);
      throw validation_error(fmt::format("key 'oracles[{}].type': unknown oracle '{}'; expected one of {}{}", i, t.substr(0, 80),
                                         fmt::join(all, ", "), best.empty() ? "" : "; did you mean '" + best + "'?"))
          .at_path(file);
    }
    if (t == "garbage")
      if (auto why = check_oracle_config(t, b.pb.oracles[i].config); !why.empty())
        throw validation_error(fmt::format("key 'oracles[{}].config': {}", i, why)).at_path(file);
  }
}

void plan_catalogue(PlanBuilder& b) {
  check_playbook_names(b);
  Planner p(b);
  std::vector<const GateDef*> gates;
  for (const auto& g : b.cat.gates()) gates.push_back(&g);
  std::stable_sort(gates.begin(), gates.end(), [](const GateDef* x, const GateDef* y) { return phase_of(*x) < phase_of(*y); });
  for (const auto* g : gates) {
    if (g->inputs.type == "process") continue;
    if (auto why = p.not_asked(*g); !why.empty()) {
      p.unplanned(*g, why);
      continue;
    }
    p.expand(*g);
  }
  p.expand_matrix();
  p.emit();
}

}  // namespace apr::qa
