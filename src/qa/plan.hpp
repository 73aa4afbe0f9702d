// apr-qa qa: planning a playbook into a scenario DAG.
//
// Nodes: resolve (the user's input → concrete files) → convert (artifact, target format) →
// infer (one artifact's teacher-forced run on one prompt: its greedy continuation and the logits
// of every position, computed once and shared by every gate comparing that artifact) →
// check (a gate's measurement: inference cell, conversion comparison, preflight, ...). A check
// node carries the gate ids judged from its measurements; the verdict (measurements against
// thresholds) is taken in the parent when the node's result arrives.
// Conversions are keyed by content and code: key(resolve) = sha256 of the model bytes;
// key(convert) = sha256(parent key, target, replica, build id) — a new build never measures an
// artifact an older converter wrote. The artifact of a node is the concrete file
// `<out>/artifacts/<key[0:20]>/model.<ext>`, shared by every gate that needs it; an existing
// file there is reused only with PlanOptions::reuse_artifacts (how tests plant a corrupt one).
// Which gates are planned, on what, and with which thresholds is read from the catalogue
// (plan_gates.cpp); a gate the playbook does not ask for is listed in `unplanned` with the reason.
// Node order is deterministic, so a plan rebuilt for --resume has the same node ids.
#pragma once

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hash.hpp"
#include "core/result.hpp"
#include "qa/evidence.hpp"
#include "qa/gate.hpp"
#include "qa/playbook.hpp"

namespace apr::qa {

enum class NodeKind { resolve, convert, infer, check };

// A gate's requirement bound to this playbook: `name` <comparator> threshold (from `expr`).
struct BoundRequirement {
  std::string name;
  Comparator comparator = Comparator::le;
  double threshold = 0;
  std::string expr;  // as the catalogue wrote it, e.g. "<= ${conversion_tests.tolerance}"
};
const char* to_string(NodeKind k) noexcept;

struct Node {
  std::string id;                    // "n0007-convert-apr"
  NodeKind kind = NodeKind::check;
  std::string check;                 // check kind name for check nodes ("conversion_pair", ...)
  std::vector<std::string> deps;     // node ids that must complete first
  std::vector<std::string> gates;    // gate ids judged from this node's measurements
  std::map<std::string, std::vector<BoundRequirement>> require;  // per gate: what its verdict requires
  nlohmann::json params = nlohmann::json::object();  // what the worker needs (paths, prompt, ...)
  ScenarioInfo scenario;             // evidence scenario fields
  std::string severity = "P3";       // the most severe of `gates` (P0 first)
  std::optional<std::string> skip_reason;  // planned Skipped (e.g. "no CUDA device")
  std::string artifact;              // resolve/convert/infer: the file it produces
  std::string format;                // resolve/convert: format of `artifact`; infer: "run"
  std::string key;                   // resolve/convert/infer: content key
};

struct PlanOptions {
  std::optional<std::string> model_path;  // else playbook model.local_path
  std::filesystem::path out_dir = "output";
  bool has_cuda = false;
  bool dry_run = false;                   // no hashing of model bytes; a missing model is allowed
  // Plan shared infer nodes (one teacher-forced run per artifact and prompt) and skip the
  // re-load of gateless conversions. false: every comparing gate runs both models itself, as
  // before the sharing (same measurements, more work); for A/B benchmarks
  // (APR_QA_NO_SHARED_RUNS=1 in `apr-qa run`).
  bool shared_runs = true;
  bool drafts = true;  // shared runs of converted artifacts verify the source's run (PlanBuilder::assign_drafts)
  // Reuse an existing artifact file at a conversion's content-keyed path instead of converting
  // again (`run --reuse-artifacts`). Off by default: every run measures what this build's
  // converter writes. The tests use it to plant a corrupted artifact.
  bool reuse_artifacts = false;
  // `run --scratch DIR`: converted models and shared runs go under work_dir_for(DIR, out_dir)
  // instead of out_dir (qa/scratch.hpp). Unset: under out_dir.
  std::optional<std::filesystem::path> scratch_dir;
};

struct Plan {
  std::string playbook_name, model_org, model_name, tier;
  std::string input, input_mode;          // input_mode: "directory" | "file" | "none"
  std::vector<FileDigest> input_digests;  // sha256 of the input's files taken while planning
  std::filesystem::path out_dir;
  // Where artifacts/ and runs/ live: out_dir, or a folder of `run --scratch` (qa/scratch.hpp).
  // Absolute. Every artifact path of the plan starts with it.
  std::filesystem::path work_dir;
  const std::filesystem::path& work() const { return work_dir.empty() ? out_dir : work_dir; }  // work_dir, else out_dir
  std::vector<Node> nodes;
  std::vector<std::string> warnings;      // non-fatal findings
  std::vector<std::pair<std::string, std::string>> unplanned;  // catalogue gates not planned, and why
  std::int64_t timeout_ms = 60000;
  std::string failure_policy = "stop-on-p0";
  std::string size_category = "tiny";
  bool reuse_artifacts = false;

  const Node* find(const std::string& id) const;
  std::size_t index_of(const std::string& id) const;
  std::vector<std::string> gate_ids() const;  // distinct, in plan order
  // Hash of node ids + params (resume guard). Paths under work_dir count as if under out_dir, so
  // a run and its --resume agree whether or not either put its artifacts in a scratch folder.
  std::string signature() const;
  std::string dot() const;                    // Graphviz
  std::string text() const;                   // human-readable listing for --dry-run
};

Result<Plan> build_plan(const Playbook& pb, const GateCatalogue& cat, const PlanOptions& opts);

// `from` itself becomes `to`, and `from` + '/' + rest becomes `to` + '/' + rest; any other string
// (a sibling such as `from`2/x included) is unchanged.
void rebase_path(std::string& s, const std::string& from, const std::string& to);
// rebase_path() on every string inside j (the paths in a node's params).
void rebase_paths(nlohmann::json& j, const std::string& from, const std::string& to);

// Severity order helper: "P0" < "P1" < ... ; returns the more severe one.
std::string more_severe(const std::string& a, const std::string& b);

}  // namespace apr::qa
