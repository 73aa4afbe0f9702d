// apr-qa qa: what a finished worker says about its node. The executor runs each node in a
// worker process (worker.hpp); when the worker exits 0, the result.json it wrote is judged here:
// every gate of the node against its bound requirements (judge.hpp), from the measurements the
// worker recorded. A node without gates (an artifact producer) succeeds iff its artifact file is
// there and not empty. Pure: no journal, no scheduling (those stay in executor.cpp).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"
#include "qa/plan.hpp"

namespace apr::qa {

struct NodeJudgement {
  Outcome outcome = Outcome::skipped;
  // The node's one-line reason: the first failing gate and why, else the first entry's reason
  // (never a passing measurement presented as a failure).
  std::string reason;
  nlohmann::json artifacts = nlohmann::json::array();  // the worker's own outputs (result.json "artifacts")
  std::vector<Evidence> evidence;                      // one per gate; for a producer, one only when it failed
};

// The evidence entry the run would write for (node, gate) before judgement: id, host, settings,
// the catalogue's fields (executor.cpp Runner::base_evidence).
using EvidenceFor = std::function<Evidence(const Node&, const std::string& gate)>;

// res: the worker's result.json (an object); dep_artifacts: the artifacts entries of n's
// dependencies, which every evidence entry names next to n's own; failed_gate: the catalogue's
// process gate for a producer without its artifact.
NodeJudgement judge_worker_result(const Node& n, const nlohmann::json& res, const nlohmann::json& dep_artifacts,
                                  const std::string& failed_gate, const EvidenceFor& evidence_for);

// "SIGSEGV", "SIGABRT", ... for a crash reason; "signal" for the others.
const char* signal_name(int s);

// The last line of a worker's stderr tail (trailing newlines ignored): the line a reason quotes.
std::string last_line(const std::string& s);

}  // namespace apr::qa
