// apr-qa convert (internal): the synthetic byte-level BPE tokenizer of "tiny" fixtures.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace apr::convert::detail {

struct TinyTokenizer {
  nlohmann::json tokenizer_json, tokenizer_config_json;
  std::int64_t n_tokens = 0;  // 256 bytes + merges + 3 specials
  std::int64_t bos_id = 0, eos_id = 0;
};

// arch "qwen2": NFC + the Qwen2 Split regex + ByteLevel; otherwise (llama): the SmolLM2 shape
// (Digits + ByteLevel with the GPT-2 regex). Specials <|endoftext|>, <|im_start|>, <|im_end|>.
TinyTokenizer make_tiny_tokenizer(const std::string& arch, const std::string& chat_template);

}  // namespace apr::convert::detail
