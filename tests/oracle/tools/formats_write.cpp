// Oracle helper: writes model files with apr-qa's writers from a JSON spec authored by the
// Python oracle tests, so independent readers (gguf-py, safetensors) can check what we wrote.
//
//   oracle_formats_write gguf SPEC.json OUT.gguf
//   oracle_formats_write safetensors SPEC.json OUT.safetensors
//   oracle_formats_write safetensors-sharded SPEC.json OUT_DIR MAX_SHARD_BYTES
//   oracle_formats_write apr SPEC.json OUT.apr
//   oracle_formats_write copy-gguf IN.gguf OUT.gguf          (read with our reader, write back)
//   oracle_formats_write copy-safetensors IN OUT.safetensors  (IN: file or index.json)
//
// SPEC: {"kvs": [{"key", "type": "UINT8".."FLOAT64"|"BOOL"|"STRING"|"ARRAY",
//                 "element_type"?: ..., "value": ...}],
//        "metadata"?: {...} (SafeTensors: string map; APR: any JSON object),
//        "tensors": [{"name", "dtype": "Q4_K", "shape": [row-major], "data": "raw bytes file"}]}
// Exit 0 on success; 2 with a one-line error otherwise.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "formats/apr.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"

using namespace apr;
using nlohmann::json;

namespace {

std::string slurp(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw io_error("cannot read").at_path(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

gguf::ValueType vtype(const std::string& s) {
  using gguf::ValueType;
  static const std::map<std::string, ValueType> m = {
      {"UINT8", ValueType::UINT8}, {"INT8", ValueType::INT8}, {"UINT16", ValueType::UINT16},
      {"INT16", ValueType::INT16}, {"UINT32", ValueType::UINT32}, {"INT32", ValueType::INT32},
      {"FLOAT32", ValueType::FLOAT32}, {"BOOL", ValueType::BOOL}, {"STRING", ValueType::STRING},
      {"ARRAY", ValueType::ARRAY}, {"UINT64", ValueType::UINT64}, {"INT64", ValueType::INT64},
      {"FLOAT64", ValueType::FLOAT64}};
  auto it = m.find(s);
  if (it == m.end()) throw validation_error("unknown GGUF type name " + s);
  return it->second;
}

void set_scalar(gguf::Value& v, gguf::ValueType t, const json& j, bool push) {
  using gguf::ValueType;
  switch (t) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64:
      push ? v.arr_u.push_back(j.get<std::uint64_t>()) : void(v.u = j.get<std::uint64_t>());
      break;
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64:
      push ? v.arr_i.push_back(j.get<std::int64_t>()) : void(v.i = j.get<std::int64_t>());
      break;
    case ValueType::FLOAT32: case ValueType::FLOAT64:
      push ? v.arr_f.push_back(j.get<double>()) : void(v.f = j.get<double>());
      break;
    case ValueType::BOOL: push ? v.arr_b.push_back(j.get<bool>() ? 1 : 0) : void(v.b = j.get<bool>()); break;
    case ValueType::STRING: push ? v.arr_s.push_back(j.get<std::string>()) : void(v.s = j.get<std::string>()); break;
    case ValueType::ARRAY: throw validation_error("nested arrays are not supported");
  }
}

gguf::Value to_value(const json& e) {
  gguf::Value v;
  v.type = vtype(e.at("type").get<std::string>());
  if (v.type != gguf::ValueType::ARRAY) {
    set_scalar(v, v.type, e.at("value"), false);
    return v;
  }
  v.array_type = vtype(e.at("element_type").get<std::string>());
  for (const auto& x : e.at("value")) set_scalar(v, v.array_type, x, true);
  return v;
}

struct Loaded {
  std::vector<std::string> blobs;  // keeps the data alive
};

template <typename W>
void add_tensors(W& w, const json& spec, Loaded& keep) {
  keep.blobs.reserve(spec.at("tensors").size());
  for (const auto& t : spec.at("tensors")) {
    auto dt = dtype_from_name(t.at("dtype").get<std::string>());
    if (!dt) throw validation_error("unknown dtype " + t.at("dtype").get<std::string>());
    keep.blobs.push_back(slurp(t.at("data").get<std::string>()));
    const std::string& b = keep.blobs.back();
    w.add_tensor(t.at("name").get<std::string>(), *dt, t.at("shape").get<std::vector<std::int64_t>>(),
                 std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size()));
  }
}

int run(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s gguf|safetensors|safetensors-sharded|apr|copy-gguf|copy-safetensors IN OUT [MAX]\n", argv[0]);
    return 2;
  }
  std::string mode = argv[1], in = argv[2], out = argv[3];
  if (mode == "copy-gguf") {
    auto r = gguf::Reader::open(in);
    if (!r) throw r.error();
    gguf::Writer w;
    for (const auto& kv : r->kvs()) w.add_kv(kv.key, kv.value);
    for (const auto& t : r->tensors()) w.add_tensor(t.name, t.type, t.shape, t.data);
    w.write(out);
    return 0;
  }
  if (mode == "copy-safetensors") {
    bool index = in.size() > 5 && in.substr(in.size() - 5) == ".json";
    auto r = index ? safetensors::Reader::open_index(in) : safetensors::Reader::open(in);
    if (!r) throw r.error();
    safetensors::Writer w;
    w.set_metadata(r->metadata());
    for (const auto& t : r->tensors()) w.add_tensor(t.name, t.type, t.shape, t.data);
    w.write(out);
    return 0;
  }
  json spec = json::parse(slurp(in));
  Loaded keep;
  if (mode == "gguf") {
    gguf::Writer w;
    for (const auto& e : spec.value("kvs", json::array())) w.add_kv(e.at("key").get<std::string>(), to_value(e));
    add_tensors(w, spec, keep);
    w.write(out);
  } else if (mode == "safetensors" || mode == "safetensors-sharded") {
    safetensors::Writer w;
    w.set_metadata(spec.value("metadata", json::object()).get<std::map<std::string, std::string>>());
    add_tensors(w, spec, keep);
    if (mode == "safetensors") w.write(out);
    else w.write_sharded(out, std::stoull(argc > 4 ? argv[4] : "1000000"));
  } else if (mode == "apr") {
    aprfmt::Writer w;
    w.set_metadata(spec.value("metadata", json::object()));
    add_tensors(w, spec, keep);
    w.write(out);
  } else {
    std::fprintf(stderr, "unknown mode %s\n", mode.c_str());
    return 2;
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oracle_formats_write: error: %s\n", e.what());
    return 2;
  }
}
