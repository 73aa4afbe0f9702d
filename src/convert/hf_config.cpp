// apr-qa convert: HF config.json <-> ModelConfig (see hf_config.hpp).
#include "convert/hf_config.hpp"

#include "core/json_parse.hpp"
#include "model/arch_traits.hpp"

namespace apr::convert {
namespace {

using nlohmann::json;

const json* get(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return nullptr;
  return &*it;
}

std::int64_t need_int(const json& j, const char* key, const std::string& where) {
  const json* v = get(j, key);
  if (!v) throw validation_error(std::string("config.json: missing required key '") + key + "'").at_path(where).at_key(key);
  if (!v->is_number_integer())
    throw validation_error(std::string("config.json: expected an integer, found ") + json_excerpt(*v)).at_path(where).at_key(key);
  return v->get<std::int64_t>();
}

std::int64_t opt_int(const json& j, const char* key, std::int64_t dflt, const std::string& where) {
  return get(j, key) ? need_int(j, key, where) : dflt;
}

double opt_num(const json& j, const char* key, double dflt, const std::string& where) {
  const json* v = get(j, key);
  if (!v) return dflt;
  if (!v->is_number())
    throw validation_error(std::string("config.json: expected a number, found ") + json_excerpt(*v)).at_path(where).at_key(key);
  return v->get<double>();
}

bool opt_bool(const json& j, const char* key, bool dflt, const std::string& where) {
  const json* v = get(j, key);
  if (!v) return dflt;
  if (!v->is_boolean())
    throw validation_error(std::string("config.json: expected true/false, found ") + json_excerpt(*v)).at_path(where).at_key(key);
  return v->get<bool>();
}

const char* torch_dtype_name(GgmlType t) {
  switch (t) {
    case GgmlType::BF16: return "bfloat16";
    case GgmlType::F16: return "float16";
    default: return "float32";
  }
}

}  // namespace

model::ModelConfig config_from_hf(const json& j, const std::string& where) {
  if (!j.is_object()) throw parse_error("config.json: expected a JSON object").at_path(where);
  const json* mt = get(j, "model_type");
  if (!mt || !mt->is_string())
    throw validation_error("config.json: missing required key 'model_type' (string)").at_path(where).at_key("model_type");
  const model::ArchTraits* t = nullptr;
  try {
    t = &model::arch_by_hf_model_type(mt->get<std::string>());
  } catch (Error& e) {
    throw std::move(e).at_path(where).at_key("model_type");
  }
  model::ModelConfig c;
  c.arch = t->arch;
  c.hidden = need_int(j, "hidden_size", where);
  c.layers = need_int(j, "num_hidden_layers", where);
  c.heads = need_int(j, "num_attention_heads", where);
  c.kv_heads = opt_int(j, "num_key_value_heads", c.heads, where);
  c.ffn = need_int(j, "intermediate_size", where);
  c.vocab = need_int(j, "vocab_size", where);
  c.context = need_int(j, "max_position_embeddings", where);
  if (get(j, "head_dim")) {
    c.head_dim = need_int(j, "head_dim", where);
  } else {
    if (c.heads <= 0 || c.hidden % c.heads != 0)
      throw validation_error("config.json: hidden_size " + std::to_string(c.hidden) +
                             " is not divisible by num_attention_heads " + std::to_string(c.heads) +
                             " and no head_dim is given")
          .at_path(where)
          .at_key("head_dim");
    c.head_dim = c.hidden / c.heads;
  }
  c.rope_theta = opt_num(j, "rope_theta", t->default_rope_theta, where);
  c.rms_eps = opt_num(j, "rms_norm_eps", t->default_rms_eps, where);
  c.tied_embeddings = opt_bool(j, "tie_word_embeddings", false, where);
  c.attention_bias = t->attention_bias_required ? true : opt_bool(j, "attention_bias", false, where);
  if (const json* a = get(j, "hidden_act"); a && (!a->is_string() || a->get<std::string>() != "silu"))
    throw unsupported_error("config.json: hidden_act " + json_excerpt(*a) + " is not supported, expected \"silu\"")
        .at_path(where)
        .at_key("hidden_act");
  if (const json* rs = get(j, "rope_scaling"))
    throw unsupported_error("config.json: rope_scaling " + json_excerpt(*rs) + " is not supported (expected null)")
        .at_path(where)
        .at_key("rope_scaling");
  // Sliding-window attention is active when use_sliding_window says so (qwen2), or, without that
  // key, whenever sliding_window is set (mistral). It only matters below the context length.
  const bool swa = get(j, "use_sliding_window") ? opt_bool(j, "use_sliding_window", false, where) : get(j, "sliding_window") != nullptr;
  if (swa) {
    const std::int64_t w = get(j, "sliding_window") ? need_int(j, "sliding_window", where) : 0;
    if (w < c.context)
      throw unsupported_error("config.json: sliding-window attention (window " + std::to_string(w) +
                              " < max_position_embeddings " + std::to_string(c.context) + ") is not supported")
          .at_path(where)
          .at_key("sliding_window");
  }
  if (get(j, "mlp_bias") && opt_bool(j, "mlp_bias", false, where))
    throw unsupported_error("config.json: mlp_bias=true is not supported").at_path(where).at_key("mlp_bias");
  return c;
}

json config_to_hf(const model::ModelConfig& c, const model::TokenizerData& tok, GgmlType torch_dtype) {
  const model::ArchTraits& t = model::arch_traits(c.arch);
  json j = json::object();
  j["architectures"] = json::array({t.hf_class});
  j["model_type"] = t.hf_model_types.front();
  j["hidden_size"] = c.hidden;
  j["intermediate_size"] = c.ffn;
  j["num_hidden_layers"] = c.layers;
  j["num_attention_heads"] = c.heads;
  j["num_key_value_heads"] = c.kv_heads;
  if (c.head_dim * c.heads != c.hidden) j["head_dim"] = c.head_dim;
  j["vocab_size"] = c.vocab;
  j["max_position_embeddings"] = c.context;
  j["rope_theta"] = c.rope_theta;
  j["rms_norm_eps"] = c.rms_eps;
  j["tie_word_embeddings"] = c.tied_embeddings;
  j["hidden_act"] = "silu";
  j["rope_scaling"] = nullptr;
  j["attention_dropout"] = 0.0;
  j["initializer_range"] = 0.02;
  j["use_cache"] = true;
  if (t.attention_bias_allowed && !t.attention_bias_required) j["attention_bias"] = c.attention_bias;
  if (t.write_hf_extras) t.write_hf_extras(c, j);
  if (tok.bos_id) j["bos_token_id"] = *tok.bos_id;
  if (tok.eos_id) j["eos_token_id"] = *tok.eos_id;
  j["torch_dtype"] = torch_dtype_name(torch_dtype);
  return j;
}

json generation_config_to_hf(const model::TokenizerData& tok) {
  json j = json::object();
  if (tok.bos_id) j["bos_token_id"] = *tok.bos_id;
  if (tok.eos_id) j["eos_token_id"] = *tok.eos_id;
  if (tok.pad_id) j["pad_token_id"] = *tok.pad_id;
  return j;
}

}  // namespace apr::convert
