#include <algorithm>
#include <fstream>
#include <map>
#include <regex>
#include <sstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "qa/gate.hpp"
#include "qa/mqs.hpp"
#include "qa/yaml_reader.hpp"

namespace apr::qa {

using namespace yamlr;

static const std::pair<CheckKind, const char*> kKinds[] = {
    {CheckKind::preflight_format, "preflight_format"},
    {CheckKind::preflight_validate, "preflight_validate"},
    {CheckKind::preflight_tensor, "preflight_tensor"},
    {CheckKind::preflight_integrity, "preflight_integrity"},
    {CheckKind::preflight_layout, "preflight_layout"},
    {CheckKind::inference, "inference"},
    {CheckKind::process_outcome, "process_outcome"},
    {CheckKind::conversion_pair, "conversion_pair"},
    {CheckKind::roundtrip_chain, "roundtrip_chain"},
    {CheckKind::byte_roundtrip, "byte_roundtrip"},
    {CheckKind::idempotency, "idempotency"},
    {CheckKind::commutativity, "commutativity"},
    {CheckKind::tensor_inventory, "tensor_inventory"},
    {CheckKind::golden_rule, "golden_rule"},
    {CheckKind::format_contract, "format_contract"},
    {CheckKind::differential_inference, "differential_inference"},
    {CheckKind::differential_tensor, "differential_tensor"},
    {CheckKind::differential_fingerprint, "differential_fingerprint"},
    {CheckKind::trace_payload, "trace_payload"},
    {CheckKind::performance, "performance"},
    {CheckKind::perplexity, "perplexity"},
};

const char* to_string(CheckKind k) noexcept {
  for (auto& [kk, s] : kKinds)
    if (kk == k) return s;
  return "inference";
}
std::optional<CheckKind> check_kind_from_string(std::string_view s) noexcept {
  for (auto& [kk, n] : kKinds)
    if (s == n) return kk;
  return std::nullopt;
}
const std::vector<CheckKind>& all_check_kinds() {
  static const std::vector<CheckKind> v = [] {
    std::vector<CheckKind> r;
    for (auto& [k, s] : kKinds) r.push_back(k);
    return r;
  }();
  return v;
}

// Parameters each kind requires (checked when the catalogue loads).
static std::vector<std::string> required_params(CheckKind k) {
  switch (k) {
    case CheckKind::conversion_pair:
    case CheckKind::roundtrip_chain:
    case CheckKind::idempotency: return {"chain"};
    case CheckKind::byte_roundtrip:
    case CheckKind::commutativity: return {"path_a", "path_b"};
    case CheckKind::inference: return {"modality", "backend"};
    case CheckKind::format_contract: return {"invariant"};
    case CheckKind::tensor_inventory: return {"chain", "property"};
    case CheckKind::golden_rule: return {"chain", "expect"};
    case CheckKind::performance: return {"metric"};
    default: return {};
  }
}

nlohmann::json to_json(const GateDef& g) {
  return {{"id", g.id},           {"title", g.title},         {"hypothesis", g.hypothesis},
          {"falsified_if", g.falsified_if}, {"severity", g.severity}, {"category", g.category},
          {"kind", to_string(g.kind)}, {"params", g.params},  {"measures", g.measures},
          {"applies", {{"formats", g.formats}, {"backends", g.backends}, {"modalities", g.modalities},
                       {"input", g.needs_directory ? "directory" : "any"}}},
          {"source", g.source}};
}

static void parse_file(const std::string& name, const std::string& text, std::vector<GateDef>& out) {
  std::vector<std::string> warnings;
  Ctx c{name, true, &warnings};
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw parse_error("YAML syntax error: " + e.msg).at_path(fmt::format("{}:{}:{}", name, e.mark.line + 1, e.mark.column + 1));
  }
  MapReader r(c, root, "");
  auto list = r.require("gates");
  r.finish();
  if (!list.IsSequence()) fail(c, list, "gates", "expected a list of gates, found " + describe(list));
  static const std::regex id_re("^[A-Z][A-Z0-9]*(-[A-Za-z0-9]+)+$");
  for (std::size_t i = 0; i < list.size(); ++i) {
    std::string k = fmt::format("gates[{}]", i);
    MapReader g(c, list[i], k);
    GateDef d;
    auto idn = g.require("id");
    d.id = as_string(c, idn, k + ".id");
    if (!std::regex_match(d.id, id_re)) fail(c, idn, k + ".id", "expected an id like F-CONV-G-A, found '" + d.id + "'");
    d.title = as_string(c, g.require("title"), k + ".title");
    d.hypothesis = as_string(c, g.require("hypothesis"), k + ".hypothesis");
    d.falsified_if = as_string(c, g.require("falsified_if"), k + ".falsified_if");
    d.severity = as_enum(c, g.require("severity"), k + ".severity", {"P0", "P1", "P2", "P3"});
    auto catn = g.require("category");
    d.category = as_enum(c, catn, k + ".category", {"QUAL", "PERF", "STAB", "COMP", "EDGE", "REGR"});
    if (d.category != mqs_category_for(d.id))
      fail(c, catn, k + ".category", fmt::format("expected {} (the MQS category the id maps to), found {}", mqs_category_for(d.id), d.category));
    auto kn = g.require("kind");
    std::string ks = as_string(c, kn, k + ".kind");
    auto kind = check_kind_from_string(ks);
    if (!kind) fail(c, kn, k + ".kind", "expected a check kind (apr-qa gates --json lists them), found '" + ks + "'");
    d.kind = *kind;
    if (auto p = g.take("params"); p.IsDefined()) {
      if (!p.IsMap()) fail(c, p, k + ".params", "expected a mapping, found " + describe(p));
      d.params = yamlr::to_json(p);
    }
    for (const auto& rp : required_params(d.kind))
      if (!d.params.contains(rp)) fail(c, list[i], k + ".params." + rp, "kind " + ks + " requires parameter '" + rp + "'");
    if (auto m = g.take("measures"); m.IsDefined()) d.measures = as_string_list(c, m, k + ".measures");
    if (d.kind != CheckKind::process_outcome && d.measures.empty())
      fail(c, list[i], k + ".measures", "a gate must name at least one measurement its verdict requires");
    if (auto a = g.take("applies"); a.IsDefined()) {
      MapReader ar(c, a, k + ".applies");
      if (auto v = ar.take("formats"); v.IsDefined()) d.formats = as_string_list(c, v, k + ".applies.formats");
      if (auto v = ar.take("backends"); v.IsDefined()) d.backends = as_string_list(c, v, k + ".applies.backends");
      if (auto v = ar.take("modalities"); v.IsDefined()) d.modalities = as_string_list(c, v, k + ".applies.modalities");
      if (auto v = ar.take("input"); v.IsDefined()) d.needs_directory = as_enum(c, v, k + ".applies.input", {"any", "directory"}) == "directory";
      ar.finish();
    }
    g.finish();
    d.source = fmt::format("{}:{}", name, line_of(list[i]));
    for (const auto& o : out)
      if (o.id == d.id) fail(c, idn, k + ".id", "duplicate gate id '" + d.id + "' (first in " + o.source + ")");
    out.push_back(std::move(d));
  }
}

Result<GateCatalogue> GateCatalogue::from_texts(const std::vector<std::pair<std::string, std::string>>& files) {
  return capture([&] {
    GateCatalogue cat;
    for (const auto& [n, t] : files) parse_file(n, t, cat.gates_);
    if (cat.gates_.empty()) throw validation_error("gate catalogue is empty");
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

static std::string md_escape(std::string s) {
  std::string o;
  for (char ch : s) {
    if (ch == '|') o += "\\|";
    else if (ch == '\n') o += ' ';
    else o += ch;
  }
  return o;
}

std::string GateCatalogue::markdown() const {
  std::string md =
      "# Gate catalogue\n\n"
      "<!-- generated by `apr-qa gates --markdown` from gates/*.yaml; do not edit by hand -->\n\n"
      "Every gate is data: a check kind from a closed set, its parameters, and the measurements a\n"
      "verdict requires. A gate is Corroborated only when every required measurement exists and\n"
      "every thresholded measurement satisfies its comparator; missing or empty data is Falsified.\n\n";
  std::map<std::string, std::vector<const GateDef*>> by_file;
  std::vector<std::string> order;
  for (const auto& g : gates_) {
    std::string f = g.source.substr(0, g.source.rfind(':'));
    if (!by_file.count(f)) order.push_back(f);
    by_file[f].push_back(&g);
  }
  md += fmt::format("{} gates in {} files.\n\n", gates_.size(), order.size());
  for (const auto& f : order) {
    md += "## " + f + "\n\n| Gate | Sev | Cat | Kind | Falsified if | Measures | Applies |\n|---|---|---|---|---|---|---|\n";
    for (const auto* g : by_file[f]) {
      std::string applies;
      auto join = [](const std::vector<std::string>& v) {
        std::string s;
        for (const auto& x : v) s += (s.empty() ? "" : ",") + x;
        return s;
      };
      if (!g->formats.empty()) applies += "formats " + join(g->formats) + "; ";
      if (!g->backends.empty()) applies += "backends " + join(g->backends) + "; ";
      if (!g->modalities.empty()) applies += "modalities " + join(g->modalities) + "; ";
      if (g->needs_directory) applies += "directory input; ";
      if (applies.empty()) applies = "any";
      md += fmt::format("| **{}** {} | {} | {} | `{}` | {} | {} | {} |\n", g->id, md_escape(g->title), g->severity,
                        g->category, to_string(g->kind), md_escape(g->falsified_if),
                        g->measures.empty() ? "process exit status" : join(g->measures), applies);
    }
    md += "\n";
  }
  md += "## Hypotheses\n\n";
  for (const auto& g : gates_) md += fmt::format("- **{}**: {}\n", g.id, md_escape(g.hypothesis));
  return md;
}

}  // namespace apr::qa
