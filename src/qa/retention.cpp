#include "qa/retention.hpp"

#include <algorithm>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "qa/early_release.hpp"
#include "qa/scratch.hpp"

namespace apr::qa {

namespace fs = std::filesystem;

std::optional<KeepArtifacts> keep_artifacts_from_string(const std::string& s) {
  if (s == "all") return KeepArtifacts::all;
  if (s == "failed") return KeepArtifacts::failed;
  if (s == "none") return KeepArtifacts::none;
  return std::nullopt;
}

RetentionSummary apply_artifact_retention(const Plan& plan, const std::vector<Evidence>& evidence, KeepArtifacts keep,
                                          const std::vector<ArtifactRef>& produced,
                                          const std::vector<nlohmann::json>& released, bool finished) {
  const fs::path out = normal_absolute(plan.out_dir);
  // Where the artifact folders are: out, or the run's scratch folder (qa/scratch.hpp).
  const fs::path work = normal_absolute(plan.work());
  const bool in_scratch = work != out;
  std::set<fs::path> keep_units;
  std::map<fs::path, ArtifactRef> known;  // sha256 already computed by the checks
  for (const auto& a : produced) known.emplace(normal_absolute(a.path), a);
  std::set<std::string> keep_nodes;
  for (const auto& e : evidence) {
    for (const auto& a : e.artifacts) known.emplace(normal_absolute(a.path), a);
    if (keep != KeepArtifacts::failed || !is_failure(e.outcome)) continue;
    for (const auto& a : e.artifacts)
      if (auto u = retention_unit(a.path, work)) keep_units.insert(*u);
    if (!e.node.empty()) keep_nodes.insert(e.node);
  }
  // A failed gate's node and everything it depends on.
  std::vector<std::string> todo(keep_nodes.begin(), keep_nodes.end());
  while (!todo.empty()) {
    const Node* n = plan.find(todo.back());
    todo.pop_back();
    if (!n) continue;
    if (!n->artifact.empty())
      if (auto u = retention_unit(n->artifact, work)) keep_units.insert(*u);
    for (const auto& d : n->deps)
      if (keep_nodes.insert(d).second) todo.push_back(d);
  }

  RetentionSummary s;
  std::vector<nlohmann::json> entries;
  auto count = [&](const nlohmann::json& e) {
    const bool kept = e.at("kept").get<bool>();
    const std::uint64_t bytes = e.at("bytes").get<std::uint64_t>();
    (kept ? s.files_kept : s.files_removed) += 1;
    (kept ? s.bytes_kept : s.bytes_removed) += bytes;
    entries.push_back(e);
  };
  for (const auto& e : released) count(e);  // removed during the run (qa/early_release.hpp)
  std::vector<fs::path> remove;
  std::vector<std::pair<fs::path, fs::path>> move;  // kept scratch folders and where they go in out
  for (const char* top : {"artifacts", "runs"}) {
    std::error_code ec;
    const fs::path root = work / top;
    if (!fs::is_directory(root, ec)) continue;
    std::vector<fs::path> units;
    for (const auto& de : fs::directory_iterator(root, ec)) units.push_back(de.path());
    std::sort(units.begin(), units.end());
    for (const auto& unit : units) {
      const bool kept = keep == KeepArtifacts::all || keep_units.count(unit) > 0;
      const bool moved = kept && in_scratch && finished;
      const fs::path dest = out / top / unit.filename();
      for (auto e : unit_entries(unit, known, kept)) {
        if (moved) {
          // evidence.json names the path each artifact was measured at; the list says where it is.
          const std::string at = e.at("path").get<std::string>();
          e["measured_at"] = at;
          e["path"] = (dest / fs::path(at).lexically_relative(unit)).lexically_normal().string();
        }
        count(e);
      }
      if (!kept) remove.push_back(unit);
      if (moved) move.emplace_back(unit, dest);
    }
  }
  std::stable_sort(entries.begin(), entries.end(), [](const nlohmann::json& a, const nlohmann::json& b) {
    return a.at("path").get_ref<const std::string&>() < b.at("path").get_ref<const std::string&>();
  });
  nlohmann::json list = nlohmann::json::array();
  for (auto& e : entries) list.push_back(std::move(e));
  const char* mode = keep == KeepArtifacts::all ? "all" : keep == KeepArtifacts::failed ? "failed" : "none";
  nlohmann::json doc = {{"keep_artifacts", mode}, {"files_kept", s.files_kept}, {"bytes_kept", s.bytes_kept},
                        {"files_removed", s.files_removed}, {"bytes_removed", s.bytes_removed}, {"artifacts", list}};
  if (in_scratch) doc["scratch"] = work.string();
  // The list first: a removal that fails half-way still leaves the record of every file.
  write_file_atomic(out / "artifacts.json", doc.dump(2) + "\n");
  for (const auto& u : remove) {
    std::error_code ec;
    fs::remove_all(u, ec);
    if (ec) throw io_error("cannot remove artifact folder: " + ec.message()).at_path(u.string());
  }
  for (const auto& [from, to] : move) move_path(from, to);
  if (in_scratch && finished) {
    // The run's scratch folder held only artifacts/ and runs/: now empty, it goes too.
    std::error_code ec;
    for (const char* top : {"artifacts", "runs"}) fs::remove(work / top, ec);
    fs::remove(work, ec);
    s.scratch_moved = move.size();
  }
  return s;
}

}  // namespace apr::qa
