// Small synthetic tokenizers for the tokenizer unit tests.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/byte_level.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok::testing {

// Byte-level BPE: the 256 byte symbols (ids 0..255 in byte order), then one token per merge
// result, then the added tokens <|im_start|> (control), <|im_end|> (control), <tool> (user-defined).
inline TokenizerData tiny_bpe(std::vector<std::string> merges, std::string pre = "qwen2") {
  TokenizerData d;
  d.model = TokenizerModel::bpe;
  d.pre = std::move(pre);
  for (int b = 0; b < 256; ++b) d.tokens.push_back(byte_symbol(static_cast<std::uint8_t>(b)));
  for (const auto& m : merges) {
    const auto sp = m.find(' ');
    d.tokens.push_back(m.substr(0, sp) + m.substr(sp + 1));
  }
  d.token_types.assign(d.tokens.size(), kTokenNormal);
  d.merges = std::move(merges);
  for (const char* t : {"<|im_start|>", "<|im_end|>"}) {
    d.tokens.push_back(t);
    d.token_types.push_back(kTokenControl);
  }
  d.tokens.push_back("<tool>");
  d.token_types.push_back(kTokenUserDefined);
  d.eos_id = static_cast<std::int64_t>(d.tokens.size()) - 2;  // <|im_end|>
  return d;
}

inline std::int32_t id_of(const TokenizerData& d, const std::string& text) {
  for (std::size_t i = 0; i < d.tokens.size(); ++i)
    if (d.tokens[i] == text) return static_cast<std::int32_t>(i);
  return -1;
}

// SentencePiece (GGUF "llama"): <unk> <s> </s>, the 256 <0xXX> byte tokens, then pieces with
// scores (higher merges first).
inline TokenizerData tiny_spm(const std::vector<std::pair<std::string, float>>& pieces) {
  TokenizerData d;
  d.model = TokenizerModel::spm;
  d.pre = "default";
  d.tokens = {"<unk>", "<s>", "</s>"};
  d.token_types = {kTokenUnknown, kTokenControl, kTokenControl};
  d.scores = {0, 0, 0};
  char buf[8];
  for (int b = 0; b < 256; ++b) {
    std::snprintf(buf, sizeof buf, "<0x%02X>", b);
    d.tokens.push_back(buf);
    d.token_types.push_back(kTokenByte);
    d.scores.push_back(0);
  }
  for (const auto& [p, s] : pieces) {
    d.tokens.push_back(p);
    d.token_types.push_back(kTokenNormal);
    d.scores.push_back(s);
  }
  d.unk_id = 0;
  d.bos_id = 1;
  d.eos_id = 2;
  return d;
}

}  // namespace apr::tok::testing
