#include "cert/registry.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/file_read.hpp"
#include "qa/yaml_document.hpp"
#include "qa/yaml_reader.hpp"

namespace apr::cert {

using namespace apr::qa::yamlr;

const std::vector<std::string>& known_tiers() {
  static const std::vector<std::string> t = {"smoke", "quick", "mvp", "full"};
  return t;
}

std::string ModelSource::describe() const {
  if (kind == "local") return "local " + path;
  if (kind == "hf_cache") return "hf_cache " + hf_id;
  if (kind == "pypi") return fmt::format("pypi {}=={}:{}", package, version, file);
  return fmt::format("fixture {}/{} seed {}{} (synthetic)", arch, preset, seed,
                     layers ? fmt::format(" layers {}", *layers) : "");
}

const RegisteredModel* Registry::find(const std::string& id) const {
  for (const auto& m : models)
    if (m.id == id) return &m;
  return nullptr;
}

namespace {

constexpr std::size_t kMaxRegistryBytes = 4u << 20;

std::string matched(const Ctx& c, const YAML::Node& n, const std::string& key, const char* re, const char* expected) {
  std::string s = as_string(c, n, key);
  if (s.size() > 512 || !std::regex_match(s, std::regex(re))) fail(c, n, key, fmt::format("expected {}, found '{}'", expected, s.substr(0, 80)));
  return s;
}

ModelSource parse_source(const Ctx& c, const YAML::Node& n, const std::string& k, const std::filesystem::path& base) {
  MapReader r(c, n, k);
  ModelSource s;
  std::vector<std::string> given;
  for (const char* kind : {"local", "hf_cache", "pypi", "fixture"})
    if (n[kind].IsDefined()) given.push_back(kind);
  if (given.size() != 1)
    fail(c, n, k, fmt::format("expected exactly one of local, hf_cache, pypi, fixture, found {}", given.empty() ? "none" : fmt::format("{}", fmt::join(given, ", "))));
  s.kind = given[0];
  std::string kk = k + "." + s.kind;
  if (s.kind == "local") {
    // `local: PATH` or `local: {path: PATH, sha256: HEX}`
    auto v = r.take("local");
    if (v.IsMap()) {
      MapReader lr(c, v, kk);
      s.path = as_string(c, lr.require("path"), kk + ".path");
      if (auto h = lr.take("sha256"); h.IsDefined()) s.sha256 = matched(c, h, kk + ".sha256", "[0-9a-f]{64}", "64 lower-case hex digits");
      lr.finish();
    } else {
      s.path = as_string(c, v, kk);
    }
    std::filesystem::path p(s.path);
    if (p.is_relative()) p = base / p;
    s.path = p.lexically_normal().string();
  } else if (s.kind == "hf_cache") {
    s.hf_id = matched(c, r.take("hf_cache"), kk, "[A-Za-z0-9._-]+/[A-Za-z0-9._-]+", "an HF repo id 'org/name'");
  } else if (s.kind == "pypi") {
    auto v = r.take("pypi");
    MapReader pr(c, v, kk);
    s.package = matched(c, pr.require("package"), kk + ".package", "[A-Za-z0-9._-]+", "a PyPI distribution name");
    s.version = matched(c, pr.require("version"), kk + ".version", "[A-Za-z0-9.+!_-]+", "an exact version (e.g. \"0.1.2\")");
    s.file = matched(c, pr.require("file"), kk + ".file", "[A-Za-z0-9._+-]+", "a file name inside the package (no directory)");
    s.sha256 = matched(c, pr.require("sha256"), kk + ".sha256", "[0-9a-f]{64}", "64 lower-case hex digits");
    pr.finish();
  } else {
    auto v = r.take("fixture");
    MapReader fr(c, v, kk);
    s.arch = as_enum(c, fr.require("arch"), kk + ".arch", {"qwen2", "llama"});
    s.preset = as_enum(c, fr.require("preset"), kk + ".preset", {"tiny", "qwen2.5-0.5b"});
    s.seed = static_cast<std::uint64_t>(as_int(c, fr.require("seed"), kk + ".seed", 0, INT64_MAX));
    if (auto l = fr.take("layers"); l.IsDefined()) s.layers = as_int(c, l, kk + ".layers", 1, 1024);
    fr.finish();
  }
  r.finish();
  return s;
}

RegisteredModel parse_model(const Ctx& c, const YAML::Node& n, const std::string& k, const std::filesystem::path& base) {
  MapReader r(c, n, k);
  RegisteredModel m;
  m.where = fmt::format("{}:{}", c.file, line_of(n));
  m.id = matched(c, r.require("id"), k + ".id", "[A-Za-z0-9._-]+/[A-Za-z0-9._-]+", "a model id 'org/name'");
  m.family = as_string(c, r.require("family"), k + ".family");
  m.parameters = matched(c, r.require("parameters"), k + ".parameters", "[0-9]+(\\.[0-9]+)?[KMBT]", "a parameter count like \"135M\" or \"0.5B\"");
  m.size_category = as_enum(c, r.require("size_category"), k + ".size_category", {"tiny", "small", "medium", "large", "xlarge", "huge"});
  m.source = parse_source(c, r.require("source"), k + ".source", base);
  auto tn = r.require("tiers");
  if (!tn.IsMap() || tn.size() == 0) fail(c, tn, k + ".tiers", "expected a mapping of tier (smoke, quick, mvp, full) to playbook path, found " + describe(tn));
  MapReader tr(c, tn, k + ".tiers");
  for (const auto& t : known_tiers()) {
    auto v = tr.take(t);
    if (!v.IsDefined()) continue;
    std::string kk = k + ".tiers." + t;
    std::filesystem::path p(as_string(c, v, kk));
    if (p.is_relative()) p = base / p;
    p = p.lexically_normal();
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec))
      fail(c, v, kk, fmt::format("expected an existing playbook file, found no file at {}", p.string()));
    m.tiers[t] = p;
  }
  for (const auto& kv : tn) {
    auto key = kv.first.Scalar();
    if (std::find(known_tiers().begin(), known_tiers().end(), key) == known_tiers().end())
      fail(c, kv.first, k + ".tiers." + key, fmt::format("unknown tier '{}' (expected smoke, quick, mvp or full)", key));
  }
  tr.finish();
  auto nt = r.require("nightly");
  m.nightly_tier = as_enum(c, nt, k + ".nightly", known_tiers());
  if (!m.tiers.count(m.nightly_tier))
    fail(c, nt, k + ".nightly", fmt::format("expected a tier listed under tiers, found '{}'", m.nightly_tier));
  r.finish();
  return m;
}

}  // namespace

Result<Registry> parse_registry(const std::string& text, const std::filesystem::path& file) {
  return capture([&]() -> Registry {
    Registry reg;
    reg.file = file;
    std::vector<std::string> warnings;
    Ctx c{file.string(), /*strict=*/true, &warnings};
    YAML::Node root = load_document(c, text);
    if (!root.IsDefined() || !root.IsMap()) throw validation_error("expected a registry mapping with a `models:` list").at_path(file.string());
    MapReader r(c, root, "");
    auto v = r.require("version");
    if (as_int(c, v, "version", 0, 1000) != 1) fail(c, v, "version", "expected registry version 1");
    auto list = r.require("models");
    if (!list.IsSequence() || list.size() == 0) fail(c, list, "models", "expected a non-empty list of models, found " + describe(list));
    auto base = file.parent_path().empty() ? std::filesystem::path(".") : file.parent_path();
    base = std::filesystem::absolute(base);
    for (std::size_t i = 0; i < list.size(); ++i) {
      auto m = parse_model(c, list[i], fmt::format("models[{}]", i), base);
      if (reg.find(m.id)) fail(c, list[i], fmt::format("models[{}].id", i), "duplicate model id '" + m.id + "'");
      reg.models.push_back(std::move(m));
    }
    r.finish();
    return reg;
  });
}

Result<Registry> load_registry(const std::filesystem::path& file) {
  std::string text;
  try {
    text = read_regular_file(file, "a certification registry (certifications/models.yaml)", kMaxRegistryBytes);
  } catch (const Error& e) {
    return e;
  }
  return parse_registry(text, file);
}

}  // namespace apr::cert
