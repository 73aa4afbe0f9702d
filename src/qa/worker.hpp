// apr-qa qa: the worker side of a DAG node (`apr-qa __node --spec S --result R`).
//
// Reads the node spec the executor wrote, performs the node (resolve, convert, or one check
// kind), and writes result.json atomically: {"measurements": [...], "artifacts": [...],
// "output": "...", "metrics": {...}} or {"skip": "<reason>"} when the check cannot run in this
// build or environment. Any apr::Error propagates (the command prints it and exits non-zero),
// which the executor records as Falsified with the stderr tail.
#pragma once

#include <filesystem>

namespace apr::qa {

int run_node(const std::filesystem::path& spec, const std::filesystem::path& result);

}  // namespace apr::qa
