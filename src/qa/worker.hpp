// apr-qa qa: the worker side of a DAG node (`apr-qa __node --spec S --result R`).
//
// Reads the node spec the executor wrote, performs the node (resolve, convert, or one check
// kind), and writes result.json atomically: {"measurements": [...], "artifacts": [...],
// "output": "...", "metrics": {...}} or {"skip": "<reason>"} when the check cannot run in this
// build or environment. Any apr::Error propagates (the command prints it and exits non-zero),
// which the executor records with the stderr tail (exit 2: Falsified; other: Error);
// an environment error exits kWorkerEnvironmentExit.
#pragma once

#include <filesystem>

namespace apr::qa {

// The worker's exit status for an environment error (disk full, no permission, read-only file
// system: is_environment_error): the executor stops the run (exit 3) instead of recording the
// node as a gate outcome.
inline constexpr int kWorkerEnvironmentExit = 75;

int run_node(const std::filesystem::path& spec, const std::filesystem::path& result);

}  // namespace apr::qa
