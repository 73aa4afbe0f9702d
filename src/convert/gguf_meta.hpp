// apr-qa convert: GGUF `{arch}.*` keys <-> ModelConfig (formats.md §1.6, anchor-conversion.md §4).
//
// Reading: general.architecture (+ apr_qa.architecture, our hint for archs llama.cpp stores as
// "llama") selects the traits; embedding_length, block_count, attention.head_count,
// feed_forward_length, context_length and attention.layer_norm_rms_epsilon are required;
// head_count_kv defaults to head_count and rope.freq_base to 10000 (what llama.cpp does).
// Per-layer arrays, rope scaling and partial rotary dims are `unsupported` Errors. f32 values are
// read as the shortest decimal that round-trips the float (1e-6 stays 1e-6).
// Writing: every key above, always `{a}.rope.freq_base`, in gguf-py's types (u32 / f32).
#pragma once

#include <string>
#include <vector>

#include "formats/gguf.hpp"
#include "model/canonical_model.hpp"

namespace apr::convert {

// vocab/tied/attention_bias come from the tensors and are filled by the caller.
model::ModelConfig config_from_gguf(const gguf::Reader& r);
std::vector<gguf::KV> config_to_gguf(const model::ModelConfig& c);
// A GGUF FLOAT32 value as the double of its shortest round-trip decimal; other numbers as is.
double gguf_number(const gguf::Value& v);
// llama_ftype for a dominant tensor type (general.file_type).
std::uint32_t llama_ftype_for(GgmlType t);

}  // namespace apr::convert
