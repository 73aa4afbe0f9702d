// Strict artifact resolution: user input (file, directory, HF repo id) -> concrete files.
// No extension arithmetic on user names: paths are only ever joined, never re-suffixed.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/file_read.hpp"
#include "core/json_parse.hpp"
#include "formats/resolve.hpp"

namespace apr {
namespace fs = std::filesystem;
namespace {

constexpr std::uint64_t kMaxIndexJson = 100'000'000;

bool is_regular(const fs::path& p) {
  std::error_code ec;
  return fs::is_regular_file(p, ec);  // follows symlinks (HF snapshots link into blobs/)
}
bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

std::string join(const std::vector<std::string>& v, std::size_t max = 12) {
  std::string s;
  for (std::size_t i = 0; i < v.size() && i < max; ++i) s += (i ? ", " : "") + v[i];
  if (v.size() > max) s += ", ... (" + std::to_string(v.size()) + " entries)";
  return v.empty() ? "nothing" : s;
}

std::vector<std::string> list_dir(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string n = it->path().filename().string();
    if (is_dir(it->path())) n += "/";
    names.push_back(n);
  }
  std::sort(names.begin(), names.end());
  return names;
}

void add_sidecars(ArtifactSet& a) {
  fs::path dir = a.model_file.parent_path();
  auto opt = [&](const char* name) -> std::optional<fs::path> {
    fs::path p = dir / name;
    return is_regular(p) ? std::optional<fs::path>(p) : std::nullopt;
  };
  a.config_json = opt("config.json");
  a.tokenizer_json = opt("tokenizer.json");
  a.tokenizer_config_json = opt("tokenizer_config.json");
  a.generation_config_json = opt("generation_config.json");
}

// Reads a sharded index and lists its shard files (sorted, unique, confined, existing).
std::optional<std::vector<fs::path>> try_index(const fs::path& index, bool must) {
  std::error_code ec;
  auto size = fs::file_size(index, ec);
  if (ec || size > kMaxIndexJson) {
    if (must) throw validation_error("index JSON: expected a file of at most 100 MB").at_path(index.string());
    return std::nullopt;
  }
  nlohmann::json j;
  try {
    j = parse_json_bounded(read_regular_file(index, "a SafeTensors index JSON", kMaxIndexJson), index.string());
  } catch (const Error& e) {
    if (must || e.category() == ErrorCategory::io) throw;
    return std::nullopt;
  }
  if (!j.is_object() || !j.contains("weight_map") || !j["weight_map"].is_object()) {
    if (must)
      throw Error(ErrorCategory::parse, "expected a SafeTensors index JSON with a \"weight_map\" object")
          .at_path(index.string());
    return std::nullopt;
  }
  std::set<std::string> shards;
  for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
    if (!it.value().is_string())
      throw validation_error("weight_map value: expected a file name, found " + json_excerpt(it.value()))
          .at_path(index.string()).at_tensor(it.key());
    std::string s = it.value().get<std::string>();
    fs::path p(s);
    bool bad = s.empty() || p.is_absolute() || p.has_root_name() || p.has_root_directory();
    for (const auto& part : p)
      if (part == "..") bad = true;
    if (bad)
      throw validation_error("weight_map: expected a shard inside the snapshot directory, found \"" + s + "\"")
          .at_path(index.string()).at_tensor(it.key());
    shards.insert(s);
  }
  if (shards.empty()) throw validation_error("weight_map: expected at least one tensor, found none").at_path(index.string());
  std::vector<fs::path> out;
  for (const auto& s : shards) {
    fs::path p = index.parent_path() / s;
    if (!is_regular(p))
      throw io_error("shard listed in the index is missing (or not a file): " + p.string()).at_path(index.string());
    out.push_back(p);
  }
  return out;
}

ArtifactSet resolve_file(const fs::path& file, const std::string& origin) {
  ArtifactSet a;
  a.origin = origin;
  a.model_file = file;
  auto fmt = detect_format_of_file(file);
  if (!fmt) {
    // Not a model file by magic: the only other accepted file is a SafeTensors shard index.
    // A *.json file can only be an index: report what is wrong with it rather than the magic.
    if (auto shards = try_index(file, file.extension() == ".json")) {
      a.format = ModelFormat::safetensors;
      a.shards = std::move(*shards);
      add_sidecars(a);
      return a;
    }
    throw fmt.error();
  }
  a.format = fmt.value();
  if (a.format == ModelFormat::safetensors) {
    a.shards = {file};
    add_sidecars(a);
  }
  return a;
}

ArtifactSet resolve_dir(const fs::path& dir, const std::string& origin) {
  std::vector<fs::path> candidates;
  std::set<fs::path> claimed;  // shards of an index are not separate candidates
  fs::path index = dir / "model.safetensors.index.json";
  if (is_regular(index)) {
    candidates.push_back(index);
    if (auto shards = try_index(index, true))
      for (auto& s : *shards) claimed.insert(s);
  }
  std::vector<fs::path> entries;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) entries.push_back(it->path());
  if (ec) throw io_error("cannot list directory: " + ec.message()).at_path(dir.string());
  std::sort(entries.begin(), entries.end());
  for (const auto& p : entries) {
    std::string name = p.filename().string();
    if (name.empty() || name[0] == '.' || !is_regular(p) || claimed.count(p) || p == index) continue;
    auto f = detect_format_of_file(p);
    if (f) candidates.push_back(p);
  }
  if (candidates.empty()) {
    throw io_error("no model file found in directory (expected model.safetensors, model.safetensors.index.json, "
                   "or exactly one GGUF/APR/SafeTensors file); found: " + join(list_dir(dir)))
        .at_path(dir.string());
  }
  if (candidates.size() > 1) {
    std::vector<std::string> names;
    for (auto& c : candidates) names.push_back(c.string());
    throw validation_error("ambiguous directory: expected exactly one model, found " + std::to_string(candidates.size()) +
                           " candidates: " + join(names, 50) + "; pass the file itself")
        .at_path(dir.string());
  }
  return resolve_file(candidates[0], origin);
}

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? std::optional<std::string>(v) : std::nullopt;
}

bool looks_like_repo_id(const std::string& s) {
  auto slash = s.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == s.size() || s.find('/', slash + 1) != std::string::npos)
    return false;
  for (char c : s)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '/')) return false;
  std::string org = s.substr(0, slash), name = s.substr(slash + 1);
  return org != "." && org != ".." && name != "." && name != "..";
}

ArtifactSet resolve_cache_repo(const fs::path& repo, const std::string& id);

ArtifactSet resolve_repo_id(const std::string& id, const ResolveOptions& opts) {
  fs::path root;
  auto hub = opts.hf_hub_cache ? opts.hf_hub_cache : env("HF_HUB_CACHE");
  if (!hub && !opts.hf_hub_cache) hub = env("HUGGINGFACE_HUB_CACHE");
  if (hub && !hub->empty()) {
    root = *hub;
  } else if (auto home = opts.hf_home ? opts.hf_home : env("HF_HOME"); home && !home->empty()) {
    root = fs::path(*home) / "hub";
  } else {
    auto h = opts.home ? opts.home : env("HOME");
    if (!h || h->empty()) throw io_error("cannot locate the HF cache: HF_HUB_CACHE, HF_HOME and HOME are unset").at_path(id);
    root = fs::path(*h) / ".cache" / "huggingface" / "hub";
  }
  auto slash = id.find('/');
  fs::path repo = root / ("models--" + id.substr(0, slash) + "--" + id.substr(slash + 1));
  if (!is_dir(repo / "snapshots")) {
    throw io_error("not a file or directory, and HF repo '" + id + "' is not in the HF cache: expected " +
                   (repo / "snapshots").string() + "; found in " + root.string() + ": " + join(list_dir(root)))
        .at_path(id);
  }
  return resolve_cache_repo(repo, id);
}

// An HF cache repo folder (models--org--name/): the snapshot refs/main names, else the only one.
ArtifactSet resolve_cache_repo(const fs::path& repo, const std::string& id) {
  fs::path snaps = repo / "snapshots";
  fs::path snapshot;
  fs::path ref = repo / "refs" / "main";
  if (is_regular(ref)) {
    std::string rev = read_regular_file(ref, "a revision file", 4096);
    rev = rev.substr(0, rev.find('\n'));
    while (!rev.empty() && std::isspace(static_cast<unsigned char>(rev.back()))) rev.pop_back();
    if (rev.empty() || rev.find('/') != std::string::npos || rev == "." || rev == "..")
      throw validation_error("refs/main: expected a revision hash, found \"" + rev + "\"").at_path(ref.string());
    snapshot = snaps / rev;
    if (!is_dir(snapshot))
      throw io_error("refs/main names revision " + rev + " but its snapshot is missing; found: " + join(list_dir(snaps)))
          .at_path(snaps.string());
  } else {
    std::vector<std::string> revs;
    for (auto& n : list_dir(snaps))
      if (!n.empty() && n.back() == '/') revs.push_back(n.substr(0, n.size() - 1));
    if (revs.size() != 1)
      throw validation_error("expected exactly one snapshot (no refs/main), found " + std::to_string(revs.size()) + ": " +
                             join(revs))
          .at_path(snaps.string());
    snapshot = snaps / revs[0];
  }
  return resolve_dir(snapshot, id);
}

}  // namespace

Result<ArtifactSet> resolve_artifact(const std::string& user_input, const ResolveOptions& opts) {
  return capture([&]() -> ArtifactSet {
    if (user_input.empty()) throw io_error("empty model path");
    fs::path p(user_input);
    std::error_code ec;
    auto st = fs::status(p, ec);
    // An HF cache repo folder (models--org--name/ with snapshots/) is followed through refs/main.
    if (!ec && fs::is_directory(st) && is_dir(p / "snapshots") && (is_dir(p / "refs") || p.filename().string().rfind("models--", 0) == 0))
      return resolve_cache_repo(p, user_input);
    if (!ec && fs::is_directory(st)) return resolve_dir(p, user_input);
    if (!ec && fs::is_regular_file(st)) return resolve_file(p, user_input);
    if (!ec && fs::exists(st)) require_regular_file(p, "a model file, a directory or an HF repo id");  // names the kind
    if (looks_like_repo_id(user_input)) return resolve_repo_id(user_input, opts);
    throw io_error("no such file or directory (and not an HF repo id of the form org/name)").at_path(user_input);
  });
}

}  // namespace apr
