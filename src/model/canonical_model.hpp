// apr-qa model layer: the canonical model every format converts to and from.
//
// Tensors carry HF names ("model.layers.0.self_attn.q_proj.weight"), row-major shapes [out, in]
// and the bytes of the source file in their stored dtype (zero-copy from the mapped source).
// A row reordering (llama's Q/K RoPE permutation between GGUF and HF order) is carried as a row
// index map instead of moved bytes: canonical row r is stored row `row_order[r]` of `source`.
// Because quant blocks run along a row, any row permutation is lossless for every dtype.
//
// Canonical order is always HF order: Q/K rows as in HF checkpoints, so the engine applies
// rotate-half (NEOX) RoPE for every architecture.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/mapped_file.hpp"
#include "tensor/tensor_view.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::model {

enum class Arch { llama, qwen2, mistral };
const char* to_string(Arch a) noexcept;  // "llama", "qwen2", "mistral"

struct ModelConfig {
  Arch arch = Arch::llama;
  std::int64_t hidden = 0;         // hidden_size / {a}.embedding_length
  std::int64_t layers = 0;         // num_hidden_layers / {a}.block_count
  std::int64_t heads = 0;          // num_attention_heads
  std::int64_t kv_heads = 0;       // num_key_value_heads
  std::int64_t head_dim = 0;       // hidden / heads unless given
  std::int64_t ffn = 0;            // intermediate_size
  std::int64_t vocab = 0;          // rows of the embedding
  std::int64_t context = 0;        // max_position_embeddings
  double rope_theta = 10000.0;
  double rms_eps = 1e-6;
  bool tied_embeddings = false;    // lm_head shares model.embed_tokens.weight
  bool attention_bias = false;     // q/k/v biases present (qwen2: required)
  bool operator==(const ModelConfig&) const = default;
};

using tok::TokenizerData;
using tok::TokenizerModel;

struct CanonicalTensor {
  std::string name;                         // HF name
  TensorView source;                        // stored bytes: dtype, stored row-major shape, data
  std::vector<std::int32_t> row_order;      // empty = identity; else canonical row r = source row row_order[r]
  // Buffer owner when the bytes were produced in memory (dequantized/requantized); else null.
  std::shared_ptr<const std::vector<std::byte>> owned;
  // Set when these values were dequantized from a GGML type by an earlier conversion (SafeTensors
  // `__metadata__` records it): the original type and the sha256 of its original bytes. Export to
  // GGUF/APR re-quantizes to it only when quantize(values) reproduces exactly those bytes.
  std::optional<GgmlType> original_type;
  std::string original_sha256;

  GgmlType type() const { return source.type; }
  const std::vector<std::int64_t>& shape() const { return source.shape; }
  std::span<const std::byte> row(std::int64_t r) const {
    return source.row(row_order.empty() ? r : row_order[static_cast<std::size_t>(r)]);
  }
  bool is_identity_order() const { return row_order.empty(); }
};

struct Provenance {
  std::string source_format;                // "gguf" | "safetensors" | "apr"
  std::filesystem::path source_file;
  std::string source_sha256;                // may be empty when not computed
};

struct GgufKvRecord;  // model/gguf_kv.hpp (typed GGUF values; kept out of this header)

struct CanonicalModel {
  ModelConfig config;
  TokenizerData tokenizer;
  std::vector<CanonicalTensor> tensors;     // sorted by HF name
  Provenance provenance;
  // Extra metadata carried through untouched (e.g. general.name, SafeTensors __metadata__).
  std::map<std::string, std::string> extra;
  // Every metadata key of the source GGUF in file order (null when no GGUF is in this model's
  // history), except apr-qa's own tensor records (apr_qa.dtype/sha256/extra/architecture), which
  // are applied to the tensors, `extra` and the config instead. Immutable once loaded.
  std::shared_ptr<const GgufKvRecord> gguf_kv;
  // Keeps the mapped source files alive as long as the model is.
  std::vector<std::shared_ptr<const MappedFile>> keep_alive;

  const CanonicalTensor* find(std::string_view hf_name) const;
  const CanonicalTensor& require(std::string_view hf_name) const;  // validation Error naming it
};

}  // namespace apr::model
