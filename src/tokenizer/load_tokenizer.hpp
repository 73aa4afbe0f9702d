// apr-qa tokenizer: load TokenizerData from whatever a user points at.
//   *.gguf (detected by the "GGUF" magic)  -> tokenizer.ggml.* keys (tokenizer_from_gguf)
//   a directory                            -> DIR/tokenizer.json (+ DIR/tokenizer_config.json if present)
//   a tokenizer.json file                  -> it (+ tokenizer_config.json next to it if present)
// Errors: io (missing path, directory without tokenizer.json), parse/validation/unsupported from
// the readers, each naming the file.
#pragma once

#include <filesystem>

#include "core/result.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok {

Result<TokenizerData> load_tokenizer_data(const std::filesystem::path& model);

}  // namespace apr::tok
