// apr-qa convert: import any model file into the canonical model.
//
// load_model(ArtifactSet) reads GGUF, SafeTensors (single or sharded, with config.json and the
// tokenizer files beside it) or APR into a CanonicalModel: HF tensor names, row-major shapes,
// bytes zero-copy from the mapped files (llama GGUF Q/K rows un-permuted through a row index map),
// a typed config, the tokenizer and provenance. The result is checked against the architecture's
// manifest: an unexpected tensor, a missing required tensor or a shape disagreeing with the config
// is a validation Error naming file, tensor, expected and found.
// A source without a tokenizer (weights-only GGUF, SafeTensors without tokenizer.json, APR without
// tokenizer keys) loads only when LoadOptions::tokenizer names one (tokenizer.json, a directory
// holding it, or a GGUF/APR file); otherwise an Error says so.
#pragma once

#include <filesystem>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "formats/resolve.hpp"
#include "model/canonical_model.hpp"

namespace apr::convert {

struct LoadOptions {
  std::optional<std::filesystem::path> tokenizer;  // tokenizer.json/dir/GGUF to use when the source lacks one
  bool compute_sha256 = false;                     // fill provenance.source_sha256
  // Check tensors against the architecture's manifest (unexpected/missing/shape errors). `diff`
  // turns it off so that a broken file is reported tensor by tensor instead of refused.
  bool validate = true;
};

Result<model::CanonicalModel> load_model(const ArtifactSet& a, const LoadOptions& o = {});
// resolve_artifact + load.
Result<model::CanonicalModel> load_model(const std::string& user_input, const LoadOptions& o = {});

}  // namespace apr::convert
