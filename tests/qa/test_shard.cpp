// Sharding (`run --shard K/N`, qa/shard.hpp): the seed playbook's DAG on a directory input is
// split into N shards of whole conversion groups — every node in exactly one shard (the resolve
// node in all), no artifact path in two shards, every dependency inside the shard.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "qa/plan.hpp"
#include "qa/shard.hpp"
#include "seed_plan_fixture.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;

namespace {

Plan seed_plan(const fs::path& out) {
  PlanOptions po;
  po.out_dir = out;
  Plan plan = testing::seed_plan_with(po, "shard_snapshot");
  REQUIRE(plan.input_mode == "directory");
  return plan;
}

// Every path a node writes: its artifact, and every params value under the output folder.
std::set<std::string> written_paths(const Node& n, const std::string& out) {
  std::set<std::string> w;
  if (n.kind != NodeKind::resolve && !n.artifact.empty()) w.insert(n.artifact);
  for (const char* k : {"output"})
    if (n.params.contains(k) && n.params[k].is_string()) w.insert(n.params[k].get<std::string>());
  for (const auto& p : w) CHECK(p.rfind(out, 0) == 0);
  return w;
}

}  // namespace

TEST_CASE("parse_shard") {
  CHECK(parse_shard("1/1").has_value());
  CHECK(parse_shard("3/4")->k == 3);
  CHECK(parse_shard("3/4")->n == 4);
  for (const char* bad : {"", "1", "0/2", "3/2", "1/0", "a/2", "1/2x", "-1/2", "1/ 2", "1/5000"}) {
    CAPTURE(bad);
    CHECK_FALSE(parse_shard(bad).has_value());
  }
}

TEST_CASE("seed playbook, directory input: N = 1..4 shards partition the DAG by conversion group") {
  fs::path out = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/shard_out";
  Plan plan = seed_plan(out);
  const std::size_t m = plan.nodes.size();
  std::size_t resolves = 0;
  for (const auto& n : plan.nodes) resolves += n.kind == NodeKind::resolve;
  REQUIRE(resolves == 1);
  for (int n = 1; n <= 4; ++n) {
    CAPTURE(n);
    Partition p = partition_plan(plan, n, 0);
    REQUIRE(p.shard_of.size() == m);
    std::map<std::size_t, int> seen;          // node -> times in a shard
    std::map<std::string, int> path_shard;    // written path -> shard
    for (int k = 1; k <= n; ++k) {
      auto idx = shard_nodes(p, k);
      std::set<std::string> ids;
      for (std::size_t i : idx) ids.insert(plan.nodes[i].id);
      for (std::size_t i : idx) {
        const Node& node = plan.nodes[i];
        ++seen[i];
        for (const auto& d : node.deps) CHECK_MESSAGE(ids.count(d) == 1, node.id << " depends on " << d << " outside shard " << k);
        if (node.kind == NodeKind::resolve) continue;
        for (const auto& w : written_paths(node, out.string())) {
          auto [it, fresh] = path_shard.emplace(w, k);
          CHECK_MESSAGE((fresh || it->second == k), w << " written by shards " << it->second << " and " << k);
        }
      }
      // A later shard's partition is the same: computed from the plan alone.
      CHECK(partition_plan(plan, n, 0).shard_of == p.shard_of);
    }
    for (std::size_t i = 0; i < m; ++i) {
      CAPTURE(plan.nodes[i].id);
      CHECK(seen[i] == (plan.nodes[i].kind == NodeKind::resolve ? n : 1));
    }
    // Every artifact and run path is written by exactly one node overall.
    std::map<std::string, int> writers;
    for (const auto& node : plan.nodes)
      if (node.kind == NodeKind::convert || node.kind == NodeKind::infer) CHECK(++writers[node.artifact] == 1);
    // Balanced: with N <= groups, no shard is empty.
    if (static_cast<std::size_t>(n) <= p.groups.size())
      for (int k = 1; k <= n; ++k) CHECK(shard_nodes(p, k).size() > 1);
  }
}

TEST_CASE("plan identity ignores the output folder; the signature does not") {
  Plan a = seed_plan(fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/shard_a");
  Plan b = seed_plan(fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/shard_b");
  CHECK(plan_identity(a) == plan_identity(b));
  CHECK(a.signature() != b.signature());
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  auto m = shard_manifest(a, partition_plan(a, 3, 0), 2, *cat, "pb.yaml", "");
  CHECK(m["shard"] == "2/3");
  CHECK(m["nodes"].size() == a.nodes.size());
  CHECK(m["owned_nodes"].size() + m["replicated_nodes"].size() == shard_nodes(partition_plan(a, 3, 0), 2).size());
}
