// apr-qa tokenizer layer: tokenizer data exactly as a model file stores it.
// Filled from GGUF tokenizer.ggml.* keys, HF tokenizer.json + tokenizer_config.json, or APR
// metadata; written back to each. The Tokenizer (tokenizer.hpp) is built from this.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace apr::tok {

enum class TokenizerModel { bpe /* byte-level BPE, GGUF "gpt2" */, spm /* SentencePiece, GGUF "llama" */ };

struct TokenizerData {
  TokenizerModel model = TokenizerModel::bpe;
  std::string pre;                          // pre-tokenizer name: "qwen2", "llama-bpe", "smollm", "gpt2", "default"
  std::vector<std::string> tokens;          // id -> token text as stored (byte-level symbols for BPE)
  std::vector<std::int32_t> token_types;    // GGUF token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte)
  std::vector<std::string> merges;          // "left right", rank order (BPE)
  std::vector<float> scores;                // SPM scores (empty for BPE)
  std::optional<std::int64_t> bos_id, eos_id, pad_id, unk_id, sep_id;
  std::optional<bool> add_bos, add_eos;
  std::string chat_template;                // Jinja source, empty if none
  bool operator==(const TokenizerData&) const = default;
};

}  // namespace apr::tok
