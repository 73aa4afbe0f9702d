// Reusing a finished node's output for a node with the same content key; see content_reuse.hpp.
#include "qa/content_reuse.hpp"

#include <filesystem>
#include <set>

#include "core/error.hpp"
#include "core/hash.hpp"

namespace apr::qa {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

std::string hash_text(const std::string& s) { return sha256_hex(std::as_bytes(std::span(s.data(), s.size()))); }

// Regular files of `dir` by name, hidden ones (temporaries) left out.
std::set<std::string> files_in(const fs::path& dir) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    const std::string name = e.path().filename().string();
    if (!name.empty() && name[0] != '.' && e.is_regular_file(ec)) out.insert(name);
  }
  return out;
}

}  // namespace

std::optional<std::string> artifact_content_id(const Node& n, const json& record_artifacts) {
  if (n.kind == NodeKind::resolve) return n.key.empty() ? std::nullopt : std::optional<std::string>(n.key);
  if (n.kind != NodeKind::convert || n.artifact.empty()) return std::nullopt;
  std::string model_sha;
  if (record_artifacts.is_array())
    for (const auto& a : record_artifacts)
      if (a.is_object() && a.value("path", "") == fs::absolute(n.artifact).string()) model_sha = a.value("sha256", "");
  if (model_sha.empty()) return std::nullopt;
  // The files written beside the model (SafeTensors sidecars) are part of what a reader loads.
  const fs::path model = n.artifact;
  std::string acc = "model:" + model_sha + "\n";
  for (const auto& name : files_in(model.parent_path())) {
    if (name == model.filename().string()) continue;
    auto h = sha256_file(model.parent_path() / name);
    if (!h) return std::nullopt;
    acc += name + ":" + *h + "\n";
  }
  return hash_text(acc);
}

bool single_input(const Node& n) {
  // A shared run's second dependency is its draft (teacher_forced.hpp), which does not change its bytes.
  return n.deps.size() == 1 || (n.kind == NodeKind::infer && n.deps.size() == 2 && n.params.contains("draft_run"));
}

std::optional<std::string> content_key(const Node& n, const Node& input, const std::string& input_id) {
  if (!n.gates.empty() || !single_input(n)) return std::nullopt;
  if (n.kind == NodeKind::convert) {
    if (n.params.value("replica", 0) != 0 || n.params.value("reuse", false)) return std::nullopt;
    return hash_text("convert\n" + n.params.value("target", std::string()) + "\n" + input.format + "\n" + input_id);
  }
  if (n.kind == NodeKind::infer) {
    json p = n.params;
    p.erase("model");
    p.erase("output");
    p.erase("draft_run");  // a path; the run's bytes do not depend on it (teacher_forced.hpp)
    return hash_text("infer\n" + p.dump() + "\n" + input.format + "\n" + input_id);
  }
  return std::nullopt;
}

json reuse_outputs(const Node& from, const Node& to, const json& from_artifacts) {
  const fs::path src_dir = fs::absolute(from.artifact).parent_path(), dst_dir = fs::absolute(to.artifact).parent_path();
  std::error_code ec;
  fs::create_directories(dst_dir, ec);
  if (ec) throw io_error("cannot create the output folder: " + ec.message()).at_path(dst_dir.string()).with_errno(ec.value());
  for (const auto& name : files_in(dst_dir)) fs::remove(dst_dir / name, ec);
  for (const auto& name : files_in(src_dir)) {
    fs::create_hard_link(src_dir / name, dst_dir / name, ec);
    if (!ec) continue;
    ec.clear();
    fs::copy_file(src_dir / name, dst_dir / name, fs::copy_options::overwrite_existing, ec);
    if (ec) throw io_error("cannot link or copy a reused output: " + ec.message()).at_path((dst_dir / name).string()).with_errno(ec.value());
  }
  json out = json::array();
  const std::string prefix = src_dir.string() + "/";
  for (auto a : from_artifacts) {
    if (a.is_object() && a.contains("path") && a["path"].is_string()) {
      std::string p = a["path"].get<std::string>();
      if (p.rfind(prefix, 0) == 0) a["path"] = (dst_dir / p.substr(prefix.size())).string();
    }
    out.push_back(std::move(a));
  }
  return out;
}

}  // namespace apr::qa
