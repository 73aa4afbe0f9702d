// apr-qa qa: removing artifact folders during a run, as soon as nothing can still need them
// (`run --keep-artifacts failed|none`; docs/run.md, "Artifacts").
//
// The final retention (qa/retention.hpp) decides what a finished run keeps. Waiting until the end
// to remove leaves every conversion of the run on disk at once (the seed playbook: 14 GB for a
// 1 GB model) and puts the removals — on a file system mounted with `discard`, ~0.2 s per GB
// each, one after another — after the last node. A folder under <work>/artifacts or <work>/runs,
// made by node P, can go during the run when the final retention would remove it anyway and
// nothing can read it again:
//   - P and every node that depends on P (transitively) are done;
//   - keep=failed: none of them has a failed or unevaluated gate (the final retention keeps a
//     failed gate's node and all of its dependencies' folders);
//   - no unfinished node of P's kind remains that could take P's files by content reuse
//     (qa/content_reuse.hpp hard-links a finished twin's files).
// Its files' artifacts.json entries (path, sha256, bytes, kept false) are taken before removal,
// so the record is the same as when the final retention removes them. Never used for a shard
// (other shards' nodes are not known here) or with keep=all; an interrupted run keeps what was
// not yet released. Removal runs on a background thread: a discard waits on the device, not on
// the CPU, and the executor keeps starting nodes meanwhile.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <filesystem>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"
#include "qa/plan.hpp"

namespace apr::qa {

// Which folders may go now (see above). Node indices are the plan's.
class ReleasePlanner {
 public:
  explicit ReleasePlanner(const Plan& plan);
  // The producers whose folder may be removed now, each returned once. `done(i)`: node i is
  // finished; `keep(i)`: node i's record holds a failed or unevaluated gate (keep=failed) — pass
  // a function returning false for keep=none.
  std::vector<std::size_t> releasable(const std::function<bool(std::size_t)>& done,
                                      const std::function<bool(std::size_t)>& keep);
  const std::filesystem::path& unit(std::size_t producer) const { return *unit_.at(producer); }

 private:
  const Plan& plan_;
  std::vector<std::optional<std::filesystem::path>> unit_;  // per node: its folder, if it makes one
  std::vector<std::vector<std::size_t>> readers_;           // per producer: itself + dependents
  std::map<std::filesystem::path, std::vector<std::size_t>> same_unit_;  // folder -> its producers
  std::vector<bool> released_;
};

// `p` made absolute and lexically normal: the form every path comparison here uses.
std::filesystem::path normal_absolute(const std::filesystem::path& p);

// The folder directly under <work>/artifacts or <work>/runs that holds `p`, if any (<work>:
// Plan::work(), the output folder or the run's scratch folder).
std::optional<std::filesystem::path> retention_unit(const std::filesystem::path& p, const std::filesystem::path& work);

// The artifacts.json entries of the regular files under `unit` (sorted by path): sha256 from
// `known` (absolute normal path -> ref) when the size agrees, else hashed now. Throws apr::Error.
std::vector<nlohmann::json> unit_entries(const std::filesystem::path& unit,
                                         const std::map<std::filesystem::path, ArtifactRef>& known, bool kept);

// Removes folders on one background thread, in the order given.
class BackgroundRemover {
 public:
  BackgroundRemover();
  ~BackgroundRemover();  // finishes the queue
  BackgroundRemover(const BackgroundRemover&) = delete;
  BackgroundRemover& operator=(const BackgroundRemover&) = delete;
  // `id` is returned by finish() once the folder is gone.
  void remove(std::filesystem::path folder, std::size_t id);
  // Waits for the queue; the ids removed, and the first failure ("<path>: <message>") if any.
  std::pair<std::vector<std::size_t>, std::optional<std::string>> finish();

 private:
  void loop();
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::pair<std::filesystem::path, std::size_t>> queue_;
  std::vector<std::size_t> removed_;
  std::optional<std::string> error_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace apr::qa
