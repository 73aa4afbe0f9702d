// apr-qa formats: strict artifact resolution, the edge where user input becomes concrete files.
//
// Input may be a model file, a directory (HF snapshot, or a folder with exactly one .gguf/.apr),
// or an HF repo id "org/name" looked up in the HF cache (HF_HUB_CACHE, else HF_HOME/hub, else
// ~/.cache/huggingface/hub; models--org--name/snapshots/<rev>/), or an HF cache repo folder itself
// (models--org--name/, followed through refs/main). Every command and `run` resolve through here.
// The result names only files;
// nothing below this edge ever receives a directory where a model file is meant. Names with
// dots (Qwen2.5-Coder-0.5B-Instruct) are never truncated: no extension arithmetic on user names.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "formats/detect.hpp"

namespace apr {

struct ArtifactSet {
  ModelFormat format = ModelFormat::gguf;
  // The primary model file: the .gguf/.apr/.safetensors file, or model.safetensors.index.json
  // for a sharded SafeTensors checkpoint.
  std::filesystem::path model_file;
  std::vector<std::filesystem::path> shards;  // SafeTensors shard files (1 for a single file)
  // HF sidecars when present (absent ones stay empty).
  std::optional<std::filesystem::path> config_json, tokenizer_json, tokenizer_config_json,
      generation_config_json;
  std::string origin;  // what the user passed, for messages
};

struct ResolveOptions {
  // Environment lookups are injectable for tests; empty = read the process environment.
  std::optional<std::string> hf_hub_cache, hf_home, home;
};

// Errors name the path and list what was found (e.g. two candidate .gguf files).
Result<ArtifactSet> resolve_artifact(const std::string& user_input, const ResolveOptions& opts = {});

}  // namespace apr
