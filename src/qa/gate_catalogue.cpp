#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/suggest.hpp"
#include "qa/check_kinds.hpp"
#include "qa/gate.hpp"
#include "qa/mqs_rules.hpp"
#include "qa/playbook_values.hpp"
#include "qa/yaml_document.hpp"
#include "qa/yaml_reader.hpp"

namespace apr::qa {

using namespace yamlr;

std::vector<std::string> GateDef::required_names() const {
  std::vector<std::string> v;
  for (const auto& r : require) v.push_back(r.name);
  return v;
}

nlohmann::json to_json(const GateDef& g) {
  nlohmann::json in = {{"type", g.inputs.type}};
  auto put = [&](const char* k, const std::vector<std::string>& v) {
    if (!v.empty()) in[k] = v;
  };
  put("chain", g.inputs.chain);
  put("path_a", g.inputs.path_a);
  put("path_b", g.inputs.path_b);
  put("formats", g.inputs.formats);
  put("backends", g.inputs.backends);
  if (!g.inputs.formats_from.empty()) in["formats"] = g.inputs.formats_from;
  if (!g.inputs.backends_from.empty()) in["backends"] = g.inputs.backends_from;
  for (auto [k, v] : {std::pair{"modality", &g.inputs.modality}, {"backend", &g.inputs.backend},
                      {"format", &g.inputs.format}, {"event", &g.inputs.event}, {"quantization", &g.inputs.quantization}})
    if (!v->empty()) in[k] = *v;
  nlohmann::json when = {{"input", g.when.input}};
  if (!g.when.block.empty()) when["block"] = g.when.block;
  if (!g.when.list.empty()) when["list"] = g.when.list, when["contains"] = g.when.contains;
  nlohmann::json req = nlohmann::json::object();
  for (const auto& r : g.require) {
    if (r.by_backend.empty()) req[r.name] = r.expr;
    else req[r.name] = r.by_backend;
  }
  nlohmann::json j = {{"id", g.id},           {"title", g.title},       {"hypothesis", g.hypothesis},
                      {"falsified_if", g.falsified_if}, {"severity", g.severity}, {"category", g.category},
                      {"kind", g.kind},       {"inputs", in},           {"when", when},
                      {"params", g.params},   {"require", req},         {"source", g.source}};
  if (!g.skip_unless.empty()) j["skip_unless"] = g.skip_unless;
  if (!g.drift.empty()) j["drift"] = g.drift;
  return j;
}

static const std::vector<std::string> kFormats = {"gguf", "safetensors", "apr"};

static void check_references(const Ctx& c, const YAML::Node& n, const std::string& key, const std::string& text) {
  for (const auto& ref : references_in(text))
    if (!known_value_path(ref)) fail(c, n, key, "'" + ref + "' is not a playbook value (docs/gates.md lists them)");
}

static void check_param_refs(const Ctx& c, const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) check_references(c, n, key, n.Scalar());
  else if (n.IsSequence())
    for (std::size_t i = 0; i < n.size(); ++i) check_param_refs(c, n[i], fmt::format("{}[{}]", key, i));
  else if (n.IsMap())
    for (const auto& kv : n) check_param_refs(c, kv.second, key + "." + kv.first.Scalar());
}

static std::vector<std::string> format_list(const Ctx& c, const YAML::Node& n, const std::string& key, std::size_t min) {
  auto v = as_string_list(c, n, key);
  if (v.size() < min) fail(c, n, key, fmt::format("expected at least {} formats, found {}", min, v.size()));
  for (const auto& f : v)
    if (std::find(kFormats.begin(), kFormats.end(), f) == kFormats.end())
      fail(c, n, key, "expected gguf, safetensors or apr, found '" + f + "'");
  return v;
}

// A list, or a "${playbook.value}" naming one.
static void list_or_ref(const Ctx& c, const YAML::Node& n, const std::string& key, std::vector<std::string>& list,
                        std::string& from, const std::vector<std::string>& allowed) {
  if (n.IsScalar()) {
    std::string s = as_string(c, n, key);
    auto refs = references_in(s);
    if (refs.size() != 1 || s.rfind("${", 0) != 0) fail(c, n, key, "expected a list or one ${playbook.value}, found '" + s + "'");
    check_references(c, n, key, s);
    from = refs.front();
    return;
  }
  list = as_string_list(c, n, key);
  for (const auto& x : list)
    if (std::find(allowed.begin(), allowed.end(), x) == allowed.end())
      fail(c, n, key, fmt::format("expected one of {}, found '{}'", fmt::join(allowed, ", "), x));
}

static GateInputs parse_inputs(const Ctx& c, const YAML::Node& n, const std::string& k) {
  MapReader r(c, n, k);
  GateInputs in;
  auto tn = r.require("type");
  in.type = as_enum(c, tn, k + ".type", input_types());
  if (auto v = r.take("chain"); v.IsDefined()) in.chain = format_list(c, v, k + ".chain", 2);
  if (auto v = r.take("path_a"); v.IsDefined()) in.path_a = format_list(c, v, k + ".path_a", 2);
  if (auto v = r.take("path_b"); v.IsDefined()) in.path_b = format_list(c, v, k + ".path_b", 2);
  if (auto v = r.take("formats"); v.IsDefined()) list_or_ref(c, v, k + ".formats", in.formats, in.formats_from, kFormats);
  if (auto v = r.take("backends"); v.IsDefined()) list_or_ref(c, v, k + ".backends", in.backends, in.backends_from, {"cpu", "gpu"});
  if (auto v = r.take("modality"); v.IsDefined()) in.modality = as_enum(c, v, k + ".modality", {"run", "chat", "serve"});
  if (auto v = r.take("backend"); v.IsDefined()) in.backend = as_enum(c, v, k + ".backend", {"cpu", "gpu"});
  if (auto v = r.take("format"); v.IsDefined()) in.format = as_enum(c, v, k + ".format", kFormats);
  if (auto v = r.take("event"); v.IsDefined()) in.event = as_enum(c, v, k + ".event", {"failed", "crashed"});
  if (auto v = r.take("quantization"); v.IsDefined()) in.quantization = as_enum(c, v, k + ".quantization", playbook_quantizations());
  r.finish();
  auto need = [&](bool ok, const char* what) {
    if (!ok) fail(c, n, k, fmt::format("inputs of type {} need {}", in.type, what));
  };
  if (in.type == "chain" || in.type == "replicas") need(!in.chain.empty(), "'chain' (two or more formats)");
  if (in.type == "paths") need(!in.path_a.empty() && !in.path_b.empty(), "'path_a' and 'path_b'");
  if (in.type == "cell") need(!in.modality.empty() && !in.backend.empty(), "'modality' and 'backend'");
  if (in.type == "conversion") need(!in.format.empty(), "'format'");
  if (in.type == "process") need(!in.event.empty(), "'event' (failed or crashed)");
  if (in.type == "quantization") need(!in.quantization.empty(), "'quantization' (a model.quantizations entry)");
  return in;
}

static GateWhen parse_when(const Ctx& c, const YAML::Node& n, const std::string& k) {
  MapReader r(c, n, k);
  GateWhen w;
  if (auto v = r.take("input"); v.IsDefined()) w.input = as_enum(c, v, k + ".input", {"any", "directory", "file"});
  if (auto v = r.take("block"); v.IsDefined()) w.block = as_enum(c, v, k + ".block", playbook_blocks());
  if (auto v = r.take("list"); v.IsDefined()) {
    w.list = as_string(c, v, k + ".list");
    if (!known_value_path(w.list)) fail(c, v, k + ".list", "'" + w.list + "' is not a playbook list");
    w.contains = as_string(c, r.require("contains"), k + ".contains");
  }
  r.finish();
  return w;
}

static std::vector<Requirement> parse_require(const Ctx& c, const YAML::Node& n, const std::string& k) {
  if (!n.IsMap()) fail(c, n, k, "expected a mapping of measurement: \"<comparator> <threshold>\", found " + describe(n));
  std::vector<Requirement> out;
  static const std::regex name_re("^[a-z][a-z0-9_]{0,63}$");
  for (const auto& kv : n) {
    std::string name = kv.first.Scalar(), key = k + "." + name;
    if (name.size() > 64 || !std::regex_match(name, name_re)) fail(c, kv.first, key, "expected a measurement name like tensor_max_abs_diff");
    Requirement r;
    r.name = name;
    auto check = [&](const YAML::Node& v, const std::string& kk) {
      std::string e = as_string(c, v, kk);
      if (auto why = check_requirement_syntax(e); !why.empty()) fail(c, v, kk, why);
      return e;
    };
    if (kv.second.IsMap()) {
      for (const auto& b : kv.second) {
        std::string be = b.first.Scalar();
        if (be != "cpu" && be != "gpu") fail(c, b.first, key, "expected a backend (cpu or gpu), found '" + be + "'");
        r.by_backend[be] = check(b.second, key + "." + be);
      }
    } else {
      r.expr = check(kv.second, key);
    }
    out.push_back(std::move(r));
  }
  return out;
}

static void parse_file(const std::string& name, const std::string& text, std::vector<GateDef>& out) {
  std::vector<std::string> warnings;
  Ctx c{name, true, &warnings};
  // The same guarded loader as playbooks: one document, no alias cycle or expansion bomb, no
  // duplicate key (a gate with two `require:` blocks would otherwise keep one silently).
  YAML::Node root = load_document(c, text);
  MapReader r(c, root, "");
  auto list = r.require("gates");
  r.finish();
  if (!list.IsSequence()) fail(c, list, "gates", "expected a list of gates, found " + describe(list));
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string k = fmt::format("gates[{}]", i);
    MapReader g(c, list[i], k);
    GateDef d;
    auto idn = g.require("id");
    d.id = as_string(c, idn, k + ".id");
    static const std::regex id_re("^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$");
    if (d.id.size() > 64 || !std::regex_match(d.id, id_re))
      fail(c, idn, k + ".id", "expected an id like F-MY-CHECK-001, found '" + d.id.substr(0, 64) + "'");
    d.title = as_string(c, g.require("title"), k + ".title");
    d.hypothesis = as_string(c, g.require("hypothesis"), k + ".hypothesis");
    d.falsified_if = as_string(c, g.require("falsified_if"), k + ".falsified_if");
    d.severity = as_enum(c, g.require("severity"), k + ".severity", {"P0", "P1", "P2", "P3"});
    auto catn = g.require("category");
    const MqsRules& mqs = anchor_mqs_rules();
    std::vector<std::string> categories;
    for (const auto& mc : mqs.categories) categories.push_back(mc.name);
    d.category = as_enum(c, catn, k + ".category", categories);
    if (const std::string want = mqs.category_for(d.id); d.category != want)
      fail(c, catn, k + ".category",
           fmt::format("expected {} (the MQS category the id maps to, gates/scoring/anchor-mqs.yaml), found {}", want, d.category));
    auto kn = g.require("kind");
    d.kind = as_string(c, kn, k + ".kind");
    const CheckKindInfo* info = find_check_kind(d.kind);
    if (!info) fail(c, kn, k + ".kind", "expected a check kind (apr-qa gates --kinds lists them), found '" + d.kind + "'");
    auto inn = g.require("inputs");
    d.inputs = parse_inputs(c, inn, k + ".inputs");
    if (!kind_accepts_input(*info, d.inputs.type))
      fail(c, inn, k + ".inputs.type", fmt::format("kind {} measures {} inputs, found type {}", d.kind, info->shape, d.inputs.type));
    if (auto w = g.take("when"); w.IsDefined()) d.when = parse_when(c, w, k + ".when");
    if (auto s = g.take("skip_unless"); s.IsDefined()) {
      d.skip_unless = as_string(c, s, k + ".skip_unless");
      if (!known_value_path(d.skip_unless)) fail(c, s, k + ".skip_unless", "'" + d.skip_unless + "' is not a playbook value");
    }
    if (auto p = g.take("params"); p.IsDefined()) {
      if (!p.IsMap()) fail(c, p, k + ".params", "expected a mapping, found " + describe(p));
      check_param_refs(c, p, k + ".params");
      d.params = yamlr::to_json(p);
    }
    if (auto q = g.take("require"); q.IsDefined()) d.require = parse_require(c, q, k + ".require");
    if (d.inputs.type != "process" && d.require.empty())
      fail(c, list[i], k + ".require", "a gate must require at least one measurement (require: {name: \"<= 0\"})");
    if (d.inputs.type == "process" && !d.require.empty())
      fail(c, list[i], k + ".require", "a process gate is judged by the worker's exit status and requires no measurement");
    if (auto dn = g.take("drift"); dn.IsDefined()) {
      if (!dn.IsMap()) fail(c, dn, k + ".drift", "expected a mapping of required measurement to band (a number >= 0), found " + describe(dn));
      auto names = d.required_names();
      for (const auto& kv : dn) {
        std::string m = kv.first.Scalar(), kk = k + ".drift." + m;
        if (std::find(names.begin(), names.end(), m) == names.end())
          fail(c, kv.first, kk, "'" + m + "' is not a measurement this gate requires (drift bands apply to required measurements)");
        double band = as_number(c, kv.second, kk);
        if (!(band >= 0) || band > 1e6) fail(c, kv.second, kk, "expected a relative band >= 0 (0.3 = 30%)");
        d.drift[m] = band;
      }
    }
    g.finish();
    d.source = fmt::format("{}:{}", name, line_of(list[i]));
    for (const auto& o : out) {
      if (o.id == d.id) fail(c, idn, k + ".id", "duplicate gate id '" + d.id + "' (first in " + o.source + ")");
      if (d.inputs.type == "process" && o.inputs.type == "process" && o.inputs.event == d.inputs.event)
        fail(c, inn, k + ".inputs.event", "a second process gate for '" + d.inputs.event + "' (first: " + o.id + ")");
    }
    out.push_back(std::move(d));
  }
}

Result<GateCatalogue> GateCatalogue::from_texts(const std::vector<std::pair<std::string, std::string>>& files) {
  return capture([&] {
    GateCatalogue cat;
    for (const auto& [n, t] : files) parse_file(n, t, cat.gates_);
    if (cat.gates_.empty()) throw validation_error("gate catalogue is empty");
    for (const char* ev : {"failed", "crashed"})
      if (!cat.process_gate(ev))
        throw validation_error(fmt::format("the catalogue has no process gate for a worker that {} (inputs: {{type: process, event: {}}})", ev, ev));
    return cat;
  });
}

Result<GateCatalogue> GateCatalogue::builtin() {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : embedded_gate_files()) files.emplace_back(f.name, f.content);
  return from_texts(files);
}

Result<GateCatalogue> GateCatalogue::from_dir(const std::filesystem::path& dir) {
  std::vector<std::pair<std::string, std::string>> files;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return io_error("gate catalogue directory not found").at_path(dir.string());
  std::vector<std::filesystem::path> paths;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".yaml") paths.push_back(e.path());
  std::sort(paths.begin(), paths.end());
  for (const auto& p : paths) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    files.emplace_back(p.string(), ss.str());
  }
  return from_texts(files);
}

const GateDef* GateCatalogue::find(std::string_view id) const {
  for (const auto& g : gates_)
    if (g.id == id) return &g;
  return nullptr;
}
const GateDef& GateCatalogue::at(std::string_view id) const {
  if (auto* g = find(id)) return *g;
  throw internal_error("gate '" + std::string(id) + "' is not in the catalogue");
}

const GateDef* GateCatalogue::process_gate(std::string_view event) const {
  for (const auto& g : gates_)
    if (g.inputs.type == "process" && g.inputs.event == event) return &g;
  return nullptr;
}

std::string GateCatalogue::suggest(std::string_view unknown) const {
  std::vector<std::string> ids;
  for (const auto& g : gates_) ids.push_back(g.id);
  std::string best = closest_name(unknown, ids);
  return best.empty() ? "" : "did you mean '" + best + "'?";
}

static std::string md_escape(std::string s) {
  std::string o;
  for (char ch : s) {
    if (ch == '|') o += "\\|";
    else if (ch == '\n') o += ' ';
    else o += ch;
  }
  return o;
}

static std::string join(const std::vector<std::string>& v, const char* sep = ",") {
  std::string s;
  for (const auto& x : v) s += (s.empty() ? "" : sep) + x;
  return s;
}

static std::string describe_inputs(const GateDef& g) {
  const auto& in = g.inputs;
  std::string s = in.type;
  if (!in.chain.empty()) s += " " + join(in.chain, "→");
  if (!in.path_a.empty()) s += " " + join(in.path_a, "→") + " vs " + join(in.path_b, "→");
  if (!in.modality.empty()) s += " " + in.modality + "/" + in.backend;
  if (!in.format.empty()) s += " " + in.format;
  if (!in.event.empty()) s += " " + in.event;
  if (!in.quantization.empty()) s += " " + in.quantization;
  if (!in.formats.empty()) s += " (" + join(in.formats) + ")";
  if (!in.formats_from.empty()) s += " (${" + in.formats_from + "})";
  if (!in.backends.empty()) s += " [" + join(in.backends) + "]";
  if (!in.backends_from.empty()) s += " [${" + in.backends_from + "}]";
  std::vector<std::string> when;
  if (g.when.input != "any") when.push_back(g.when.input + " input");
  if (!g.when.block.empty()) when.push_back("block " + g.when.block);
  if (!g.when.list.empty()) when.push_back(g.when.list + " ∋ " + g.when.contains);
  if (!g.skip_unless.empty()) when.push_back("Skipped unless " + g.skip_unless);
  if (!when.empty()) s += "; " + join(when, "; ");
  return s;
}

static std::string describe_require(const GateDef& g) {
  if (g.require.empty()) return "the worker's exit status";
  std::vector<std::string> parts;
  for (const auto& r : g.require) {
    if (r.by_backend.empty()) {
      parts.push_back("`" + r.name + " " + r.expr + "`");
    } else {
      std::vector<std::string> bs;
      for (const auto& [b, e] : r.by_backend) bs.push_back(b + ": " + e);
      parts.push_back("`" + r.name + "` (" + join(bs, "; ") + ")");
    }
  }
  return join(parts, ", ");
}

std::string GateCatalogue::markdown() const {
  std::string md =
      "# Gate catalogue\n\n"
      "<!-- generated by `apr-qa gates --markdown` from gates/*.yaml; do not edit by hand -->\n\n"
      "Every gate is data: a check kind from a closed set, what it runs on (`inputs`), when the\n"
      "playbook plans it (`when`), and what its verdict requires (`require`: a measurement, a\n"
      "comparator and a threshold, which may name a playbook value). A gate is Corroborated only when\n"
      "every required measurement exists and satisfies its threshold; missing or empty data is\n"
      "Falsified. See docs/gates-authoring.md for writing a gate.\n\n";
  std::map<std::string, std::vector<const GateDef*>> by_file;
  std::vector<std::string> order;
  for (const auto& g : gates_) {
    std::string f = g.source.substr(0, g.source.rfind(':'));
    if (!by_file.count(f)) order.push_back(f);
    by_file[f].push_back(&g);
  }
  md += fmt::format("{} gates in {} files.\n\n", gates_.size(), order.size());
  for (const auto& f : order) {
    md += "## " + f + "\n\n| Gate | Sev | Cat | Kind | Runs on | Requires |\n|---|---|---|---|---|---|\n";
    for (const auto* g : by_file[f])
      md += fmt::format("| **{}** {} | {} | {} | `{}` | {} | {} |\n", g->id, md_escape(g->title), g->severity,
                        g->category, g->kind, md_escape(describe_inputs(*g)), md_escape(describe_require(*g)));
    md += "\n";
  }
  md += "## Hypotheses and falsification conditions\n\n";
  for (const auto& g : gates_)
    md += fmt::format("- **{}**: {} Falsified if {}.\n", g.id, md_escape(g.hypothesis), md_escape(g.falsified_if));
  md += "\n## Check kinds\n\n| Kind | Measures | Shared runs |\n|---|---|---|\n";
  for (const auto& k : check_kinds())
    md += fmt::format("| `{}` | {} ({}) | {} |\n", k.name, k.what, k.shape, k.shared_runs ? "yes" : "no");
  return md;
}

}  // namespace apr::qa
