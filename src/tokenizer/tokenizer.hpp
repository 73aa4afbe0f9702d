// apr-qa tokenizer: encode text to token ids and decode ids back, exactly as the reference
// implementations do for the same data (HF `tokenizers` for data read from tokenizer.json,
// llama.cpp's llama_tokenize for data read from GGUF; see docs/tokenizer.md).
//
// Pipeline (encode):
//   1. added tokens (types 2/3/4) are split out of the raw text, leftmost-longest match first;
//      with parse_special=false control/unknown tokens are left as text (user-defined tokens and
//      hf_not_special tokens are always split, as HF and llama.cpp do);
//   2. each remaining text segment is NFC-normalized when data.normalizer == "NFC";
//   3. BPE: pre-tokenized by the regex table for data.pre, mapped byte->unicode (GPT-2),
//      merged lowest-rank-leftmost; SPM: spaces -> '▁', dummy prefix, score-driven merges,
//      <0xXX> byte fallback;
//   4. BOS is prepended when add_bos (default data.add_bos, else the model's default) and
//      EOS appended when data.add_eos.
// Decode maps byte-level symbols / '▁' / <0xXX> back to bytes, added tokens to their raw text
// (control/unknown tokens are dropped with skip_special), and replaces invalid UTF-8 with U+FFFD.
//
// Validation happens in from_data (load time): sizes agree, ids in range, no duplicate token
// text, every merge names known tokens whose concatenation is a token, known model/pre.
// A Tokenizer is immutable apart from an internal word cache; it is safe to share between
// threads and cheap to copy (shared state).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok {

struct TokenizerImpl;

class Tokenizer {
 public:
  static Result<Tokenizer> from_data(const TokenizerData& d);  // keeps a copy of d
  // Keeps `d` itself (no copy), e.g. an alias of a model's TokenizerData that owns the model:
  // std::shared_ptr<const TokenizerData>(model, &model->tokenizer). d must not change afterwards.
  static Result<Tokenizer> from_shared(std::shared_ptr<const TokenizerData> d);

  // parse_special=true splits added/special tokens out of text as HF does; add_bos per
  // data.add_bos unless overridden (add_bos also controls add_eos: both are "add special").
  std::vector<std::int32_t> encode(std::string_view text, bool parse_special = true,
                                   std::optional<bool> add_bos = std::nullopt) const;
  // Token pieces (token text as stored) for ids; for display (--pieces).
  std::string decode(std::span<const std::int32_t> ids, bool skip_special = false) const;
  std::string token_text(std::int32_t id) const;  // decoded bytes of one token ("" if out of range)
  std::int32_t vocab_size() const;
  std::optional<std::int32_t> bos() const;
  std::optional<std::int32_t> eos() const;
  bool is_end_of_generation(std::int32_t id) const;  // eos, eot, and im_end/eot_id-like control tokens
  bool is_special(std::int32_t id) const;            // control or unknown type (dropped by skip_special)
  const TokenizerData& data() const;

 private:
  Tokenizer() = default;  // only from_data makes one
  friend class StreamDecoder;
  std::shared_ptr<const TokenizerImpl> impl_;
};

// Incremental decoding for streamed generation: push() returns the text that became complete,
// holding back an incomplete UTF-8 sequence at the end; invalid sequences become U+FFFD.
// flush() returns what is held (an incomplete tail becomes U+FFFD).
class StreamDecoder {
 public:
  explicit StreamDecoder(const Tokenizer& t, bool skip_special = false);
  std::string push(std::int32_t id);
  std::string flush();

 private:
  const Tokenizer* tok_;
  bool skip_special_;
  bool at_start_ = true;
  std::string pending_;
};

// UTF-8 helpers shared by decoding code (exposed for tests).
// Replace every invalid UTF-8 sequence with U+FFFD (one per maximal invalid subpart, as
// Python's errors="replace" and Rust's from_utf8_lossy do).
std::string utf8_lossy(std::string_view bytes);

}  // namespace apr::tok
