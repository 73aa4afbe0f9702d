#include "qa/early_release.hpp"

#include <algorithm>
#include <system_error>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/printable.hpp"

namespace apr::qa {

namespace fs = std::filesystem;

fs::path normal_absolute(const fs::path& p) { return fs::absolute(p).lexically_normal(); }

std::optional<fs::path> retention_unit(const fs::path& p, const fs::path& out) {
  const fs::path a = normal_absolute(p);
  for (const char* top : {"artifacts", "runs"}) {
    const fs::path root = normal_absolute(out) / top;
    auto rel = a.lexically_relative(root);
    if (rel.empty() || *rel.begin() == ".." || *rel.begin() == ".") continue;
    return root / *rel.begin();
  }
  return std::nullopt;
}

std::vector<nlohmann::json> unit_entries(const fs::path& unit, const std::map<fs::path, ArtifactRef>& known, bool kept) {
  std::error_code ec;
  std::vector<fs::path> files;
  if (fs::is_directory(unit, ec)) {
    for (const auto& f : fs::recursive_directory_iterator(unit, ec))
      if (f.is_regular_file(ec)) files.push_back(f.path());
  } else if (fs::is_regular_file(unit, ec)) {
    files.push_back(unit);
  }
  std::sort(files.begin(), files.end());
  std::vector<nlohmann::json> out;
  for (const auto& f : files) {
    const fs::path nf = normal_absolute(f);
    const std::uint64_t bytes = fs::file_size(f, ec);
    std::string sha;
    if (auto k = known.find(nf); k != known.end() && k->second.bytes == bytes) {
      sha = k->second.sha256;
    } else {
      auto h = sha256_file(f);
      if (!h) throw h.error();
      sha = *h;
    }
    out.push_back({{"path", nf.string()}, {"sha256", sha}, {"bytes", bytes}, {"kept", kept}});
  }
  return out;
}

ReleasePlanner::ReleasePlanner(const Plan& plan) : plan_(plan) {
  const std::size_t n = plan.nodes.size();
  unit_.resize(n);
  readers_.resize(n);
  released_.assign(n, false);
  std::vector<std::vector<std::size_t>> children(n);
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& d : plan.nodes[i].deps) {
      const std::size_t j = plan.index_of(d);
      if (j < n) children[j].push_back(i);
    }
  for (std::size_t p = 0; p < n; ++p) {
    const Node& node = plan.nodes[p];
    if (node.artifact.empty() || (node.kind != NodeKind::convert && node.kind != NodeKind::infer)) continue;
    unit_[p] = retention_unit(node.artifact, plan.work());
    if (!unit_[p]) continue;
    same_unit_[*unit_[p]].push_back(p);
    std::vector<bool> seen(n, false);
    std::vector<std::size_t> todo{p};
    seen[p] = true;
    while (!todo.empty()) {
      const std::size_t i = todo.back();
      todo.pop_back();
      readers_[p].push_back(i);
      for (std::size_t c : children[i])
        if (!seen[c]) {
          seen[c] = true;
          todo.push_back(c);
        }
    }
  }
}

std::vector<std::size_t> ReleasePlanner::releasable(const std::function<bool(std::size_t)>& done,
                                                    const std::function<bool(std::size_t)>& keep) {
  // Unfinished nodes per kind: a twin of the same kind that has not run yet could hard-link a
  // finished node's files (content reuse), so none of that kind's folders goes before it ends.
  std::map<NodeKind, std::size_t> unfinished;
  for (std::size_t i = 0; i < plan_.nodes.size(); ++i)
    if (!done(i)) ++unfinished[plan_.nodes[i].kind];
  auto free_of_readers = [&](std::size_t p) {
    for (std::size_t r : readers_[p])
      if (!done(r) || keep(r)) return false;
    return true;
  };
  std::vector<std::size_t> out;
  for (std::size_t p = 0; p < unit_.size(); ++p) {
    if (!unit_[p] || released_[p] || unfinished[plan_.nodes[p].kind] > 0) continue;
    // Every producer writing into the same folder (one, today) must be free of readers.
    const auto& group = same_unit_.at(*unit_[p]);
    if (!std::all_of(group.begin(), group.end(), free_of_readers)) continue;
    for (std::size_t q : group) released_[q] = true;
    out.push_back(p);
  }
  return out;
}

BackgroundRemover::BackgroundRemover() : thread_([this] { loop(); }) {}

BackgroundRemover::~BackgroundRemover() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void BackgroundRemover::remove(fs::path folder, std::size_t id) {
  {
    std::lock_guard<std::mutex> lk(mu_);
    queue_.emplace_back(std::move(folder), id);
  }
  cv_.notify_all();
}

void BackgroundRemover::loop() {
  std::unique_lock<std::mutex> lk(mu_);
  for (;;) {
    cv_.wait(lk, [this] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stop_ and nothing left
    auto [folder, id] = queue_.front();
    queue_.pop_front();
    lk.unlock();
    std::error_code ec;
    fs::remove_all(folder, ec);
    lk.lock();
    if (ec) {
      if (!error_) error_ = printable(folder.string(), 1024) + ": " + ec.message();
    } else {
      removed_.push_back(id);
    }
    cv_.notify_all();
  }
}

std::pair<std::vector<std::size_t>, std::optional<std::string>> BackgroundRemover::finish() {
  {
    std::lock_guard<std::mutex> lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::lock_guard<std::mutex> lk(mu_);
  return {removed_, error_};
}

}  // namespace apr::qa
