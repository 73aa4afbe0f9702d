// Sharding a plan; see shard.hpp for the contract.
#include "qa/shard.hpp"

#include <algorithm>
#include <functional>
#include <charconv>
#include <filesystem>
#include <numeric>

#include <fmt/format.h>

#include "core/build_info.hpp"
#include "core/hash.hpp"

namespace apr::qa {

std::optional<ShardSpec> parse_shard(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto num = [](std::string_view v) -> std::optional<int> {
    int x = 0;
    auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
    if (ec != std::errc() || p != v.data() + v.size() || v.empty()) return std::nullopt;
    return x;
  };
  auto k = num(std::string_view(s).substr(0, slash)), n = num(std::string_view(s).substr(slash + 1));
  if (!k || !n || *n < 1 || *n > 4096 || *k < 1 || *k > *n) return std::nullopt;
  return ShardSpec{*k, *n};
}

// Worker CPU seconds per node per GB of model, from the seed benchmark (docs/run.md, quiet machine,
// 24 layers, 0.99 GB BF16): inference cells 51.5 s / 10 nodes, convert 34.1 / 13, infer 28.8 / 12,
// format_contract 4.9 / 4, conversion_pair 4.3 / 6, roundtrip_chain 3.3 / 4, the rest <= 1.5 s in all.
// perplexity (the sanity gate's forward pass over 512 corpus tokens) measured 16.3-18.2 CPU-s on
// the same snapshot (docs/performance.md, 2026-12-04): 17. A cpu matrix cell that reads a shared
// run costs next to nothing (node_cost).
double kind_weight(const std::string& kind) {
  static const std::vector<std::pair<std::string, double>> w = {
      {"resolve", 0.0},          {"inference", 5.2},      {"perplexity", 17.0},      {"performance", 5.2},
      {"convert", 2.6},          {"infer", 2.4},          {"format_contract", 1.2}, {"roundtrip_chain", 0.85},
      {"conversion_pair", 0.72}, {"differential_inference", 0.6}, {"golden_rule", 0.5}, {"commutativity", 0.5},
  };
  for (const auto& [k, v] : w)
    if (k == kind) return v;
  return 0.3;  // preflight, contracts, fingerprints, byte round trips, idempotency, ...
}

double node_cost(const Node& n, std::uint64_t model_bytes) {
  if (n.skip_reason) return 0.0;
  double gb = model_bytes ? static_cast<double>(model_bytes) / 1e9 : 1.0;
  // A cpu matrix cell reading a shared run (params run) only judges the run's text.
  if (n.kind == NodeKind::check && n.check == "inference" && n.params.contains("run")) return 0.05 * gb;
  return kind_weight(n.kind == NodeKind::check ? n.check : to_string(n.kind)) * gb;
}

std::vector<double> schedule_priority(const Plan& plan) {
  std::uint64_t bytes = 0;
  for (const auto& n : plan.nodes)
    if (n.kind == NodeKind::resolve) {
      std::error_code ec;
      bytes = std::filesystem::file_size(n.artifact, ec);
      if (ec) bytes = 0;
    }
  const std::size_t m = plan.nodes.size();
  std::vector<std::vector<std::size_t>> children(m);
  for (std::size_t i = 0; i < m; ++i)
    for (const auto& d : plan.nodes[i].deps)
      if (std::size_t j = plan.index_of(d); j < m) children[j].push_back(i);
  std::vector<double> prio(m, -1.0);
  // Dependencies come first in plan order, but do not rely on it: memoized depth-first walk.
  std::function<double(std::size_t)> level = [&](std::size_t i) -> double {
    if (prio[i] >= 0) return prio[i];
    double below = 0;
    for (std::size_t c : children[i]) below = std::max(below, level(c));
    return prio[i] = node_cost(plan.nodes[i], bytes) + below;
  };
  for (std::size_t i = 0; i < m; ++i) level(i);
  return prio;
}

Partition partition_plan(const Plan& plan, int n, std::uint64_t model_bytes) {
  const std::size_t m = plan.nodes.size();
  Partition p;
  p.n = std::max(1, n);
  p.shard_of.assign(m, -1);
  p.cost.assign(static_cast<std::size_t>(p.n), 0.0);
  // Union-find over the DAG's edges, the resolve node left out.
  std::vector<std::size_t> parent(m);
  std::iota(parent.begin(), parent.end(), std::size_t{0});
  auto find = [&](std::size_t x) {
    while (parent[x] != x) x = parent[x] = parent[parent[x]];
    return x;
  };
  auto replicated = [&](std::size_t i) { return plan.nodes[i].kind == NodeKind::resolve; };
  for (std::size_t i = 0; i < m; ++i) {
    if (replicated(i)) continue;
    for (const auto& d : plan.nodes[i].deps) {
      std::size_t j = plan.index_of(d);
      if (j >= m || replicated(j)) continue;
      auto a = find(i), b = find(j);
      if (a != b) parent[std::max(a, b)] = std::min(a, b);  // root: the group's first node
    }
  }
  std::vector<std::size_t> group_of_root(m, SIZE_MAX);
  std::vector<double> gcost;
  for (std::size_t i = 0; i < m; ++i) {
    if (replicated(i)) continue;
    auto r = find(i);
    if (group_of_root[r] == SIZE_MAX) {
      group_of_root[r] = p.groups.size();
      p.groups.emplace_back();
      gcost.push_back(0);
    }
    p.groups[group_of_root[r]].push_back(i);
    gcost[group_of_root[r]] += node_cost(plan.nodes[i], 0);  // unscaled: the partition never depends on the size
  }
  std::vector<std::size_t> order(p.groups.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  // Largest first; equal costs keep plan order (groups are numbered by their first node).
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return gcost[a] > gcost[b]; });
  p.group_shard.assign(p.groups.size(), 0);
  for (std::size_t g : order) {
    int best = 0;
    for (int s = 1; s < p.n; ++s)
      if (p.cost[static_cast<std::size_t>(s)] < p.cost[static_cast<std::size_t>(best)]) best = s;
    p.group_shard[g] = best;
    p.cost[static_cast<std::size_t>(best)] += gcost[g];
    for (std::size_t i : p.groups[g]) p.shard_of[i] = best;
  }
  for (auto& c : p.cost) c *= model_bytes ? static_cast<double>(model_bytes) / 1e9 : 1.0;
  return p;
}

std::vector<std::size_t> shard_nodes(const Partition& p, int k) {
  std::vector<std::size_t> out;
  for (std::size_t i = 0; i < p.shard_of.size(); ++i)
    if (p.shard_of[i] == -1 || p.shard_of[i] == k - 1) out.push_back(i);
  return out;
}

std::string plan_identity(const Plan& plan) {
  std::string out = plan.out_dir.string();
  std::string s;
  for (const auto& n : plan.nodes) {
    std::string params = n.params.dump();
    for (std::size_t pos = 0; !out.empty() && (pos = params.find(out, pos)) != std::string::npos;)
      params.replace(pos, out.size(), "<out>"), pos += 5;
    s += n.id + "|" + params + "|" + n.key;
    for (const auto& [g, reqs] : n.require)
      for (const auto& r : reqs) s += fmt::format("|{}:{}{}{}", g, r.name, to_string(r.comparator), r.threshold);
    s += "\n";
  }
  return sha256_hex(std::as_bytes(std::span(s.data(), s.size())));
}

std::uint64_t model_bytes_of(const Plan& plan) {
  for (const auto& n : plan.nodes)
    if (n.kind == NodeKind::resolve) {
      std::error_code ec;
      auto sz = std::filesystem::file_size(n.artifact, ec);
      return ec ? 0 : static_cast<std::uint64_t>(sz);
    }
  return 0;
}

std::string shard_text(const Plan& plan, const Partition& p, int k) {
  auto idx = shard_nodes(p, k);
  std::size_t groups = 0;
  for (int s : p.group_shard) groups += s == k - 1;
  std::string t = fmt::format("shard {}/{} of {} ({} input: {}): {} of {} nodes, {} conversion group{}, estimated {:.1f} CPU-s\n",
                              k, p.n, plan.playbook_name, plan.input_mode, plan.input.empty() ? "-" : plan.input, idx.size(),
                              plan.nodes.size(), groups, groups == 1 ? "" : "s", p.cost[static_cast<std::size_t>(k - 1)]);
  t += "estimated CPU-s per shard:";
  for (int s = 0; s < p.n; ++s) t += fmt::format(" {}={:.1f}", s + 1, p.cost[static_cast<std::size_t>(s)]);
  t += " (node kind weight x model GB; docs/scale-out.md)\n";
  for (std::size_t i : idx) {
    const Node& n = plan.nodes[i];
    t += fmt::format("  {:<28} {:<8}", n.id, to_string(n.kind));
    if (p.shard_of[i] == -1) t += " (every shard)";
    if (!n.gates.empty()) {
      t += "  [";
      for (std::size_t g = 0; g < n.gates.size(); ++g) t += (g ? " " : "") + n.gates[g];
      t += fmt::format("] {}/{}/{}", n.scenario.modality, n.scenario.backend, n.scenario.format);
    }
    if (!n.artifact.empty()) t += "  -> " + n.artifact;
    if (n.skip_reason) t += "  (Skipped: " + *n.skip_reason + ")";
    t += "\n";
  }
  return t;
}

nlohmann::json shard_manifest(const Plan& plan, const Partition& p, int k, const GateCatalogue& cat,
                              const std::string& playbook_path, const std::string& model_path) {
  HostInfo host = HostInfo::current();
  nlohmann::json owned = nlohmann::json::array(), replicated = nlohmann::json::array(), nodes = nlohmann::json::array();
  for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
    const Node& n = plan.nodes[i];
    if (p.shard_of[i] == k - 1) owned.push_back(n.id);
    if (p.shard_of[i] == -1) replicated.push_back(n.id);
    nlohmann::json missing = nlohmann::json::array();
    for (const auto& g : n.gates) {
      Evidence e;
      e.id = new_evidence_id();
      e.gate_id = g;
      e.scenario = n.scenario;
      e.outcome = Outcome::error;
      e.reason = "not measured: its shard did not record it";
      e.timestamp = utc_timestamp_now();
      e.host = host;
      e.node = n.id;
      e.metadata["node"] = n.id;
      e.metadata["node_kind"] = n.kind == NodeKind::check ? n.check : to_string(n.kind);
      if (const GateDef* gd = cat.find(g)) {
        e.severity = gd->severity;
        e.category = gd->category;
      }
      missing.push_back(to_json(e));
    }
    nodes.push_back({{"id", n.id}, {"gates", n.gates}, {"shard", p.shard_of[i] + 1},  // shard 0: every shard
                     {"kind", n.kind == NodeKind::check ? n.check : to_string(n.kind)}, {"if_missing", missing}});
  }
  return {{"playbook", playbook_path},
          {"playbook_name", plan.playbook_name},
          {"model", plan.model_org + "/" + plan.model_name},
          {"tier", plan.tier},
          {"model_input", plan.input},
          {"model_path", model_path.empty() ? plan.input : model_path},
          {"shard", fmt::format("{}/{}", k, p.n)},
          {"k", k},
          {"n", p.n},
          {"owned_nodes", owned},
          {"replicated_nodes", replicated},
          {"nodes", nodes},
          {"estimated_cpu_s", p.cost},
          {"plan_identity", plan_identity(plan)},
          {"build", build_id()},
          {"failure_policy", plan.failure_policy}};
}

}  // namespace apr::qa
