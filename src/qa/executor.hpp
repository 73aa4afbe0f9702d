// apr-qa qa: runs a Plan. Every node runs in a child worker process (`apr-qa __node`, or the
// command given in ExecOptions::worker for tests) with a per-node timeout; up to `jobs` at
// once. Outcomes:
//   timeout → Timeout; killed by a signal → Crashed (matrix cells: the catalogue gate whose input is
//   the process event "crashed"); non-zero exit → Falsified (the gate of event "failed") with the stderr tail; exit 0 → each gate of
//   the node judged from the measurements it requires (qa/outcome.hpp); a worker "skip" →
//   Skipped with its reason. A node whose dependency failed is Falsified naming it; one whose
//   dependency was Skipped is Skipped with the same reason. Nodes the failure policy prevents
//   from running are Skipped "not run: <policy> after <gate> failed".
// Every finished node is journaled (evidence.jsonl, fsync'd) before the next is reported;
// evidence.json is written atomically at the end. With `resume`, journaled nodes are not rerun.
// SIGINT/SIGTERM stop every child, finalise what completed, and the result says interrupted.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"
#include "qa/gate.hpp"
#include "qa/plan.hpp"
#include "qa/retention.hpp"

namespace apr::qa {

enum class FailurePolicy { stop_on_first, stop_on_p0, collect_all, fail_fast };
std::optional<FailurePolicy> failure_policy_from_string(const std::string& s);  // "stop-on-first" | "stop_on_first" ...
const char* to_string(FailurePolicy p) noexcept;

struct ProgressEvent {
  std::string type;  // "start" | "finish"
  const Node* node = nullptr;
  std::string outcome, reason;
  std::size_t done = 0, total = 0;
  std::vector<std::string> running;
  double elapsed_s = 0;
};

struct ExecOptions {
  int jobs = 1;
  std::int64_t timeout_ms = 60000;
  FailurePolicy policy = FailurePolicy::stop_on_p0;
  std::vector<std::string> worker;  // argv prefix; default {"/proc/self/exe", "__node"}
  bool resume = false;
  std::function<void(const ProgressEvent&)> progress;
  // A shard (`run --shard K/N`, qa/shard.hpp): run only these node indices (empty: all). Every
  // dependency of a listed node must be listed. `shard` ("K/N") is written into the journal
  // header and its signature, so --resume refuses another shard's journal.
  std::vector<std::size_t> only;
  std::string shard;
  // `run --keep-artifacts failed|none`: remove artifact folders during the run once nothing can
  // need them (qa/early_release.hpp); nullopt (keep=all, a shard) removes nothing here.
  std::optional<KeepArtifacts> release_during_run;
};

struct ExecSummary {
  std::vector<Evidence> evidence;  // plan order
  bool interrupted = false;
  // Set when the machine refused a write (disk full, no permission, read-only file system: a
  // worker exiting kWorkerEnvironmentExit, or the executor's own files): the run stopped, the
  // evidence of the nodes completed before it is kept, the rest is Skipped. One line naming the path.
  std::optional<std::string> environment_error;
  std::size_t nodes_run = 0, nodes_resumed = 0;
  std::map<std::string, double> seconds_by_kind;  // worker wall time per node kind/check
  std::map<std::string, int> nodes_by_kind;       // worker processes run per node kind/check
  std::map<std::string, double> cpu_seconds_by_kind;  // worker CPU time (user+sys) per node kind/check
  std::map<std::string, std::string> node_outcomes;  // node id -> outcome string
  // Conversions and shared runs not computed because a finished node with the same content key
  // had made the same bytes (content_reuse.hpp), per node kind.
  std::map<std::string, int> reused_by_kind;
  // Every file a node reported producing (with its sha256), for artifacts.json.
  std::vector<ArtifactRef> produced;
  // artifacts.json entries of the files removed during the run (release_during_run).
  std::vector<nlohmann::json> released;
};

// Runs the plan; writes <out>/evidence.jsonl and <out>/evidence.json, and <out>/nodes/<id>/.
// What produced a run: apr-qa's version and git hash, every environment switch's effective value,
// the policy and timeout, and each catalogue gate as resolved (planned, or why not). Written into
// the journal header and `<out>/provenance.json`.
nlohmann::json provenance(const Plan& plan, const GateCatalogue& cat);

// The journal header's signature of a run: the plan's, plus " shard K/N" for a shard.
std::string journal_signature(const Plan& plan, const std::string& shard);

ExecSummary execute_plan(const Plan& plan, const GateCatalogue& cat, const ExecOptions& opts);

}  // namespace apr::qa
