// apr-qa convert: metadata comparison of two canonical models (see diff.hpp).
#include <map>
#include <set>

#include "convert/diff.hpp"
#include "convert/gguf_kv_record.hpp"

namespace apr::convert {
namespace {

using Entries = std::map<std::string, const model::GgufKvEntry*>;

Entries by_key(const model::CanonicalModel& m) {
  Entries e;
  for (const auto& x : model::gguf_kv_entries(m)) e.emplace(x.kv.key, &x);
  return e;
}

void diff_extra(const model::CanonicalModel& a, const model::CanonicalModel& b, std::vector<std::string>& out) {
  std::set<std::string> keys;
  for (const auto& [k, v] : a.extra) keys.insert(k);
  for (const auto& [k, v] : b.extra) keys.insert(k);
  for (const auto& k : keys) {
    auto x = a.extra.find(k), y = b.extra.find(k);
    // A key apr-qa derives (general.type, general.file_type) exists where a GGUF was written;
    // a format without it is not missing it.
    if ((x == a.extra.end() || y == b.extra.end()) && is_derived_gguf_key(k, a.config)) continue;
    if (x == a.extra.end()) out.push_back(k + ": missing in A");
    else if (y == b.extra.end()) out.push_back(k + ": missing in B");
    else if (x->second != y->second) out.push_back(k + ": '" + x->second + "' vs '" + y->second + "'");
  }
}

void diff_both_records(const Entries& ea, const Entries& eb, const model::ModelConfig& c, std::vector<std::string>& out) {
  std::set<std::string> keys;
  for (const auto& [k, v] : ea) keys.insert(k);
  for (const auto& [k, v] : eb) keys.insert(k);
  for (const auto& k : keys) {
    auto x = ea.find(k), y = eb.find(k);
    // Whether apr-qa writes a derived key follows from config and tokenizer (compared there): a
    // record without one is not missing it; where both have it, type and value must agree.
    if ((x == ea.end() || y == eb.end()) && is_derived_gguf_key(k, c)) continue;
    if (x == ea.end()) {
      out.push_back("gguf " + k + ": missing in A (B: " + gguf_value_repr(y->second->kv.value, y->second->has_value) + ")");
      continue;
    }
    if (y == eb.end()) {
      out.push_back("gguf " + k + ": missing in B (A: " + gguf_value_repr(x->second->kv.value, x->second->has_value) + ")");
      continue;
    }
    const auto &va = x->second->kv.value, &vb = y->second->kv.value;
    const bool values = x->second->has_value && y->second->has_value;
    const bool same_type = va.type == vb.type && (va.type != gguf::ValueType::ARRAY || va.array_type == vb.array_type);
    if (!same_type || (values && !(va == vb)))
      out.push_back("gguf " + k + ": " + gguf_value_repr(va, values) + " vs " + gguf_value_repr(vb, values));
  }
}

// Only `side` has a GGUF record: its carried keys must reach the other model somehow.
void diff_one_record(const model::CanonicalModel& side, const model::CanonicalModel& other, const char* missing_in,
                     std::vector<std::string>& out) {
  for (const auto& e : model::gguf_kv_entries(side)) {
    if (!e.has_value || is_derived_gguf_key(e.kv.key, side.config)) continue;
    auto it = other.extra.find(e.kv.key);
    if (it != other.extra.end() && e.kv.value.type == gguf::ValueType::STRING && it->second == e.kv.value.s) continue;
    out.push_back("gguf " + e.kv.key + ": missing in " + missing_in + " (" + gguf_value_repr(e.kv.value) + ")");
  }
}

}  // namespace

std::vector<std::string> metadata_differences(const model::CanonicalModel& a, const model::CanonicalModel& b) {
  std::vector<std::string> out;
  diff_extra(a, b, out);
  const bool ra = !model::gguf_kv_entries(a).empty(), rb = !model::gguf_kv_entries(b).empty();
  if (ra && rb)
    diff_both_records(by_key(a), by_key(b), a.config, out);
  else if (ra)
    diff_one_record(a, b, "B", out);
  else if (rb)
    diff_one_record(b, a, "A", out);
  return out;
}

}  // namespace apr::convert
