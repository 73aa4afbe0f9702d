#include "qa/mqs_rules.hpp"

#include <cmath>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "qa/yaml_document.hpp"
#include "qa/yaml_reader.hpp"

namespace apr::qa {

const char* embedded_anchor_mqs_yaml();  // generated at build time (src/qa/CMakeLists.txt)

namespace {

using namespace yamlr;

bool starts_with(const std::string& s, const std::string& p) { return s.rfind(p, 0) == 0; }

YAML::Node sequence(const Ctx& c, MapReader& r, const std::string& key) {
  YAML::Node n = r.require(key);
  if (!n.IsSequence() || n.size() == 0) fail(c, n, key, "expected a non-empty list, found " + describe(n));
  return n;
}

}  // namespace

bool MqsGatewayRule::matches(const std::string& gate_id, Outcome o) const {
  if (outcome) return o == *outcome;
  if (!id_prefix.empty()) return starts_with(gate_id, id_prefix);
  return gate_id.find(id_contains) != std::string::npos;
}

bool MqsRules::has_category(std::string_view name) const {
  for (const auto& c : categories)
    if (c.name == name) return true;
  return false;
}

std::string MqsRules::category_for(const std::string& id) const {
  for (const auto& r : id_rules)
    if (starts_with(id, r.prefix)) return r.category;
  const auto d1 = id.find('-');
  if (d1 != std::string::npos) {
    const auto d2 = id.find('-', d1 + 1);
    std::string seg = id.substr(d1 + 1, d2 == std::string::npos ? std::string::npos : d2 - d1 - 1);
    if (has_category(seg)) return seg;
  }
  return default_category;
}

MqsRules parse_mqs_rules(const std::string& name, const std::string& text) {
  Ctx c{name, true, nullptr};
  YAML::Node root = load_document(c, text);
  MapReader r(c, root, "");
  MqsRules rules;

  YAML::Node cats = sequence(c, r, "categories");
  std::set<std::string> names;
  for (std::size_t i = 0; i < cats.size(); ++i) {
    const std::string k = fmt::format("categories[{}]", i);
    MapReader cr(c, cats[i], k);
    MqsCategoryRule cat;
    auto nn = cr.require("name");
    cat.name = as_string(c, nn, k + ".name");
    if (cat.name.empty() || cat.name.find('-') != std::string::npos)
      fail(c, nn, k + ".name", "expected a category name without '-', found '" + cat.name + "'");
    if (!names.insert(cat.name).second) fail(c, nn, k + ".name", "category '" + cat.name + "' is listed twice");
    cat.max = static_cast<int>(as_int(c, cr.require("max"), k + ".max", 0, 1000));
    cr.finish();
    rules.categories.push_back(std::move(cat));
  }
  std::vector<std::string> allowed(names.begin(), names.end());

  YAML::Node ids = sequence(c, r, "id_rules");
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const std::string k = fmt::format("id_rules[{}]", i);
    MapReader ir(c, ids[i], k);
    MqsIdRule rule;
    auto pn = ir.require("prefix");
    rule.prefix = as_string(c, pn, k + ".prefix");
    if (rule.prefix.empty()) fail(c, pn, k + ".prefix", "expected a non-empty gate id prefix");
    rule.category = as_enum(c, ir.require("category"), k + ".category", allowed);
    ir.finish();
    rules.id_rules.push_back(std::move(rule));
  }
  rules.default_category = as_enum(c, r.require("default"), "default", allowed);

  YAML::Node gws = sequence(c, r, "gateways");
  for (std::size_t i = 0; i < gws.size(); ++i) {
    const std::string k = fmt::format("gateways[{}]", i);
    MapReader gr(c, gws[i], k);
    MqsGatewayRule g;
    g.id = as_string(c, gr.require("id"), k + ".id");
    g.description = as_string(c, gr.require("description"), k + ".description");
    int set = 0;
    if (auto n = gr.take("id_prefix"); n.IsDefined()) g.id_prefix = as_string(c, n, k + ".id_prefix"), ++set;
    if (auto n = gr.take("id_contains"); n.IsDefined()) g.id_contains = as_string(c, n, k + ".id_contains"), ++set;
    if (auto n = gr.take("outcome"); n.IsDefined()) {
      std::vector<std::string> outs;
      for (Outcome o : all_outcomes())
        if (is_failure(o)) outs.emplace_back(to_string(o));
      g.outcome = outcome_from_string(as_enum(c, n, k + ".outcome", outs));
      ++set;
    }
    if (set != 1 || (g.outcome == std::nullopt && g.id_prefix.empty() && g.id_contains.empty()))
      fail(c, gws[i], k, "expected exactly one non-empty matcher: id_prefix, id_contains or outcome");
    if (auto n = gr.take("more_than_fraction"); n.IsDefined()) {
      const double f = as_number(c, n, k + ".more_than_fraction");
      if (!(f >= 0.0 && f < 1.0)) fail(c, n, k + ".more_than_fraction", fmt::format("expected a fraction in [0, 1), found {}", f));
      g.more_than_fraction = f;
    }
    gr.finish();
    rules.gateways.push_back(std::move(g));
  }
  r.finish();
  return rules;
}

const MqsRules& anchor_mqs_rules() {
  static const MqsRules rules = parse_mqs_rules("gates/scoring/anchor-mqs.yaml", embedded_anchor_mqs_yaml());
  return rules;
}

}  // namespace apr::qa
