// Format-independent model summaries (used by `apr-qa inspect`).
#include "formats/summary.hpp"

#include <cmath>
#include <cstdio>
#include <map>
#include <sstream>

#include "core/hash.hpp"
#include "formats/apr.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"

namespace apr {
namespace {

using nlohmann::json;

json float_json(double v) {
  if (std::isfinite(v)) return v;
  return std::isnan(v) ? "nan" : (v > 0 ? "inf" : "-inf");  // JSON has no NaN/Inf
}

template <typename V, typename F>
json array_json(const std::vector<V>& v, std::size_t limit, F conv) {
  json a = json::array();
  for (std::size_t k = 0; k < v.size() && k < limit; ++k) a.push_back(conv(v[k]));
  return a;
}

json gguf_value_json(const gguf::Value& v, const SummaryOptions& o, json& entry) {
  using gguf::ValueType;
  switch (v.type) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64: return v.u;
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64: return v.i;
    case ValueType::FLOAT32: case ValueType::FLOAT64: return float_json(v.f);
    case ValueType::BOOL: return v.b;
    case ValueType::STRING: return v.s;
    case ValueType::ARRAY: break;
  }
  std::size_t n = v.array_size();
  std::size_t limit = o.full ? n : std::min(n, o.max_array);
  entry["element_type"] = gguf::to_string(v.array_type);
  entry["count"] = n;
  if (limit < n) entry["truncated"] = true;
  auto id = [](const auto& x) { return json(x); };
  switch (v.array_type) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64:
      return array_json(v.arr_u, limit, id);
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64:
      return array_json(v.arr_i, limit, id);
    case ValueType::FLOAT32: case ValueType::FLOAT64: return array_json(v.arr_f, limit, float_json);
    case ValueType::BOOL: return array_json(v.arr_b, limit, [](std::uint8_t b) { return json(b != 0); });
    case ValueType::STRING: return array_json(v.arr_s, limit, id);
    case ValueType::ARRAY: break;
  }
  return json::array();
}

// Abbreviates long arrays anywhere inside a JSON value (APR metadata); sets *truncated.
// Containers below kMaxShownDepth levels print as a marker string: the walk stays bounded even
// though the reader already limits nesting (core/json_parse.hpp).
constexpr int kMaxShownDepth = 16;
json abbreviate(const json& j, const SummaryOptions& o, bool* truncated, int depth = 0) {
  if (j.is_structured() && depth >= kMaxShownDepth) {
    *truncated = true;
    return j.is_array() ? "[... nested deeper than 16 levels]" : "{... nested deeper than 16 levels}";
  }
  if (j.is_array()) {
    json a = json::array();
    for (std::size_t k = 0; k < j.size(); ++k) {
      if (!o.full && k >= o.max_array) {
        *truncated = true;
        break;
      }
      a.push_back(abbreviate(j[k], o, truncated, depth + 1));
    }
    return a;
  }
  if (j.is_object()) {
    json m = json::object();
    for (auto it = j.begin(); it != j.end(); ++it) m[it.key()] = abbreviate(it.value(), o, truncated, depth + 1);
    return m;
  }
  return j;
}

struct Totals {
  std::uint64_t tensors = 0, params = 0, bytes = 0;
  std::map<std::string, std::array<std::uint64_t, 3>> by;
  void add(GgmlType t, std::uint64_t numel, std::uint64_t nbytes) {
    ++tensors;
    params += numel;
    bytes += nbytes;
    auto& e = by[std::string(dtype_name(t))];
    e[0] += 1;
    e[1] += numel;
    e[2] += nbytes;
  }
  json to_json() const {
    json b = json::object();
    for (auto& [k, e] : by) b[k] = {{"tensors", e[0]}, {"parameters", e[1]}, {"bytes", e[2]}};
    return {{"tensors", tensors}, {"parameters", params}, {"bytes", bytes}, {"by_dtype", b}};
  }
};

json tensor_json(const std::string& name, GgmlType t, const std::vector<std::int64_t>& shape,
                 std::span<const std::byte> data, std::uint64_t offset, const SummaryOptions& o, Totals& tot) {
  json j = {{"name", name}, {"dtype", dtype_name(t)}, {"shape", shape}, {"bytes", data.size()}, {"offset", offset}};
  if (o.hashes) j["sha256"] = sha256_hex(data);
  tot.add(t, element_count(shape), data.size());
  return j;
}

json summarize_gguf(const ArtifactSet& a, const SummaryOptions& o) {
  auto r = gguf::Reader::open(a.model_file);
  if (!r) throw r.error();
  json s;
  s["version"] = r->version();
  s["gguf"] = {{"alignment", r->alignment()}, {"data_offset", r->data_offset()}};
  json meta = json::array();
  for (const auto& kv : r->kvs()) {
    json e = {{"key", kv.key}, {"type", gguf::to_string(kv.value.type)}};
    e["value"] = gguf_value_json(kv.value, o, e);
    meta.push_back(std::move(e));
  }
  s["metadata"] = std::move(meta);
  Totals tot;
  json ts = json::array();
  for (const auto& t : r->tensors())
    ts.push_back(tensor_json(t.name, t.type, t.shape, t.data, r->data_offset() + t.offset, o, tot));
  s["tensors"] = std::move(ts);
  s["totals"] = tot.to_json();
  s["files"] = {a.model_file.string()};
  return s;
}

json summarize_safetensors(const ArtifactSet& a, const SummaryOptions& o) {
  bool sharded = a.shards.size() != 1 || a.shards[0] != a.model_file;
  auto r = sharded ? safetensors::Reader::open_index(a.model_file) : safetensors::Reader::open(a.model_file);
  if (!r) throw r.error();
  json s;
  s["version"] = nullptr;
  s["safetensors"] = {{"shards", r->files().size()}};
  json meta = json::array();
  for (const auto& [k, v] : r->metadata()) meta.push_back({{"key", k}, {"type", "STRING"}, {"value", v}});
  s["metadata"] = std::move(meta);
  Totals tot;
  json ts = json::array();
  for (const auto& t : r->tensors()) {
    json j = tensor_json(t.name, t.type, t.shape, t.data, t.file_offset, o, tot);
    if (sharded) j["file"] = t.file.filename().string();
    ts.push_back(std::move(j));
  }
  s["tensors"] = std::move(ts);
  s["totals"] = tot.to_json();
  json files = json::array();
  for (const auto& f : r->files()) files.push_back(f.string());
  s["files"] = files;
  return s;
}

json summarize_apr(const ArtifactSet& a, const SummaryOptions& o) {
  auto r = aprfmt::Reader::open(a.model_file, o.verify_crc);
  if (!r) throw r.error();
  json s;
  s["version"] = "2.0";
  static const std::pair<std::uint16_t, const char*> kNames[] = {
      {aprfmt::kFlagLz4, "LZ4"}, {aprfmt::kFlagZstd, "ZSTD"}, {aprfmt::kFlagEncrypted, "ENCRYPTED"},
      {aprfmt::kFlagSigned, "SIGNED"}, {aprfmt::kFlagSharded, "SHARDED"}, {aprfmt::kFlagQuantized, "QUANTIZED"},
      {0x0040, "FILTERBANK"}, {0x0080, "MODEL_CARD"}, {0x0100, "STREAMING"}, {aprfmt::kFlagHasVocab, "HAS_VOCAB"},
      {aprfmt::kFlagRowMajor, "LAYOUT_ROW_MAJOR"}, {aprfmt::kFlagColumnMajor, "LAYOUT_COLUMN_MAJOR"}};
  json names = json::array();
  for (auto& [bit, n] : kNames)
    if (r->flags() & bit) names.push_back(n);
  s["apr"] = {{"flags", r->flags()}, {"flag_names", names}, {"footer_crc_verified", o.verify_crc}};
  json meta = json::array();
  for (auto it = r->metadata().begin(); it != r->metadata().end(); ++it) {
    bool trunc = false;
    json e = {{"key", it.key()}, {"type", it.value().type_name()}};
    e["value"] = abbreviate(it.value(), o, &trunc);
    if (it.value().is_array()) e["count"] = it.value().size();
    if (trunc) e["truncated"] = true;
    meta.push_back(std::move(e));
  }
  s["metadata"] = std::move(meta);
  std::uint64_t data_start = r->tensors().empty() ? 0 : static_cast<std::uint64_t>(
      r->tensors()[0].data.data() - r->file()->data()) - r->tensors()[0].offset;
  Totals tot;
  json ts = json::array();
  for (const auto& t : r->tensors()) ts.push_back(tensor_json(t.name, t.type, t.shape, t.data, data_start + t.offset, o, tot));
  s["tensors"] = std::move(ts);
  s["totals"] = tot.to_json();
  s["files"] = {a.model_file.string()};
  return s;
}

std::string human_bytes(std::uint64_t b) {
  char buf[32];
  if (b >= (1ull << 30)) std::snprintf(buf, sizeof buf, "%.2f GiB", b / double(1ull << 30));
  else if (b >= (1ull << 20)) std::snprintf(buf, sizeof buf, "%.2f MiB", b / double(1ull << 20));
  else if (b >= 1024) std::snprintf(buf, sizeof buf, "%.2f KiB", b / 1024.0);
  else std::snprintf(buf, sizeof buf, "%llu B", static_cast<unsigned long long>(b));
  return buf;
}

}  // namespace

Result<nlohmann::json> summarize_artifact(const ArtifactSet& a, const SummaryOptions& o) {
  return capture([&]() -> json {
    json s;
    switch (a.format) {
      case ModelFormat::gguf: s = summarize_gguf(a, o); break;
      case ModelFormat::safetensors: s = summarize_safetensors(a, o); break;
      case ModelFormat::apr: s = summarize_apr(a, o); break;
    }
    s["origin"] = a.origin;
    s["format"] = to_string(a.format);
    s["file"] = a.model_file.string();
    json side = json::object();
    auto add = [&](const char* k, const std::optional<std::filesystem::path>& p) {
      if (p) side[k] = p->string();
    };
    add("config_json", a.config_json);
    add("tokenizer_json", a.tokenizer_json);
    add("tokenizer_config_json", a.tokenizer_config_json);
    add("generation_config_json", a.generation_config_json);
    if (!side.empty()) s["sidecars"] = side;
    return s;
  });
}

std::string render_summary_text(const json& s) {
  std::ostringstream out;
  auto dump = [](const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); };
  out << "file:    " << s["file"].get<std::string>() << "\n";
  out << "format:  " << s["format"].get<std::string>();
  if (!s["version"].is_null()) out << " v" << (s["version"].is_string() ? s["version"].get<std::string>() : dump(s["version"]));
  if (s.contains("gguf"))
    out << " (alignment " << s["gguf"]["alignment"] << ", data offset " << s["gguf"]["data_offset"] << ")";
  if (s.contains("apr")) out << " (flags " << dump(s["apr"]["flag_names"]) << ")";
  if (s.contains("safetensors")) out << " (" << s["safetensors"]["shards"] << " file(s))";
  out << "\n";
  if (s["files"].size() > 1)
    for (const auto& f : s["files"]) out << "  shard: " << f.get<std::string>() << "\n";
  if (s.contains("sidecars"))
    for (auto it = s["sidecars"].begin(); it != s["sidecars"].end(); ++it)
      out << "  " << it.key() << ": " << it.value().get<std::string>() << "\n";
  out << "\nmetadata (" << s["metadata"].size() << " keys):\n";
  for (const auto& e : s["metadata"]) {
    std::string type = e["type"].get<std::string>();
    if (e.contains("element_type")) type += "[" + e["element_type"].get<std::string>() + "]";
    if (e.contains("count")) type += " x" + std::to_string(e["count"].get<std::uint64_t>());
    std::string v = dump(e["value"]);
    if (e.contains("truncated")) {
      if (!v.empty() && v.back() == ']') v = v.substr(0, v.size() - 1) + ", ...]";
      else v += " ...";
    }
    if (v.size() > 160) v = v.substr(0, 157) + "...";
    char line[128];
    std::snprintf(line, sizeof line, "  %-44s %-18s ", e["key"].get<std::string>().c_str(), type.c_str());
    out << line << v << "\n";
  }
  out << "\ntensors (" << s["tensors"].size() << "):\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %-48s %-6s %-22s %14s %14s\n", "name", "dtype", "shape", "bytes", "offset");
  out << line;
  for (const auto& t : s["tensors"]) {
    std::snprintf(line, sizeof line, "  %-48s %-6s %-22s %14llu %14llu", t["name"].get<std::string>().c_str(),
                  t["dtype"].get<std::string>().c_str(), dump(t["shape"]).c_str(),
                  static_cast<unsigned long long>(t["bytes"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(t["offset"].get<std::uint64_t>()));
    out << line;
    if (t.contains("file")) out << "  " << t["file"].get<std::string>();
    if (t.contains("sha256")) out << "  sha256:" << t["sha256"].get<std::string>();
    out << "\n";
  }
  const auto& tot = s["totals"];
  out << "\ntotals: " << tot["tensors"] << " tensors, " << tot["parameters"] << " parameters, "
      << tot["bytes"] << " bytes (" << human_bytes(tot["bytes"].get<std::uint64_t>()) << ")\n";
  for (auto it = tot["by_dtype"].begin(); it != tot["by_dtype"].end(); ++it) {
    std::snprintf(line, sizeof line, "  %-6s %6llu tensors %14llu parameters %14llu bytes\n", it.key().c_str(),
                  static_cast<unsigned long long>(it.value()["tensors"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(it.value()["parameters"].get<std::uint64_t>()),
                  static_cast<unsigned long long>(it.value()["bytes"].get<std::uint64_t>()));
    out << line;
  }
  return out.str();
}

}  // namespace apr
