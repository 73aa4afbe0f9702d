// apr-qa tokenizer: GGUF tokenizer.ggml.* <-> TokenizerData.
#include "tokenizer/gguf_tokenizer.hpp"

#include <cmath>

#include "core/error.hpp"
#include "tokenizer/tokenizer.hpp"

namespace apr::tok {
namespace {

using gguf::Value;
using gguf::ValueType;


bool is_unsigned(ValueType t) {
  return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 || t == ValueType::UINT64;
}
bool is_signed(ValueType t) {
  return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 || t == ValueType::INT64;
}

struct Kvs {
  const std::vector<gguf::KV>& kvs;
  const std::string& origin;

  const Value* find(std::string_view key) const {
    for (const auto& kv : kvs)
      if (kv.key == key) return &kv.value;
    return nullptr;
  }
  Error wrong(std::string_view key, const std::string& expected, const Value& v) const {
    std::string found = gguf::to_string(v.type);
    if (v.type == ValueType::ARRAY) found += std::string(" of ") + gguf::to_string(v.array_type);
    return validation_error("expected " + expected + ", found " + found).at_path(origin).at_key(std::string(key));
  }
  std::optional<std::string> str(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (v->type != ValueType::STRING) throw wrong(key, "STRING", *v);
    return v->s;
  }
  std::optional<bool> boolean(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (v->type != ValueType::BOOL) throw wrong(key, "BOOL", *v);
    return v->b;
  }
  std::optional<std::int64_t> id(std::string_view key) const {
    const auto* v = find(key);
    if (!v) return std::nullopt;
    if (is_unsigned(v->type)) {
      if (v->u > static_cast<std::uint64_t>(INT32_MAX))
        throw validation_error("expected a token id, found " + std::to_string(v->u)).at_path(origin).at_key(std::string(key));
      return static_cast<std::int64_t>(v->u);
    }
    if (is_signed(v->type)) {
      // llama.cpp writes -1 for "none" in some files.
      if (v->i == -1) return std::nullopt;
      return v->i;
    }
    throw wrong(key, "an integer", *v);
  }
  StringList strings(std::string_view key, bool required) const {
    const auto* v = find(key);
    if (!v) {
      if (required) throw validation_error("missing required key").at_path(origin).at_key(std::string(key));
      return {};
    }
    if (v->type != ValueType::ARRAY || v->array_type != ValueType::STRING) throw wrong(key, "ARRAY of STRING", *v);
    return StringList(v->arr_s);  // one copy, straight into the compact form
  }
};

}  // namespace

Result<TokenizerData> tokenizer_from_gguf_kvs(const std::vector<gguf::KV>& kvs, const std::string& origin) {
  return capture([&] {
    Kvs k{kvs, origin};
    TokenizerData d;
    const auto model = k.str("tokenizer.ggml.model");
    if (!model)
      throw validation_error("expected a tokenizer (tokenizer.ggml.model), found none")
          .at_path(origin)
          .at_key("tokenizer.ggml.model");
    if (*model == "gpt2") d.model = TokenizerModel::bpe;
    else if (*model == "llama") d.model = TokenizerModel::spm;
    else
      throw unsupported_error("tokenizer model: expected gpt2 or llama, found \"" + *model + "\"")
          .at_path(origin)
          .at_key("tokenizer.ggml.model");
    d.pre = k.str("tokenizer.ggml.pre").value_or(d.model == TokenizerModel::bpe ? "default" : "");
    d.tokens = k.strings("tokenizer.ggml.tokens", true);
    if (const auto* v = k.find("tokenizer.ggml.token_type")) {
      if (v->type != ValueType::ARRAY || !(is_signed(v->array_type) || is_unsigned(v->array_type)))
        throw k.wrong("tokenizer.ggml.token_type", "ARRAY of INT32", *v);
      const auto n = v->array_size();
      if (n != d.tokens.size())
        throw validation_error("expected " + std::to_string(d.tokens.size()) + " token types (one per token), found " +
                               std::to_string(n))
            .at_path(origin)
            .at_key("tokenizer.ggml.token_type");
      d.token_types.resize(n);
      for (std::size_t i = 0; i < n; ++i) {
        const std::int64_t t = is_signed(v->array_type) ? v->arr_i[i] : static_cast<std::int64_t>(v->arr_u[i]);
        if (t < 0 || t > 6)
          throw validation_error("token " + std::to_string(i) + ": expected a token type in 0..6, found " + std::to_string(t))
              .at_path(origin)
              .at_key("tokenizer.ggml.token_type");
        d.token_types[i] = static_cast<std::int32_t>(t);
      }
    } else {
      d.token_types.assign(d.tokens.size(), kTokenNormal);
    }
    d.merges = k.strings("tokenizer.ggml.merges", d.model == TokenizerModel::bpe);
    if (const auto* v = k.find("tokenizer.ggml.scores")) {
      if (v->type != ValueType::ARRAY || (v->array_type != ValueType::FLOAT32 && v->array_type != ValueType::FLOAT64))
        throw k.wrong("tokenizer.ggml.scores", "ARRAY of FLOAT32", *v);
      d.scores.reserve(v->arr_f.size());
      for (double s : v->arr_f) d.scores.push_back(static_cast<float>(s));
      if (d.scores.size() != d.tokens.size())
        throw validation_error("expected " + std::to_string(d.tokens.size()) + " scores (one per token), found " +
                               std::to_string(d.scores.size()))
            .at_path(origin)
            .at_key("tokenizer.ggml.scores");
    } else if (d.model == TokenizerModel::spm) {
      throw validation_error("missing required key for a llama (SentencePiece) tokenizer")
          .at_path(origin)
          .at_key("tokenizer.ggml.scores");
    }
    d.bos_id = k.id("tokenizer.ggml.bos_token_id");
    d.eos_id = k.id("tokenizer.ggml.eos_token_id");
    d.unk_id = k.id("tokenizer.ggml.unknown_token_id");
    d.pad_id = k.id("tokenizer.ggml.padding_token_id");
    d.sep_id = k.id("tokenizer.ggml.seperator_token_id");
    d.eot_id = k.id("tokenizer.ggml.eot_token_id");
    d.add_bos = k.boolean("tokenizer.ggml.add_bos_token");
    d.add_eos = k.boolean("tokenizer.ggml.add_eos_token");
    d.add_space_prefix = k.boolean("tokenizer.ggml.add_space_prefix");
    d.chat_template = k.str("tokenizer.chat_template").value_or("");
    if (auto n = k.str("tokenizer.apr_qa.normalizer")) {
      if (*n != "NFC")
        throw unsupported_error("tokenizer.apr_qa.normalizer: expected \"NFC\", found \"" + *n + "\"")
            .at_path(origin)
            .at_key("tokenizer.apr_qa.normalizer");
      d.normalizer = *n;
      d.gguf_records_not_applied = true;
    }
    if (const auto* v = k.find("tokenizer.apr_qa.not_special")) {
      if (v->type != ValueType::ARRAY || !is_signed(v->array_type))
        throw k.wrong("tokenizer.apr_qa.not_special", "ARRAY of INT32", *v);
      for (std::size_t i = 0; i < v->array_size(); ++i) {
        const std::int64_t id = v->arr_i[i];
        if (id < 0 || static_cast<std::size_t>(id) >= d.tokens.size())
          throw validation_error("tokenizer.apr_qa.not_special: id " + std::to_string(id) + " outside [0, " +
                                 std::to_string(d.tokens.size()) + ")")
              .at_path(origin)
              .at_key("tokenizer.apr_qa.not_special");
        d.hf_not_special.push_back(static_cast<std::int32_t>(id));
      }
      d.gguf_records_not_applied = true;
    }
    // Semantic validation now, so a bad file fails at load and not at first use.
    auto t = Tokenizer::from_data(d);
    if (!t) throw Error(t.error()).at_path(origin);
    return d;
  });
}

Result<TokenizerData> tokenizer_from_gguf(const gguf::Reader& r) {
  return tokenizer_from_gguf_kvs(r.kvs(), r.path().string());
}

namespace {

Value str_value(std::string s) {
  Value v;
  v.type = ValueType::STRING;
  v.s = std::move(s);
  return v;
}
Value u32_value(std::int64_t x) {
  Value v;
  v.type = ValueType::UINT32;
  v.u = static_cast<std::uint64_t>(x);
  return v;
}
Value bool_value(bool b) {
  Value v;
  v.type = ValueType::BOOL;
  v.b = b;
  return v;
}

}  // namespace

std::vector<gguf::KV> tokenizer_to_gguf(const TokenizerData& d) {
  std::vector<gguf::KV> out;
  out.push_back({"tokenizer.ggml.model", str_value(d.model == TokenizerModel::bpe ? "gpt2" : "llama")});
  if (!d.pre.empty()) out.push_back({"tokenizer.ggml.pre", str_value(d.pre)});
  {
    Value v;
    v.type = ValueType::ARRAY;
    v.array_type = ValueType::STRING;
    v.arr_s = d.tokens.to_vector();
    out.push_back({"tokenizer.ggml.tokens", std::move(v)});
  }
  if (!d.scores.empty()) {
    Value v;
    v.type = ValueType::ARRAY;
    v.array_type = ValueType::FLOAT32;
    v.arr_f.assign(d.scores.begin(), d.scores.end());
    out.push_back({"tokenizer.ggml.scores", std::move(v)});
  }
  {
    Value v;
    v.type = ValueType::ARRAY;
    v.array_type = ValueType::INT32;
    if (d.token_types.empty()) v.arr_i.assign(d.tokens.size(), kTokenNormal);
    else v.arr_i.assign(d.token_types.begin(), d.token_types.end());
    out.push_back({"tokenizer.ggml.token_type", std::move(v)});
  }
  if (d.model == TokenizerModel::bpe) {
    Value v;
    v.type = ValueType::ARRAY;
    v.array_type = ValueType::STRING;
    v.arr_s = d.merges.to_vector();
    out.push_back({"tokenizer.ggml.merges", std::move(v)});
  }
  if (d.bos_id) out.push_back({"tokenizer.ggml.bos_token_id", u32_value(*d.bos_id)});
  if (d.eos_id) out.push_back({"tokenizer.ggml.eos_token_id", u32_value(*d.eos_id)});
  if (d.unk_id) out.push_back({"tokenizer.ggml.unknown_token_id", u32_value(*d.unk_id)});
  if (d.sep_id) out.push_back({"tokenizer.ggml.seperator_token_id", u32_value(*d.sep_id)});
  if (d.pad_id) out.push_back({"tokenizer.ggml.padding_token_id", u32_value(*d.pad_id)});
  if (d.eot_id) out.push_back({"tokenizer.ggml.eot_token_id", u32_value(*d.eot_id)});
  if (d.add_bos) out.push_back({"tokenizer.ggml.add_bos_token", bool_value(*d.add_bos)});
  if (d.add_eos) out.push_back({"tokenizer.ggml.add_eos_token", bool_value(*d.add_eos)});
  if (d.add_space_prefix) out.push_back({"tokenizer.ggml.add_space_prefix", bool_value(*d.add_space_prefix)});
  if (!d.chat_template.empty()) out.push_back({"tokenizer.chat_template", str_value(d.chat_template)});
  // What GGUF cannot say for llama.cpp, recorded for apr-qa's later conversions (tokenizer_data.hpp).
  if (!d.normalizer.empty()) out.push_back({"tokenizer.apr_qa.normalizer", str_value(d.normalizer)});
  if (!d.hf_not_special.empty()) {
    Value v;
    v.type = ValueType::ARRAY;
    v.array_type = ValueType::INT32;
    v.arr_i.assign(d.hf_not_special.begin(), d.hf_not_special.end());
    out.push_back({"tokenizer.apr_qa.not_special", std::move(v)});
  }
  return out;
}

}  // namespace apr::tok
