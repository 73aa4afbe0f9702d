// apr-qa convert: HF config.json / generation_config.json <-> ModelConfig.
//
// Reading requires model_type (-> architecture), hidden_size, num_hidden_layers,
// num_attention_heads, intermediate_size, vocab_size and max_position_embeddings; defaults as
// transformers applies them (num_key_value_heads = heads, head_dim = hidden/heads, rope_theta and
// rms_norm_eps from the arch traits, tie_word_embeddings false). Features apr-qa does not
// implement (rope_scaling, another hidden_act, sliding-window attention) are `unsupported`
// Errors naming the key — never ignored. Writing gives a config transformers 4.44 loads.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "model/canonical_model.hpp"

namespace apr::convert {

model::ModelConfig config_from_hf(const nlohmann::json& j, const std::string& where);
// torch_dtype: the dtype of the exported 2-D weights (F32/F16/BF16).
nlohmann::json config_to_hf(const model::ModelConfig& c, const model::TokenizerData& tok, GgmlType torch_dtype);
nlohmann::json generation_config_to_hf(const model::TokenizerData& tok);

}  // namespace apr::convert
