// apr-qa convert: APR metadata JSON <-> config, tokenizer and extra metadata
// (anchor-conversion.md §3 key names).
//
// Config keys (top level): architecture, model_type, hidden_size, num_layers, num_heads,
// num_kv_heads, head_dim, vocab_size, intermediate_size, max_position_embeddings, rope_theta,
// rope_type, rms_norm_eps, tied_embeddings, attention_bias; aprender's "model.<key>" aliases are
// read too. rope_type 2 (NEOX) = Q/K rows in HF order (what we write); 0 (NORM) = rows in GGUF
// order, which the reader un-permutes for architectures llama.cpp permutes.
// Tokenizer keys (flat, dotted): tokenizer.model ("gpt2"|"llama"), tokenizer.pre_type,
// tokenizer.vocabulary, tokenizer.token_type, tokenizer.merges, tokenizer.scores,
// tokenizer.{bos,eos,padding,unknown,separator}_token_id, tokenizer.add_bos_token,
// tokenizer.add_eos_token, tokenizer.eot_token_id, tokenizer.add_space_prefix (both written only
// when set), tokenizer.chat_template (also chat_template at top level).
// Extra metadata: source_metadata {string: string}. Missing required keys are validation Errors
// naming the key.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "model/canonical_model.hpp"

namespace apr::convert {

nlohmann::json apr_metadata(const model::CanonicalModel& m);
// Fills config (vocab from the key), tokenizer (if present; returns false if absent), extra.
// rope_type is returned through `hf_row_order`.
bool read_apr_metadata(const nlohmann::json& j, const std::string& where, model::CanonicalModel& m,
                       bool& hf_row_order);

}  // namespace apr::convert
