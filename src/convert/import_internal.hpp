// apr-qa convert (internal): per-format importers and the helpers they share.
#pragma once

#include <filesystem>

#include "convert/load.hpp"
#include "model/canonical_model.hpp"

namespace apr::convert::detail {

model::CanonicalModel import_gguf(const std::filesystem::path& file, const LoadOptions& o);
model::CanonicalModel import_safetensors(const ArtifactSet& a, const LoadOptions& o);
model::CanonicalModel import_apr(const std::filesystem::path& file, const LoadOptions& o);

// Tokenizer from --tokenizer PATH: tokenizer.json (tokenizer_config.json beside it is used when
// present), a directory holding them, or a GGUF/APR model file carrying a tokenizer.
model::TokenizerData load_tokenizer_from(const std::filesystem::path& p);
// The tokenizer for a source lacking one: the override, or an Error naming the source.
model::TokenizerData tokenizer_or_override(const LoadOptions& o, const std::string& source, const std::string& what_missing);
// Canonical vocabularies carry no trailing "[PAD<id>]" filler (GGUF pads to the embedding rows).
void strip_vocab_padding(model::TokenizerData& t);
void pad_vocab(model::TokenizerData& t, std::int64_t vocab);

// Element-permuted copy of a 1-D plain-float tensor (a Q/K bias): out[i] = in[map[i]].
model::CanonicalTensor permute_elements(const model::CanonicalTensor& t, const std::vector<std::int32_t>& map);
// Same dtype, shape and row bytes (respecting row orders).
bool same_bytes(const model::CanonicalTensor& a, const model::CanonicalTensor& b);
// When the config says tied and the file carries lm_head.weight: accept it only as an exact copy
// of the embedding and drop it; otherwise a validation Error naming both.
void resolve_tied_copy(model::CanonicalModel& m, const std::string& lm_head_name_in_file);
// Applies a recorded original dtype (type name + optional sha256) to an F32 tensor; validation
// Error if the name is unknown or the tensor is not stored as F32.
void apply_dtype_record(model::CanonicalTensor& t, const std::string& type_name, const std::string& sha,
                        const std::string& where);
// Sort, check against the manifest, fill provenance (sha256 on request).
void finish_model(model::CanonicalModel& m, const LoadOptions& o);

}  // namespace apr::convert::detail
