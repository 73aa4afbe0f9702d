// apr-qa qa: `apr-qa merge OUT SHARD_DIR…` — one record from the shards of a sharded run
// (`run --shard K/N`, qa/shard.hpp, docs/scale-out.md).
//
// Each shard folder holds shard.json (the plan identity, K/N, every node with its owner and the
// Error entries to write if it is missing) and its journal evidence.jsonl. The merge takes every
// node, in the plan's order, from its owner's journal (the replicated resolve node from the
// lowest shard that has it; a node the failure policy skipped, from the shard's evidence.json),
// and writes OUT/evidence.json, mqs.json, junit.xml, summary.md, report.html, provenance.json (the
// first shard's), timing.json (per-shard wall and summed worker seconds) and merge.json.
//
// A shard folder that is missing, or a journal lacking nodes its shard owns, makes the record
// incomplete: merge.json says "complete": false and lists every missing node with its shard and
// gates, each of those gates gets an Error entry ("not measured: shard K/N did not record node
// …"), so the verdict is NOT CERTIFIED, and the exit code is 3. `run --resume --shard K/N -o
// SHARD_DIR` of that shard completes it; a second merge is then complete.
// Exit codes: 0 complete and every gate Corroborated or Skipped (one at least Corroborated); 1
// complete with a failed gate (as `run`); 2 usage (no shard.json anywhere, shards of different
// plans or builds, the same shard twice); 3 incomplete.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"

namespace apr::qa {

struct MergeOptions {
  std::filesystem::path out_dir;
  std::vector<std::filesystem::path> shard_dirs;
  bool print_summary = true;
};

struct MergeResult {
  bool complete = false;
  std::vector<Evidence> evidence;  // plan order
  nlohmann::json manifest;         // merge.json
  int exit_code = 0;
};

MergeResult merge_shards(const MergeOptions& o);

}  // namespace apr::qa
