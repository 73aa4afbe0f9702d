// apr-qa tokenizer: SentencePiece-style BPE as GGUF tokenizer.ggml.model = "llama" stores it
// (llama.cpp's llm_tokenizer_spm): the text (spaces already escaped to '▁') starts as UTF-8
// characters; the adjacent pair whose concatenation is a token with the highest score is merged
// (leftmost on ties) until none is; each final symbol that is not a token is re-split along the
// merges that built it, and a piece that never was a token becomes its <0xXX> byte tokens.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/token_index.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok {

class SpmModel {
 public:
  // Throws apr::Error (validation) if scores do not match tokens.
  SpmModel(const TokenizerData& d, const TokenIndex& token_ids);
  void encode_escaped(std::string_view text, std::vector<std::int32_t>& out) const;
  // id of the <0xXX> token for byte b, or -1.
  std::int32_t byte_token(std::uint8_t b) const { return byte_id_[b]; }

 private:
  const TokenizerData* d_;
  const TokenIndex* token_ids_;
  std::array<std::int32_t, 256> byte_id_{};
};

// "<0xXX>" -> byte value, or -1 if the text is not of that form.
int parse_byte_token(std::string_view text);

}  // namespace apr::tok
