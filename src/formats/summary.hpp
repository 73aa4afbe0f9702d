// apr-qa formats: a format-independent description of a resolved model (what `apr-qa inspect`
// prints), as JSON so that the CLI's text and JSON outputs, tests and gates share one source.
//
// Shape of the result (every field always present unless marked):
//   origin, format ("gguf"|"safetensors"|"apr"), file (the primary model file), files (all data
//   files), version (GGUF: 3; APR: "2.0"; SafeTensors: null),
//   gguf {alignment, data_offset} | apr {flags, flag_names[], footer_crc_verified} |
//   safetensors {shards}  (one of); sidecars? {config_json, tokenizer_json, ...} (HF files found)
//   metadata: [{key, type, value, element_type?, count?, truncated?}] — GGUF KVs in file order
//     with GGUF type names; SafeTensors __metadata__ (type STRING); APR top-level metadata keys
//     (type = JSON type). Arrays longer than max_array show the first max_array items, the full
//     count and truncated=true unless full is set.
//   tensors: [{name, dtype, shape (row-major), bytes, offset (absolute in its file), file?
//     (sharded SafeTensors only), sha256? (with hashes)}] in file order (GGUF, sorted for APR/ST)
//   totals: {tensors, parameters, bytes, by_dtype: {NAME: {tensors, parameters, bytes}}}
// Opening reads only headers unless hashes or verify_crc (APR footer CRC) ask for the data.
#pragma once

#include <cstddef>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "formats/resolve.hpp"

namespace apr {

struct SummaryOptions {
  std::size_t max_array = 16;  // arrays longer than this are abbreviated...
  bool full = false;           // ...unless full is set
  bool hashes = false;         // add sha256 of every tensor's bytes (reads all data)
  bool verify_crc = true;      // APR: verify the footer CRC (reads all data)
};

Result<nlohmann::json> summarize_artifact(const ArtifactSet& artifact, const SummaryOptions& opts = {});

// Renders a summary as human-readable text (the `inspect` text mode).
std::string render_summary_text(const nlohmann::json& summary);

}  // namespace apr
