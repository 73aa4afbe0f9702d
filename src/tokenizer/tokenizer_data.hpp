// apr-qa tokenizer layer: tokenizer data exactly as a model file stores it.
// Filled from GGUF tokenizer.ggml.* keys, HF tokenizer.json + tokenizer_config.json, or APR
// metadata; written back to each. The Tokenizer (tokenizer.hpp) is built from this.
//
// Field contract:
//  - tokens[i] is the token text as stored: byte-level symbols for BPE ("Ġhello"), '▁'-spaced
//    text and "<0xXX>" byte tokens for SPM, raw text for added/special tokens ("<|im_end|>").
//  - token_types use GGUF's numbering (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused,
//    6 byte). Types 2/3/4 are "added tokens": split out of text before the model runs
//    (4 always; 2/3 only when parse_special is on) and decoded as their raw text.
//  - hf_not_special: ids of control-type (3) tokens whose tokenizer.json entry says
//    "special": false (Qwen's <|fim_prefix|>…); empty for data read from GGUF, which cannot
//    express the difference. Only affects parse_special=false and HF export.
//  - normalizer: "" (none, llama.cpp behaviour for every GGUF) or "NFC" (tokenizer.json asks).
//    APR carries it (tokenizer.normalizer); GGUF cannot express it for llama.cpp, so apr-qa records
//    it under tokenizer.apr_qa.normalizer.
//  - hf_not_special is carried by APR (tokenizer.hf_not_special) and recorded in a GGUF under
//    tokenizer.apr_qa.not_special.
//  - gguf_records_not_applied: set when normalizer/hf_not_special were read from those GGUF
//    records: carried to later conversions, not applied when apr-qa tokenizes with the GGUF, so
//    that it tokenizes that file as llama.cpp does.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tokenizer/string_list.hpp"

namespace apr::tok {

enum class TokenizerModel { bpe /* byte-level BPE, GGUF "gpt2" */, spm /* SentencePiece, GGUF "llama" */ };

// GGUF token types.
enum TokenType : std::int32_t {
  kTokenNormal = 1,
  kTokenUnknown = 2,
  kTokenControl = 3,
  kTokenUserDefined = 4,
  kTokenUnused = 5,
  kTokenByte = 6,
};

struct TokenizerData {
  TokenizerModel model = TokenizerModel::bpe;
  std::string pre;                          // pre-tokenizer name: "qwen2", "llama-bpe", "smollm", "gpt2", "default"
  StringList tokens;                        // id -> token text as stored (byte-level symbols for BPE)
  std::vector<std::int32_t> token_types;    // GGUF token types (1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte)
  StringList merges;                        // "left right", rank order (BPE)
  std::vector<float> scores;                // SPM scores (empty for BPE)
  std::optional<std::int64_t> bos_id, eos_id, pad_id, unk_id, sep_id;
  std::optional<bool> add_bos, add_eos;
  std::string chat_template;                // Jinja source, empty if none
  // Extensions (tokenizer module):
  std::optional<std::int64_t> eot_id;       // tokenizer.ggml.eot_token_id
  std::optional<bool> add_space_prefix;     // tokenizer.ggml.add_space_prefix (SPM dummy prefix; default true for SPM)
  std::string normalizer;                   // "" or "NFC"
  bool gguf_records_not_applied = false;    // see the contract above
  std::vector<std::int32_t> hf_not_special; // see contract above
  bool operator==(const TokenizerData&) const = default;
};

}  // namespace apr::tok
