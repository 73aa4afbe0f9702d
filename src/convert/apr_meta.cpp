// apr-qa convert: APR metadata JSON (see apr_meta.hpp).
#include "convert/apr_meta.hpp"

#include "model/arch_traits.hpp"

namespace apr::convert {
namespace {

using nlohmann::json;

const json* get(const json& j, const std::string& key) {
  auto it = j.find(key);
  if (it != j.end() && !it->is_null()) return &*it;
  it = j.find("model." + key);  // aprender's flattened model.* aliases
  if (it != j.end() && !it->is_null()) return &*it;
  return nullptr;
}

std::int64_t need_int(const json& j, const std::string& key, const std::string& where) {
  const json* v = get(j, key);
  if (!v || !v->is_number_integer())
    throw validation_error("APR metadata: expected an integer, found " + (v ? v->dump() : std::string("nothing")))
        .at_path(where)
        .at_key(key);
  return v->get<std::int64_t>();
}

double need_num(const json& j, const std::string& key, const std::string& where) {
  const json* v = get(j, key);
  if (!v || !v->is_number())
    throw validation_error("APR metadata: expected a number, found " + (v ? v->dump() : std::string("nothing")))
        .at_path(where)
        .at_key(key);
  return v->get<double>();
}

// An array of strings straight into the tokenizer's compact list (no vector<string> in between:
// a 151k-token vocabulary would be copied twice).
tok::StringList strings(const json& j, const std::string& key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) throw validation_error("APR metadata: expected an array").at_path(where).at_key(key);
  std::size_t bytes = 0;
  for (const auto& e : *it) {
    if (!e.is_string())
      throw validation_error(std::string("APR metadata: array of the wrong element type: expected strings, found ") +
                             e.type_name())
          .at_path(where)
          .at_key(key);
    bytes += e.get_ref<const std::string&>().size();
  }
  tok::StringList out;
  out.reserve(it->size(), bytes);
  for (const auto& e : *it) out.push_back(e.get_ref<const std::string&>());
  return out;
}

template <typename T>
std::vector<T> arr(const json& j, const std::string& key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return {};
  if (!it->is_array()) throw validation_error("APR metadata: expected an array").at_path(where).at_key(key);
  try {
    return it->get<std::vector<T>>();
  } catch (const json::exception& e) {
    throw validation_error(std::string("APR metadata: array of the wrong element type: ") + e.what()).at_path(where).at_key(key);
  }
}

std::optional<std::int64_t> opt_id(const json& j, const std::string& key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_number_integer()) throw validation_error("APR metadata: expected an integer id, found " + it->dump()).at_path(where).at_key(key);
  return it->get<std::int64_t>();
}

// A special token id indexes the vocabulary (n tokens): outside [0, n) it is refused at load,
// before any exporter or tokenizer looks the id up.
void check_token_id(const std::optional<std::int64_t>& id, std::size_t n, const std::string& key, const std::string& where) {
  if (id && (*id < 0 || static_cast<std::uint64_t>(*id) >= n))
    throw validation_error("APR metadata: expected a token id in [0, " + std::to_string(n) + ") (the vocabulary size), found " +
                           std::to_string(*id))
        .at_path(where)
        .at_key(key);
}

std::optional<bool> opt_flag(const json& j, const std::string& key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_boolean()) throw validation_error("APR metadata: expected true/false, found " + it->dump()).at_path(where).at_key(key);
  return it->get<bool>();
}

}  // namespace

json apr_metadata(const model::CanonicalModel& m) {
  const auto& c = m.config;
  const auto& t = m.tokenizer;
  json j = json::object();
  j["architecture"] = model::to_string(c.arch);
  j["model_type"] = model::to_string(c.arch);
  j["hidden_size"] = c.hidden;
  j["num_layers"] = c.layers;
  j["num_heads"] = c.heads;
  j["num_kv_heads"] = c.kv_heads;
  j["head_dim"] = c.head_dim;
  j["vocab_size"] = c.vocab;
  j["intermediate_size"] = c.ffn;
  j["max_position_embeddings"] = c.context;
  j["rope_theta"] = c.rope_theta;
  j["rope_type"] = 2;  // tensors are stored in HF order: rotate-half (NEOX) RoPE
  j["rms_norm_eps"] = c.rms_eps;
  j["tied_embeddings"] = c.tied_embeddings;
  j["attention_bias"] = c.attention_bias;
  j["original_format"] = m.provenance.source_format;
  j["tokenizer.model"] = t.model == model::TokenizerModel::bpe ? "gpt2" : "llama";
  j["tokenizer.pre_type"] = t.pre;
  j["tokenizer.vocabulary"] = t.tokens;
  j["tokenizer.vocab_size"] = t.tokens.size();
  j["tokenizer.token_type"] = t.token_types;
  j["tokenizer.merges"] = t.merges;
  j["tokenizer.scores"] = t.scores;
  auto id = [&](const char* k, const std::optional<std::int64_t>& v) { j[k] = v ? json(*v) : json(nullptr); };
  id("tokenizer.bos_token_id", t.bos_id);
  id("tokenizer.eos_token_id", t.eos_id);
  id("tokenizer.padding_token_id", t.pad_id);
  id("tokenizer.unknown_token_id", t.unk_id);
  id("tokenizer.separator_token_id", t.sep_id);
  if (t.eot_id) j["tokenizer.eot_token_id"] = *t.eot_id;
  if (t.add_space_prefix) j["tokenizer.add_space_prefix"] = *t.add_space_prefix;
  j["tokenizer.add_bos_token"] = t.add_bos ? json(*t.add_bos) : json(nullptr);
  j["tokenizer.add_eos_token"] = t.add_eos ? json(*t.add_eos) : json(nullptr);
  j["tokenizer.chat_template"] = t.chat_template;
  j["chat_template"] = t.chat_template;
  if (!t.normalizer.empty()) j["tokenizer.normalizer"] = t.normalizer;
  if (!t.hf_not_special.empty()) j["tokenizer.hf_not_special"] = t.hf_not_special;
  json extra = json::object();
  for (const auto& [k, v] : m.extra) extra[k] = v;
  j["source_metadata"] = extra;
  return j;
}

bool read_apr_metadata(const json& j, const std::string& where, model::CanonicalModel& m, bool& hf_row_order) {
  if (!j.is_object()) throw parse_error("APR metadata: expected a JSON object").at_path(where);
  const json* arch = get(j, "architecture");
  if (!arch) arch = get(j, "model_type");
  if (!arch || !arch->is_string()) throw validation_error("APR metadata: missing architecture (string)").at_path(where).at_key("architecture");
  auto& c = m.config;
  try {
    c.arch = model::arch_by_name(arch->get<std::string>()).arch;
  } catch (Error& e) {
    throw std::move(e).at_path(where).at_key("architecture");
  }
  const auto& tr = model::arch_traits(c.arch);
  c.hidden = need_int(j, "hidden_size", where);
  c.layers = need_int(j, "num_layers", where);
  c.heads = need_int(j, "num_heads", where);
  c.kv_heads = get(j, "num_kv_heads") ? need_int(j, "num_kv_heads", where) : c.heads;
  c.head_dim = get(j, "head_dim") ? need_int(j, "head_dim", where) : (c.heads ? c.hidden / c.heads : 0);
  c.vocab = need_int(j, "vocab_size", where);
  c.ffn = need_int(j, "intermediate_size", where);
  c.context = need_int(j, "max_position_embeddings", where);
  c.rope_theta = need_num(j, "rope_theta", where);
  c.rms_eps = need_num(j, "rms_norm_eps", where);
  const json* tied = get(j, "tied_embeddings");
  c.tied_embeddings = tied && tied->is_boolean() && tied->get<bool>();
  const json* bias = get(j, "attention_bias");
  c.attention_bias = tr.attention_bias_required || (bias && bias->is_boolean() && bias->get<bool>());
  const json* rt = get(j, "rope_type");
  if (tr.gguf_permutes_qk) {
    if (!rt || !rt->is_number_integer() || (rt->get<int>() != 0 && rt->get<int>() != 2))
      throw validation_error(std::string("APR metadata: expected rope_type 0 (Q/K rows in GGUF order) or 2 (HF order) for ") +
                             tr.name + ", found " + (rt ? rt->dump() : std::string("nothing")))
          .at_path(where)
          .at_key("rope_type");
    hf_row_order = rt->get<int>() == 2;
  } else {
    hf_row_order = true;
  }
  if (auto it = j.find("source_metadata"); it != j.end() && it->is_object())
    for (auto& [k, v] : it->items())
      if (v.is_string()) m.extra[k] = v.get<std::string>();

  auto tm = j.find("tokenizer.model");
  if (tm == j.end() || tm->is_null()) return false;
  auto& t = m.tokenizer;
  if (!tm->is_string() || (tm->get<std::string>() != "gpt2" && tm->get<std::string>() != "llama"))
    throw unsupported_error("APR metadata: tokenizer.model " + tm->dump() + " is not supported, expected \"gpt2\" or \"llama\"")
        .at_path(where)
        .at_key("tokenizer.model");
  t.model = tm->get<std::string>() == "gpt2" ? model::TokenizerModel::bpe : model::TokenizerModel::spm;
  if (auto it = j.find("tokenizer.pre_type"); it != j.end() && it->is_string()) t.pre = it->get<std::string>();
  t.tokens = strings(j, "tokenizer.vocabulary", where);
  t.token_types = arr<std::int32_t>(j, "tokenizer.token_type", where);
  t.merges = strings(j, "tokenizer.merges", where);
  t.scores = arr<float>(j, "tokenizer.scores", where);
  t.bos_id = opt_id(j, "tokenizer.bos_token_id", where);
  t.eos_id = opt_id(j, "tokenizer.eos_token_id", where);
  t.pad_id = opt_id(j, "tokenizer.padding_token_id", where);
  t.unk_id = opt_id(j, "tokenizer.unknown_token_id", where);
  t.sep_id = opt_id(j, "tokenizer.separator_token_id", where);
  t.add_bos = opt_flag(j, "tokenizer.add_bos_token", where);
  t.add_eos = opt_flag(j, "tokenizer.add_eos_token", where);
  t.eot_id = opt_id(j, "tokenizer.eot_token_id", where);
  t.add_space_prefix = opt_flag(j, "tokenizer.add_space_prefix", where);
  if (auto it = j.find("tokenizer.chat_template"); it != j.end() && it->is_string()) t.chat_template = it->get<std::string>();
  if (auto it = j.find("tokenizer.normalizer"); it != j.end()) {
    if (!it->is_string() || (it->get<std::string>() != "NFC" && !it->get<std::string>().empty()))
      throw unsupported_error("APR metadata: tokenizer.normalizer " + it->dump().substr(0, 40) + ", expected \"NFC\"")
          .at_path(where)
          .at_key("tokenizer.normalizer");
    t.normalizer = it->get<std::string>();
  }
  if (j.contains("tokenizer.hf_not_special")) t.hf_not_special = arr<std::int32_t>(j, "tokenizer.hf_not_special", where);
  if (t.tokens.empty()) throw validation_error("APR metadata: tokenizer.vocabulary is empty").at_path(where).at_key("tokenizer.vocabulary");
  if (!t.token_types.empty() && t.token_types.size() != t.tokens.size())
    throw validation_error("APR metadata: tokenizer.token_type has " + std::to_string(t.token_types.size()) +
                           " entries, expected " + std::to_string(t.tokens.size()))
        .at_path(where)
        .at_key("tokenizer.token_type");
  for (const auto& [key, id] : {std::pair<const char*, const std::optional<std::int64_t>*>{"tokenizer.bos_token_id", &t.bos_id},
                                {"tokenizer.eos_token_id", &t.eos_id}, {"tokenizer.padding_token_id", &t.pad_id},
                                {"tokenizer.unknown_token_id", &t.unk_id}, {"tokenizer.separator_token_id", &t.sep_id},
                                {"tokenizer.eot_token_id", &t.eot_id}})
    check_token_id(*id, t.tokens.size(), key, where);
  return true;
}

}  // namespace apr::convert
