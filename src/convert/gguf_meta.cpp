// apr-qa convert: GGUF config keys <-> ModelConfig (see gguf_meta.hpp).
#include "convert/gguf_meta.hpp"

#include <charconv>
#include <cstring>

#include "model/arch_traits.hpp"

namespace apr::convert {
namespace {

std::string where_of(const gguf::Reader& r) { return r.path().string(); }

const gguf::Value* find_scalar(const gguf::Reader& r, const std::string& key) {
  const gguf::Value* v = r.find(key);
  if (v && v->type == gguf::ValueType::ARRAY) {
    // Per-layer arrays are accepted only when every entry is equal (then they are a scalar).
    throw unsupported_error("per-layer array values are not supported, expected a scalar").at_path(where_of(r)).at_key(key);
  }
  return v;
}

std::int64_t need_int(const gguf::Reader& r, const std::string& key) {
  const gguf::Value* v = find_scalar(r, key);
  if (!v) throw validation_error("missing required key, expected an integer").at_path(where_of(r)).at_key(key);
  try {
    return v->as_i64();
  } catch (Error& e) {
    throw std::move(e).at_path(where_of(r)).at_key(key);
  }
}

double need_num(const gguf::Reader& r, const std::string& key) {
  const gguf::Value* v = find_scalar(r, key);
  if (!v) throw validation_error("missing required key, expected a number").at_path(where_of(r)).at_key(key);
  try {
    return gguf_number(*v);
  } catch (Error& e) {
    throw std::move(e).at_path(where_of(r)).at_key(key);
  }
}

}  // namespace

double gguf_number(const gguf::Value& v) {
  if (v.type == gguf::ValueType::FLOAT32) {
    const float f = static_cast<float>(v.f);
    char buf[64];
    auto res = std::to_chars(buf, buf + sizeof buf, f);
    double d = 0;
    std::from_chars(buf, res.ptr, d);
    return d;
  }
  return v.as_f64();
}

std::uint32_t llama_ftype_for(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return 0;
    case GgmlType::F16: return 1;
    case GgmlType::Q4_0: return 2;
    case GgmlType::Q4_1: return 3;
    case GgmlType::Q8_0: return 7;
    case GgmlType::Q5_0: return 8;
    case GgmlType::Q5_1: return 9;
    case GgmlType::IQ4_NL: return 25;
    case GgmlType::Q2_K: return 10;
    case GgmlType::Q3_K: return 12;  // Q3_K_M
    case GgmlType::Q4_K: return 15;  // Q4_K_M
    case GgmlType::Q5_K: return 17;  // Q5_K_M
    case GgmlType::Q6_K: return 18;
    case GgmlType::BF16: return 32;
    default: return 0;
  }
}

model::ModelConfig config_from_gguf(const gguf::Reader& r) {
  const gguf::Value* av = r.find("general.architecture");
  if (!av || av->type != gguf::ValueType::STRING)
    throw validation_error("missing required key, expected a string").at_path(where_of(r)).at_key("general.architecture");
  std::string hint;
  if (const gguf::Value* h = r.find("apr_qa.architecture"); h && h->type == gguf::ValueType::STRING) hint = h->s;
  const model::ArchTraits* t = nullptr;
  try {
    t = &model::arch_by_gguf(av->s, hint);
  } catch (Error& e) {
    throw std::move(e).at_path(where_of(r));
  }
  const std::string a = av->s + ".";
  model::ModelConfig c;
  c.arch = t->arch;
  c.hidden = need_int(r, a + "embedding_length");
  c.layers = need_int(r, a + "block_count");
  c.heads = need_int(r, a + "attention.head_count");
  c.kv_heads = find_scalar(r, a + "attention.head_count_kv") ? need_int(r, a + "attention.head_count_kv") : c.heads;
  c.ffn = need_int(r, a + "feed_forward_length");
  c.context = need_int(r, a + "context_length");
  c.rms_eps = need_num(r, a + "attention.layer_norm_rms_epsilon");
  c.rope_theta = find_scalar(r, a + "rope.freq_base") ? need_num(r, a + "rope.freq_base") : 10000.0;
  if (find_scalar(r, a + "attention.key_length")) {
    c.head_dim = need_int(r, a + "attention.key_length");
    if (find_scalar(r, a + "attention.value_length") && need_int(r, a + "attention.value_length") != c.head_dim)
      throw unsupported_error("value_length different from key_length is not supported").at_path(where_of(r)).at_key(a + "attention.value_length");
  } else {
    if (c.heads <= 0 || c.hidden % c.heads != 0)
      throw validation_error("embedding_length " + std::to_string(c.hidden) + " is not divisible by head_count " +
                             std::to_string(c.heads) + " and no attention.key_length is given")
          .at_path(where_of(r))
          .at_key(a + "attention.key_length");
    c.head_dim = c.hidden / c.heads;
  }
  if (find_scalar(r, a + "rope.dimension_count") && need_int(r, a + "rope.dimension_count") != c.head_dim)
    throw unsupported_error("partial rotary embedding: expected rope.dimension_count = head_dim " +
                            std::to_string(c.head_dim) + ", found " + std::to_string(need_int(r, a + "rope.dimension_count")))
        .at_path(where_of(r))
        .at_key(a + "rope.dimension_count");
  if (const gguf::Value* s = r.find(a + "rope.scaling.type"); s && !(s->type == gguf::ValueType::STRING && s->s == "none"))
    throw unsupported_error("rope scaling is not supported, expected none").at_path(where_of(r)).at_key(a + "rope.scaling.type");
  if (const gguf::Value* s = r.find(a + "rope.scaling.factor"); s && gguf_number(*s) != 1.0 && gguf_number(*s) != 0.0)
    throw unsupported_error("rope scaling is not supported, expected factor 1").at_path(where_of(r)).at_key(a + "rope.scaling.factor");
  return c;
}

std::vector<gguf::KV> config_to_gguf(const model::ModelConfig& c) {
  const model::ArchTraits& t = model::arch_traits(c.arch);
  const std::string a = std::string(t.gguf_arch) + ".";
  auto u32 = [](std::int64_t v) { return gguf::Value::u32(static_cast<std::uint32_t>(v)); };
  std::vector<gguf::KV> kv;
  kv.push_back({a + "vocab_size", u32(c.vocab)});
  kv.push_back({a + "context_length", u32(c.context)});
  kv.push_back({a + "embedding_length", u32(c.hidden)});
  kv.push_back({a + "block_count", u32(c.layers)});
  kv.push_back({a + "feed_forward_length", u32(c.ffn)});
  kv.push_back({a + "attention.head_count", u32(c.heads)});
  kv.push_back({a + "attention.head_count_kv", u32(c.kv_heads)});
  kv.push_back({a + "rope.freq_base", gguf::Value::f32(static_cast<float>(c.rope_theta))});
  kv.push_back({a + "attention.layer_norm_rms_epsilon", gguf::Value::f32(static_cast<float>(c.rms_eps))});
  if (c.head_dim * c.heads != c.hidden) {
    kv.push_back({a + "attention.key_length", u32(c.head_dim)});
    kv.push_back({a + "attention.value_length", u32(c.head_dim)});
  }
  if (t.gguf_writes_rope_dim) kv.push_back({a + "rope.dimension_count", u32(c.head_dim)});
  return kv;
}

}  // namespace apr::convert
