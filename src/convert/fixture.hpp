// apr-qa convert: deterministic synthetic HF checkpoints (fixtures) for tests and qualification.
//
// write_fixture writes an HF snapshot directory: config.json, generation_config.json,
// tokenizer.json, tokenizer_config.json (with the family's chat template from
// shared/chat-templates) and model.safetensors. Weights are seeded pseudo-random values
// (approximately normal, std 0.02; norm weights near 1), computed with integer and plain float
// arithmetic only, each tensor from its own stream seeded by (seed, tensor name): the same
// options give byte-identical files on any machine.
// Presets: "tiny" (hidden 256, ffn 512, 2 layers, 4/2 heads of 64: every row length is a
// multiple of 256, so every K-quant applies; a synthetic byte-level BPE tokenizer of 256 byte
// tokens, 40 merges and ChatML specials, vocabulary rows padded to a multiple of 32) and
// "qwen2.5-0.5b" (qwen2 only: the real Qwen2.5-0.5B dimensions 896/24/14:2/4864/151936, tied,
// BF16 by default, with the real tokenizer files copied from `tokenizer_dir`, by default
// <shared>/tokenizers/qwen2.5).
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "model/canonical_model.hpp"

namespace apr::convert {

struct FixtureOptions {
  std::string arch = "qwen2";           // qwen2 | llama
  std::string preset = "tiny";          // tiny | qwen2.5-0.5b
  std::uint64_t seed = 0;
  std::optional<GgmlType> dtype;        // F32 | BF16 | F16; default F32 for tiny, BF16 for qwen2.5-0.5b
  std::optional<std::int64_t> layers;   // override the preset's layer count
  std::optional<bool> tied;             // override the preset's tied embeddings (tiny only)
  std::optional<std::filesystem::path> tokenizer_dir;  // qwen2.5-0.5b: tokenizer.json(+config) source
  std::optional<std::filesystem::path> shared_dir;     // default: the build's ../shared
};

// The directory of shared reference data (chat templates, tokenizers) compiled into the build.
std::filesystem::path default_shared_dir();
// The config a fixture with these options would have.
Result<model::ModelConfig> fixture_config(const FixtureOptions& o);
// Writes the snapshot into out_dir (created if needed); returns the model.safetensors path.
Result<std::filesystem::path> write_fixture(const FixtureOptions& o, const std::filesystem::path& out_dir);

}  // namespace apr::convert
