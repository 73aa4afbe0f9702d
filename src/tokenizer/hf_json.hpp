// apr-qa tokenizer: HF tokenizer.json (+ tokenizer_config.json) <-> TokenizerData.
//
// Reading accepts the byte-level BPE tokenizer.json files real models ship: model.type "BPE"
// with vocab {token: id} and merges as "a b" strings or [a, b] pairs; added_tokens (special
// flag -> GGUF type: special -> control (3); not special -> user-defined (4), except
// "<|...|>"-looking ones which GGUF/llama.cpp treat as control: those are control and listed
// in hf_not_special); normalizer null or NFC; pre_tokenizer recognised structurally and by
// exact regex text (table in pretokenizer.hpp). tokenizer_config.json gives chat_template,
// bos/eos/pad/unk tokens and add_bos_token/add_eos_token. Anything else (another model type,
// unknown normalizer or regex, lstrip/rstrip added tokens) is an unsupported Error naming the
// field; inconsistent data (ids out of range, duplicates, holes) is a validation Error.
// Vocabulary holes, and "[PAD<id>]" tokens at their own id, become unused (type 5) tokens, as
// llama.cpp's converter writes them; export keeps them in the vocab so the size survives.
//
// Writing produces files that HF `tokenizers` and transformers' AutoTokenizer load and that
// tokenize identically to Tokenizer::from_data(d). Only byte-level BPE is exported.
#pragma once

#include <filesystem>
#include <optional>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok {

Result<TokenizerData> load_hf_tokenizer(const std::filesystem::path& tokenizer_json,
                                        const std::optional<std::filesystem::path>& tokenizer_config_json);
// Same from already-parsed JSON; `origin` names the file in errors.
Result<TokenizerData> hf_tokenizer_from_json(const nlohmann::json& tokenizer_json,
                                             const nlohmann::json* tokenizer_config_json,
                                             const std::string& origin = "tokenizer.json");

struct HfTokenizerFiles {
  nlohmann::json tokenizer_json, tokenizer_config_json;
};
// Throws apr::Error (unsupported) for data it cannot express (SPM models).
HfTokenizerFiles to_hf_tokenizer(const TokenizerData& d);

}  // namespace apr::tok
