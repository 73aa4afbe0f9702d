// apr-qa tokenizer: GGUF tokenizer.ggml.* keys <-> TokenizerData.
//
// Reads tokenizer.ggml.model ("gpt2" -> bpe, "llama" -> spm), pre (default "default"),
// tokens, token_type (default all normal), merges (required for gpt2), scores (required for
// llama), bos/eos/unknown/padding/seperator/eot token ids, add_bos_token/add_eos_token,
// add_space_prefix, and tokenizer.chat_template. Integer keys of any width are accepted.
// A file without tokenizer.ggml.model, or with a key of the wrong type or length, is an Error
// naming the file and key. Semantic validation (ids in range, merges, duplicates) is done by
// Tokenizer::from_data; tokenizer_from_gguf runs it too so a bad file fails at load.
// tokenizer_to_gguf emits the same keys, in gguf-py's order and types (bool flags, u32 ids,
// int32 token types, f32 scores).
#pragma once

#include <vector>

#include "core/result.hpp"
#include "formats/gguf.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok {

Result<TokenizerData> tokenizer_from_gguf(const gguf::Reader& r);
// Same from a KV list (origin names the file in errors).
Result<TokenizerData> tokenizer_from_gguf_kvs(const std::vector<gguf::KV>& kvs, const std::string& origin);
std::vector<gguf::KV> tokenizer_to_gguf(const TokenizerData& d);

}  // namespace apr::tok
