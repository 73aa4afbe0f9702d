// apr-qa qa: sharding a plan over N machines (`apr-qa run --shard K/N`, docs/scale-out.md).
//
// A shard is a set of conversion groups. A group is a connected component of the scenario DAG
// once the single root resolve node is removed: an artifact, the chain of conversions that
// produces it, the shared inference runs on it and every check that reads it. Every node reads
// only its dependencies' artifacts (and the model input, which resolve names and every shard
// re-resolves itself), so a group runs on one shard with nothing from another: no artifact is
// built twice and no two shards write the same path. The resolve node is replicated (each
// shard runs it; the merge keeps shard 1's entry).
//
// Groups are assigned greedily, largest estimated cost first, to the shard with the least cost
// so far (ties: the lower shard, the earlier group): deterministic, so every shard computes the
// same partition from the same plan. The cost of a node is its kind's weight × the model's size
// in GB (node_cost); the weights are worker CPU seconds per node per GB of BF16 model, calibrated
// from the seed benchmark's timing.json (docs/run.md: the 24-layer Qwen2.5-0.5B-shaped snapshot,
// 0.99 GB). Planned-Skipped nodes (gpu cells) cost nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/gate.hpp"
#include "qa/plan.hpp"

namespace apr::qa {

struct ShardSpec {
  int k = 1;  // 1-based
  int n = 1;
  std::string str() const { return std::to_string(k) + "/" + std::to_string(n); }
};

// "K/N" with 1 <= K <= N <= 4096; nullopt otherwise.
std::optional<ShardSpec> parse_shard(const std::string& s);

// Estimated worker CPU seconds of one node on a model of `model_bytes` bytes.
double node_cost(const Node& n, std::uint64_t model_bytes);
// The weight table (kind or check name -> seconds per GB), for docs and --dry-run.
double kind_weight(const std::string& kind);

// The executor's start order (one machine): each node's estimated cost plus the longest estimated
// path below it in the DAG (its "bottom level"); a ready node with a higher value starts first.
std::vector<double> schedule_priority(const Plan& plan);

struct Partition {
  int n = 1;
  std::vector<int> shard_of;                    // per plan node: 0-based shard, -1 replicated (resolve)
  std::vector<std::vector<std::size_t>> groups;  // node indices of each group, plan order
  std::vector<int> group_shard;                  // per group: 0-based shard
  std::vector<double> cost;                      // per shard: estimated seconds
};

// Partitions `plan` into n shards. `model_bytes` scales the costs (0: 1 GB).
Partition partition_plan(const Plan& plan, int n, std::uint64_t model_bytes);

// Node indices shard k (1-based) runs, in plan order: the replicated nodes and its own.
std::vector<std::size_t> shard_nodes(const Partition& p, int k);

// The plan's identity across shards: its signature with the output folder written as "<out>"
// (each shard has its own -o, so artifact paths differ only in that prefix).
std::string plan_identity(const Plan& plan);

// Size in bytes of the model input (the resolve node's file); 0 when it cannot be read.
std::uint64_t model_bytes_of(const Plan& plan);

// The text --dry-run --shard K/N prints: the shard's nodes, its estimated cost, the others'.
std::string shard_text(const Plan& plan, const Partition& p, int k);

// shard.json written into a shard's output folder: playbook, model input, K/N, the nodes it
// owns, every node's gates and owner with the Error entries a merge writes for it when its shard
// did not record it (so a merge knows what a missing shard should have run), the plan identity
// and the build id.
nlohmann::json shard_manifest(const Plan& plan, const Partition& p, int k, const GateCatalogue& cat,
                              const std::string& playbook_path, const std::string& model_path);

}  // namespace apr::qa
