// apr-qa convert: the GGUF metadata record (see gguf_kv_record.hpp).
#include "convert/gguf_kv_record.hpp"
#include "core/utf8.hpp"

#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "model/arch_traits.hpp"
#include "tokenizer/gguf_tokenizer.hpp"

namespace apr::convert {
namespace {

using gguf::Value;
using gguf::ValueType;
using nlohmann::json;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Every key tokenizer_to_gguf can write: asked of a tokenizer with every optional field set, so
// a key the tokenizer layer adds later is derived here too.
const std::set<std::string>& tokenizer_keys() {
  static const std::set<std::string> keys = [] {
    std::set<std::string> s;
    for (auto m : {tok::TokenizerModel::bpe, tok::TokenizerModel::spm}) {
      model::TokenizerData d;
      d.model = m;
      d.pre = "x";
      d.tokens = {"a"};
      d.token_types = {1};
      d.merges = {"a a"};
      d.scores = {0.0f};
      d.bos_id = d.eos_id = d.pad_id = d.unk_id = d.sep_id = d.eot_id = 0;
      d.add_bos = d.add_eos = d.add_space_prefix = true;
      d.chat_template = "x";
      d.normalizer = "NFC";
      d.hf_not_special = {0};
      for (auto& kv : tok::tokenizer_to_gguf(d)) s.insert(kv.key);
    }
    return s;
  }();
  return keys;
}

constexpr const char* kConfigSuffixes[] = {
    "vocab_size",          "context_length",        "embedding_length",       "block_count",
    "feed_forward_length", "attention.head_count",  "attention.head_count_kv", "rope.freq_base",
    "attention.layer_norm_rms_epsilon", "attention.key_length", "attention.value_length", "rope.dimension_count"};

bool is_unsigned(ValueType t) {
  return t == ValueType::UINT8 || t == ValueType::UINT16 || t == ValueType::UINT32 || t == ValueType::UINT64;
}
bool is_signed(ValueType t) {
  return t == ValueType::INT8 || t == ValueType::INT16 || t == ValueType::INT32 || t == ValueType::INT64;
}
bool is_float(ValueType t) { return t == ValueType::FLOAT32 || t == ValueType::FLOAT64; }

std::uint64_t umax(ValueType t) {
  switch (t) {
    case ValueType::UINT8: return 0xff;
    case ValueType::UINT16: return 0xffff;
    case ValueType::UINT32: return 0xffffffffu;
    default: return std::numeric_limits<std::uint64_t>::max();
  }
}
std::int64_t smin(ValueType t) {
  switch (t) {
    case ValueType::INT8: return -128;
    case ValueType::INT16: return -32768;
    case ValueType::INT32: return std::numeric_limits<std::int32_t>::min();
    default: return std::numeric_limits<std::int64_t>::min();
  }
}
std::int64_t smax(ValueType t) {
  switch (t) {
    case ValueType::INT8: return 127;
    case ValueType::INT16: return 32767;
    case ValueType::INT32: return std::numeric_limits<std::int32_t>::max();
    default: return std::numeric_limits<std::int64_t>::max();
  }
}

ValueType type_from_name(const std::string& n, const std::string& where, const std::string& key) {
  for (int i = 0; i <= 12; ++i)
    if (n == gguf::to_string(static_cast<ValueType>(i))) return static_cast<ValueType>(i);
  throw validation_error("apr_qa.gguf_kv: unknown GGUF value type '" + n + "'").at_path(where).at_key(key);
}

json str_json(const std::string& s) {
  if (utf8::is_valid(s)) return s;
  static const char* hx = "0123456789abcdef";
  std::string h;
  for (unsigned char c : s) h += hx[c >> 4], h += hx[c & 15];
  return json{{"hex", h}};
}

json float_json(double f) {
  if (std::isnan(f)) return "nan";
  if (std::isinf(f)) return f > 0 ? "inf" : "-inf";
  return f;
}

// One element/scalar of type t from JSON.
void scalar_from_json(const json& j, ValueType t, Value& out, bool in_array, const std::string& where, const std::string& key) {
  auto bad = [&](const char* expected) {
    return validation_error(std::string("apr_qa.gguf_kv: expected ") + expected + " for " + gguf::to_string(t) +
                            ", found " + j.dump().substr(0, 80))
        .at_path(where)
        .at_key(key);
  };
  if (is_unsigned(t)) {
    if (!j.is_number_integer() || (j.is_number_integer() && !j.is_number_unsigned() && j.get<std::int64_t>() < 0)) throw bad("a non-negative integer");
    const auto u = j.get<std::uint64_t>();
    if (u > umax(t)) throw bad("an integer in range");
    in_array ? out.arr_u.push_back(u) : void(out.u = u);
  } else if (is_signed(t)) {
    if (!j.is_number_integer()) throw bad("an integer");
    if (j.is_number_unsigned() && j.get<std::uint64_t>() > static_cast<std::uint64_t>(smax(t))) throw bad("an integer in range");
    const auto i = j.get<std::int64_t>();
    if (i < smin(t) || i > smax(t)) throw bad("an integer in range");
    in_array ? out.arr_i.push_back(i) : void(out.i = i);
  } else if (is_float(t)) {
    double f = 0;
    if (j.is_number()) f = j.get<double>();
    else if (j == "nan") f = std::numeric_limits<double>::quiet_NaN();
    else if (j == "inf") f = std::numeric_limits<double>::infinity();
    else if (j == "-inf") f = -std::numeric_limits<double>::infinity();
    else throw bad("a number");
    if (t == ValueType::FLOAT32 && std::isfinite(f) && static_cast<double>(static_cast<float>(f)) != f) throw bad("a float32 value");
    in_array ? out.arr_f.push_back(f) : void(out.f = f);
  } else if (t == ValueType::BOOL) {
    if (!j.is_boolean()) throw bad("true/false");
    in_array ? out.arr_b.push_back(j.get<bool>() ? 1 : 0) : void(out.b = j.get<bool>());
  } else if (t == ValueType::STRING) {
    std::string s;
    if (j.is_string()) {
      s = j.get<std::string>();
    } else if (j.is_object() && j.size() == 1 && j.contains("hex") && j["hex"].is_string() && j["hex"].get<std::string>().size() % 2 == 0) {
      const auto h = j["hex"].get<std::string>();
      for (std::size_t k = 0; k < h.size(); k += 2) {
        auto nib = [&](char c) -> int {
          if (c >= '0' && c <= '9') return c - '0';
          if (c >= 'a' && c <= 'f') return c - 'a' + 10;
          throw bad("a string or {\"hex\": lower-case hex}");
        };
        s += static_cast<char>(nib(h[k]) * 16 + nib(h[k + 1]));
      }
    } else {
      throw bad("a string");
    }
    in_array ? out.arr_s.push_back(std::move(s)) : void(out.s = std::move(s));
  } else {
    throw bad("a scalar type");
  }
}

json scalar_json(const Value& v, ValueType t, std::size_t k, bool in_array) {
  if (is_unsigned(t)) return in_array ? v.arr_u[k] : v.u;
  if (is_signed(t)) return in_array ? v.arr_i[k] : v.i;
  if (is_float(t)) return float_json(in_array ? v.arr_f[k] : v.f);
  if (t == ValueType::BOOL) return in_array ? v.arr_b[k] != 0 : v.b;
  return str_json(in_array ? v.arr_s[k] : v.s);
}

// A lossless read drops a derived key the source did not have when its absence reads back the same.
bool omissible(const gguf::KV& kv, const model::ModelConfig& c, bool lossless) {
  const std::string a = std::string(model::arch_traits(c.arch).gguf_arch) + ".";
  const std::string& k = kv.key;
  if (k == "general.type" || k == a + "vocab_size" || k == a + "rope.dimension_count") return true;
  if (k == a + "attention.head_count_kv") return c.kv_heads == c.heads;
  if (k == a + "rope.freq_base") return c.rope_theta == 10000.0;
  if (k == "general.file_type" || k == "general.quantization_version") return lossless;
  if (k == "tokenizer.ggml.pre") return kv.value.type == ValueType::STRING && kv.value.s == "default";
  return false;
}

}  // namespace

bool is_consumed_gguf_key(std::string_view key) {
  return key == "apr_qa.architecture" || starts_with(key, "apr_qa.dtype.") || starts_with(key, "apr_qa.sha256.") ||
         starts_with(key, "apr_qa.extra.");
}

bool is_derived_gguf_key(std::string_view key, const model::ModelConfig& c) {
  if (key == "general.architecture" || key == "general.type" || key == "general.file_type" ||
      key == "general.quantization_version")
    return true;
  if (tokenizer_keys().count(std::string(key))) return true;
  const std::string_view a = model::arch_traits(c.arch).gguf_arch;
  if (key.size() > a.size() + 1 && starts_with(key, a) && key[a.size()] == '.') {
    const auto rest = key.substr(a.size() + 1);
    for (const char* s : kConfigSuffixes)
      if (rest == s) return true;
  }
  return false;
}

GgufKvPtr record_gguf_kvs(const std::vector<gguf::KV>& kvs, const model::ModelConfig& c) {
  auto rec = std::make_shared<model::GgufKvRecord>();
  auto& out = rec->entries;
  out.reserve(kvs.size());
  for (const auto& kv : kvs) {
    if (is_consumed_gguf_key(kv.key)) continue;
    model::GgufKvEntry e;
    if (kv.value.type == ValueType::ARRAY && is_derived_gguf_key(kv.key, c)) {
      e.kv.key = kv.key;
      e.kv.value = Value::array_of(kv.value.array_type);
      e.has_value = false;
    } else {
      e.kv = kv;
    }
    out.push_back(std::move(e));
  }
  return rec;
}

json gguf_kv_to_json(const std::vector<model::GgufKvEntry>& rec) {
  json arr = json::array();
  for (const auto& e : rec) {
    const Value& v = e.kv.value;
    json j = {{"key", e.kv.key}, {"type", gguf::to_string(v.type)}};
    if (v.type == ValueType::ARRAY) j["element_type"] = gguf::to_string(v.array_type);
    if (!e.has_value) {
      j["derived"] = true;
    } else if (v.type == ValueType::ARRAY) {
      json items = json::array();
      for (std::size_t k = 0; k < v.array_size(); ++k) items.push_back(scalar_json(v, v.array_type, k, true));
      j["value"] = std::move(items);
    } else {
      j["value"] = scalar_json(v, v.type, 0, false);
    }
    arr.push_back(std::move(j));
  }
  return arr;
}

GgufKvPtr gguf_kv_from_json(const json& j, const std::string& where) {
  if (!j.is_array()) throw validation_error("apr_qa.gguf_kv: expected a JSON array of entries").at_path(where).at_key(kGgufKvRecordKey);
  auto rec = std::make_shared<model::GgufKvRecord>();
  auto& out = rec->entries;
  std::set<std::string> seen;
  for (const auto& ej : j) {
    if (!ej.is_object() || !ej.contains("key") || !ej["key"].is_string() || !ej.contains("type") || !ej["type"].is_string())
      throw validation_error("apr_qa.gguf_kv: expected entries {\"key\", \"type\", ...}, found " + ej.dump().substr(0, 80))
          .at_path(where)
          .at_key(kGgufKvRecordKey);
    model::GgufKvEntry e;
    e.kv.key = ej["key"].get<std::string>();
    const std::string& key = e.kv.key;
    if (!seen.insert(key).second) throw validation_error("apr_qa.gguf_kv: duplicate key").at_path(where).at_key(key);
    const ValueType t = type_from_name(ej["type"].get<std::string>(), where, key);
    Value v;
    v.type = t;
    if (t == ValueType::ARRAY) {
      if (!ej.contains("element_type") || !ej["element_type"].is_string())
        throw validation_error("apr_qa.gguf_kv: an ARRAY entry needs element_type").at_path(where).at_key(key);
      v.array_type = type_from_name(ej["element_type"].get<std::string>(), where, key);
      if (v.array_type == ValueType::ARRAY) throw validation_error("apr_qa.gguf_kv: arrays of arrays are not GGUF").at_path(where).at_key(key);
    }
    const bool derived = ej.contains("derived") && ej["derived"] == true;
    if (derived) {
      if (t != ValueType::ARRAY) throw validation_error("apr_qa.gguf_kv: only arrays are recorded without a value").at_path(where).at_key(key);
      e.has_value = false;
    } else {
      if (!ej.contains("value")) throw validation_error("apr_qa.gguf_kv: entry without a value").at_path(where).at_key(key);
      const json& vj = ej["value"];
      if (t == ValueType::ARRAY) {
        if (!vj.is_array()) throw validation_error("apr_qa.gguf_kv: expected a JSON array value").at_path(where).at_key(key);
        for (const auto& x : vj) scalar_from_json(x, v.array_type, v, true, where, key);
      } else {
        scalar_from_json(vj, t, v, false, where, key);
      }
    }
    e.kv.value = std::move(v);
    out.push_back(std::move(e));
  }
  return rec;
}

GgufKvPtr gguf_kv_from_json_text(const std::string& text, const std::string& where) {
  json j;
  try {
    // The record nests at most 4 deep (array, entry, value array, {"hex"}); refuse anything deeper
    // before it is built.
    j = json::parse(text, [&](int depth, json::parse_event_t, json&) {
      if (depth > 6) throw validation_error("apr_qa.gguf_kv: nested deeper than a GGUF record can be").at_path(where).at_key(kGgufKvRecordKey);
      return true;
    });
  } catch (const json::exception& e) {
    throw parse_error(std::string("apr_qa.gguf_kv: invalid JSON: ") + e.what()).at_path(where).at_key(kGgufKvRecordKey);
  }
  return gguf_kv_from_json(j, where);
}

std::optional<Value> gguf_value_as(const Value& v, ValueType t, ValueType et) {
  if (v.type == t && (t != ValueType::ARRAY || v.array_type == et)) return v;
  if ((v.type == ValueType::ARRAY) != (t == ValueType::ARRAY)) return std::nullopt;
  const ValueType from = t == ValueType::ARRAY ? v.array_type : v.type, to = t == ValueType::ARRAY ? et : t;
  const bool arr = t == ValueType::ARRAY;
  Value out = arr ? Value::array_of(to) : Value{};
  out.type = t;
  const std::size_t n = arr ? v.array_size() : 1;
  for (std::size_t k = 0; k < n; ++k) {
    if ((is_unsigned(from) || is_signed(from)) && (is_unsigned(to) || is_signed(to))) {
      const bool neg = is_signed(from) && (arr ? v.arr_i[k] : v.i) < 0;
      const std::uint64_t mag = is_unsigned(from) ? (arr ? v.arr_u[k] : v.u) : static_cast<std::uint64_t>(arr ? v.arr_i[k] : v.i);
      if (is_unsigned(to)) {
        if (neg || mag > umax(to)) return std::nullopt;
        arr ? out.arr_u.push_back(mag) : void(out.u = mag);
      } else {
        std::int64_t i = 0;
        if (neg) {
          i = arr ? v.arr_i[k] : v.i;
        } else {
          if (mag > static_cast<std::uint64_t>(smax(to))) return std::nullopt;
          i = static_cast<std::int64_t>(mag);
        }
        if (i < smin(to) || i > smax(to)) return std::nullopt;
        arr ? out.arr_i.push_back(i) : void(out.i = i);
      }
    } else if (is_float(from) && is_float(to)) {
      const double f = arr ? v.arr_f[k] : v.f;
      if (to == ValueType::FLOAT32 && std::isfinite(f) && static_cast<double>(static_cast<float>(f)) != f) return std::nullopt;
      arr ? out.arr_f.push_back(f) : void(out.f = f);
    } else {
      return std::nullopt;
    }
  }
  return out;
}

std::string gguf_value_repr(const Value& v, bool with_value) {
  std::string t = gguf::to_string(v.type);
  if (v.type == ValueType::ARRAY) t += std::string("[") + gguf::to_string(v.array_type) + "]";
  if (!with_value) return t;
  if (v.type == ValueType::ARRAY) {
    std::string s = t + " " + std::to_string(v.array_size()) + " entries [";
    for (std::size_t k = 0; k < v.array_size() && k < 4; ++k)
      s += (k ? ", " : "") + scalar_json(v, v.array_type, k, true).dump();
    return s + (v.array_size() > 4 ? ", ...]" : "]");
  }
  std::string s = scalar_json(v, v.type, 0, false).dump();
  if (s.size() > 80) s = s.substr(0, 77) + "...";
  return t + " " + s;
}

std::vector<gguf::KV> merge_gguf_kvs(std::vector<gguf::KV> derived, const std::vector<model::GgufKvEntry>& rec,
                                     const model::ModelConfig& c, bool lossless) {
  if (rec.empty()) return derived;
  const std::string a = std::string(model::arch_traits(c.arch).gguf_arch) + ".";
  std::map<std::string, std::size_t> at;
  for (std::size_t k = 0; k < derived.size(); ++k) at.emplace(derived[k].key, k);
  std::vector<bool> used(derived.size(), false);
  std::vector<gguf::KV> out;
  out.reserve(rec.size() + derived.size());
  for (const auto& e : rec) {
    const auto it = at.find(e.kv.key);
    // general.type is a constant ("model") where apr-qa derives it: a recorded one is kept.
    const bool derived_key = is_derived_gguf_key(e.kv.key, c) && e.kv.key != "general.type";
    if (it == at.end() || (!derived_key && e.has_value)) {
      // Carried keys are written as recorded; a derived key the canonical model no longer derives
      // comes back from the record (a bulk array without a recorded value cannot).
      if (it != at.end()) used[it->second] = true;
      if (e.has_value) out.push_back(e.kv);
      continue;
    }
    used[it->second] = true;
    const gguf::KV& d = derived[it->second];
    // The config's float keys are doubles in the canonical model: a FLOAT64 record gets them exactly.
    const double* exact = e.kv.key == a + "rope.freq_base"                     ? &c.rope_theta
                          : e.kv.key == a + "attention.layer_norm_rms_epsilon" ? &c.rms_eps
                                                                                : nullptr;
    if (exact && e.kv.value.type == ValueType::FLOAT64) {
      out.push_back({d.key, Value::f64(*exact)});
      continue;
    }
    auto v = gguf_value_as(d.value, e.kv.value.type, e.kv.value.array_type);
    out.push_back({d.key, v ? std::move(*v) : d.value});
  }
  for (std::size_t k = 0; k < derived.size(); ++k)
    if (!used[k] && !omissible(derived[k], c, lossless)) out.push_back(std::move(derived[k]));
  return out;
}

}  // namespace apr::convert
