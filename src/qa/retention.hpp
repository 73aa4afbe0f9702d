// apr-qa qa: what a finished run keeps of its artifact files (`run --keep-artifacts`).
//
// A run writes converted models under <work>/artifacts/<key>/ and shared teacher-forced runs (and
// saved logits) under <work>/runs/<key>/ (<work>: <out>, or the run's `--scratch` folder); a directory run of a 135M model leaves several GB there.
// After the reports are written, keep=failed removes every such folder that no failed or
// unevaluated gate used (the gate's own node, its transitive dependencies and the artifacts its
// evidence names), keep=none removes them all, keep=all removes nothing. Either way
// <out>/artifacts.json lists every artifact file — path, sha256, bytes, kept — so the record of
// what was measured survives the files (evidence.json keeps its own artifact entries too).
// Nothing outside <work>/artifacts and <work>/runs is ever removed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"
#include "qa/plan.hpp"

namespace apr::qa {

enum class KeepArtifacts { all, failed, none };
std::optional<KeepArtifacts> keep_artifacts_from_string(const std::string& s);  // all|failed|none

struct RetentionSummary {
  std::size_t files_kept = 0, files_removed = 0;
  std::uint64_t bytes_kept = 0, bytes_removed = 0;
  std::size_t scratch_moved = 0;  // kept folders moved from the scratch folder into out
};

// Writes <out>/artifacts.json and removes what `keep` does not keep. Throws apr::Error.
// `produced`: files the workers already hashed (every node's artifacts, not only those evidence
// names): their sha256 is taken from there when the size agrees instead of hashing them again.
// `released`: the entries of files the executor removed during the run (qa/early_release.hpp),
// listed and counted as removed.
// The folders are under plan.work_dir. When that is a scratch folder (`run --scratch`,
// qa/scratch.hpp) and the run `finished`, the kept folders are moved into <out> (their entries:
// `path` where they are now, `measured_at` the path evidence.json names) and the scratch folder
// is removed; an unfinished run (interrupted, environment error) leaves them for --resume.
RetentionSummary apply_artifact_retention(const Plan& plan, const std::vector<Evidence>& evidence, KeepArtifacts keep,
                                          const std::vector<ArtifactRef>& produced = {},
                                          const std::vector<nlohmann::json>& released = {}, bool finished = true);

}  // namespace apr::qa
