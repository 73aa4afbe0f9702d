// SafeTensors reader: single files and sharded checkpoints, validated as the reference
// implementation does (bounded header, JSON object, no duplicate keys, contiguous offsets from 0,
// exact sizes, buffer fully covered), plus shard-path confinement for index.json.
#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/json_parse.hpp"
#include "core/switches.hpp"
#include "core/utf8.hpp"
#include "formats/byte_cursor.hpp"
#include "formats/safetensors.hpp"

namespace apr::safetensors {
namespace {

constexpr std::uint64_t kMaxHeader = 100'000'000;  // reference: 100 MB

struct StDtype {
  std::string_view name;
  unsigned bits;
  std::optional<GgmlType> ggml;
};
constexpr StDtype kStDtypes[] = {
    {"BOOL", 8, {}}, {"U8", 8, {}}, {"I8", 8, {}}, {"I16", 16, {}}, {"U16", 16, {}},
    {"F16", 16, GgmlType::F16}, {"BF16", 16, GgmlType::BF16}, {"I32", 32, {}}, {"U32", 32, {}},
    {"F32", 32, GgmlType::F32}, {"F64", 64, {}}, {"I64", 64, {}}, {"U64", 64, {}}, {"C64", 64, {}},
    {"F8_E5M2", 8, {}}, {"F8_E4M3", 8, {}}, {"F8_E8M0", 8, {}}, {"F8_E4M3FNUZ", 8, {}},
    {"F8_E5M2FNUZ", 8, {}}, {"F4", 4, {}}, {"F6_E2M3", 6, {}}, {"F6_E3M2", 6, {}},
};

const StDtype* find_st_dtype(std::string_view s) {
  for (const auto& d : kStDtypes)
    if (d.name == s) return &d;
  return nullptr;
}

// Linear-time parse (SAX, no callback: nlohmann's callback parser rescans the parent object at
// every end_object, quadratic in entries), bounded nesting, duplicate keys rejected as the
// reference implementation does.
nlohmann::json parse_header_json(std::string_view text, const std::string& origin) {
  return parse_json_bounded(text, origin, JsonLimits{kMaxJsonDepth, /*reject_duplicate_keys=*/true});
}

std::uint64_t json_u64(const nlohmann::json& j, const char* what) {
  if (!j.is_number_unsigned() && !(j.is_number_integer() && j.get<std::int64_t>() >= 0))
    throw validation_error(std::string(what) + ": expected a non-negative integer, found " + json_excerpt(j));
  return j.get<std::uint64_t>();
}

// Parses one file's header into infos (in header order). Throws on any violation.
void parse_file(const MappedFile& mf, std::vector<TensorInfo>& out, std::map<std::string, std::string>& meta) {
  const std::string path = mf.path().string();
  formats::Cursor c(mf, 0);
  formats::HeaderReadahead ra(mf);
  c.set_readahead(&ra);
  if (mf.size() < 8) {
    throw validation_error("header length: expected an 8-byte little-endian length, found a file of " +
                           std::to_string(mf.size()) + " bytes").at_path(path).at_offset(0);
  }
  auto n = c.read<std::uint64_t>("header length");
  if (n > kMaxHeader)
    throw validation_error("header length: expected at most 100000000, found " + std::to_string(n)).at_path(path).at_offset(0);
  if (n > mf.size() - 8)
    throw validation_error("header length " + std::to_string(n) + " runs past the end of the file (" +
                           std::to_string(mf.size() - 8) + " bytes after the length)").at_path(path).at_offset(0);
  std::string_view text = c.bytes(n, "header");
  if (n == 0 || text[0] != '{')
    throw Error(ErrorCategory::parse, "header: expected a JSON object starting with '{', found " +
                                          (n ? "0x" + formats::hex_bytes(mf.data() + 8, 1) : std::string("an empty header")))
        .at_path(path).at_offset(8);
  if (!utf8::is_valid(text))
    throw Error(ErrorCategory::parse, "header: expected UTF-8 JSON, found invalid UTF-8").at_path(path).at_offset(8);
  nlohmann::json j;
  try {
    j = parse_header_json(text, path);
  } catch (Error& e) {
    throw std::move(e.with_context("header").at_offset(8 + e.offset().value_or(0)));
  }
  if (!j.is_object())
    throw Error(ErrorCategory::parse, "header: expected a JSON object, found malformed JSON").at_path(path).at_offset(8);

  const std::uint64_t buffer_start = 8 + n, buffer_len = mf.size() - buffer_start;
  std::vector<TensorInfo> infos;
  infos.reserve(j.size());
  for (auto it = j.begin(); it != j.end(); ++it) {
    const std::string& name = it.key();
    const auto& v = it.value();
    if (name == "__metadata__") {
      if (v.is_null()) continue;
      if (!v.is_object())
        throw validation_error("__metadata__: expected an object of strings, found " + std::string(v.type_name())).at_path(path);
      for (auto m = v.begin(); m != v.end(); ++m) {
        if (!m.value().is_string())
          throw validation_error("__metadata__ value: expected a string, found " + json_excerpt(m.value())).at_path(path).at_key(m.key());
        meta[m.key()] = m.value().get<std::string>();
      }
      continue;
    }
    auto located = [&](Error e) { return std::move(e.at_path(path).at_tensor(name)); };
    if (!v.is_object()) throw located(validation_error("entry: expected an object, found " + std::string(v.type_name())));
    for (const char* field : {"dtype", "shape", "data_offsets"})
      if (!v.contains(field)) throw located(validation_error(std::string("missing field '") + field + "'"));
    if (!v["dtype"].is_string()) throw located(validation_error("dtype: expected a string, found " + json_excerpt(v["dtype"])));
    if (!v["shape"].is_array()) throw located(validation_error("shape: expected an array, found " + json_excerpt(v["shape"])));
    const auto& offs = v["data_offsets"];
    if (!offs.is_array() || offs.size() != 2)
      throw located(validation_error("data_offsets: expected [begin, end], found " + json_excerpt(offs)));
    TensorInfo ti;
    ti.name = name;
    ti.dtype = v["dtype"].get<std::string>();
    ti.file = mf.path();
    const StDtype* sd = find_st_dtype(ti.dtype);
    if (!sd) throw located(validation_error("dtype: expected a SafeTensors dtype (F32, F16, BF16, ...), found \"" + ti.dtype + "\""));
    if (!sd->ggml)
      throw located(unsupported_error("dtype " + ti.dtype + " is not supported for model tensors; supported: F32, F16, BF16"));
    ti.type = *sd->ggml;
    // Test-only planted fault (APR_QA_FAULT, convert/fault_hooks.hpp); inert when it is unset.
    if (ti.type == GgmlType::F16 && fault_planted("st_f16_read_as_bf16")) ti.type = GgmlType::BF16;
    try {
      for (const auto& d : v["shape"]) {
        std::uint64_t x = json_u64(d, "shape");
        if (x > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          throw validation_error("shape: dimension " + std::to_string(x) + " exceeds INT64_MAX");
        ti.shape.push_back(static_cast<std::int64_t>(x));
      }
      ti.begin = json_u64(offs[0], "data_offsets[0]");
      ti.end = json_u64(offs[1], "data_offsets[1]");
      std::uint64_t numel = element_count(ti.shape);
      std::uint64_t bytes = tensor_bytes(ti.type, ti.shape);
      (void)numel;
      if (ti.end < ti.begin)
        throw validation_error("data_offsets: expected begin <= end, found [" + std::to_string(ti.begin) + ", " +
                               std::to_string(ti.end) + "]");
      if (ti.end - ti.begin != bytes)
        throw validation_error("data_offsets: expected end - begin = " + std::to_string(bytes) + " (" + ti.dtype +
                               " of this shape), found " + std::to_string(ti.end - ti.begin));
    } catch (Error& e) {
      throw located(std::move(e));
    }
    infos.push_back(std::move(ti));
  }
  std::sort(infos.begin(), infos.end(), [](const TensorInfo& a, const TensorInfo& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  for (auto& ti : infos) {
    if (ti.begin != expected)
      throw validation_error("data_offsets: expected begin " + std::to_string(expected) +
                             " (contiguous, no holes or overlaps), found " + std::to_string(ti.begin))
          .at_path(path).at_tensor(ti.name);
    expected = ti.end;
  }
  if (expected != buffer_len)
    throw validation_error("data buffer: expected " + std::to_string(expected) + " bytes after the header, found " +
                           std::to_string(buffer_len))
        .at_path(path).at_offset(buffer_start);
  for (auto& ti : infos) {
    ti.file_offset = buffer_start + ti.begin;
    ti.data = mf.bytes().subspan(ti.file_offset, ti.end - ti.begin);
    out.push_back(std::move(ti));
  }
}

// A shard path from an index is confined to the snapshot directory: relative, no "..".
void check_confined(const std::string& shard, const std::string& index_path, const std::string& tensor) {
  std::filesystem::path p(shard);
  bool bad = shard.empty() || p.is_absolute() || p.has_root_name() || p.has_root_directory() ||
             shard.find('\\') != std::string::npos || shard.find('\0') != std::string::npos;
  for (const auto& part : p)
    if (part == "..") bad = true;
  if (bad)
    throw validation_error("weight_map: expected a shard file inside the snapshot directory, found \"" + shard + "\"")
        .at_path(index_path).at_tensor(tensor);
}

}  // namespace

std::optional<GgmlType> dtype_from_string(std::string_view s) noexcept {
  const StDtype* d = find_st_dtype(s);
  return d ? d->ggml : std::nullopt;
}

std::string dtype_to_string(GgmlType t) {
  switch (t) {
    case GgmlType::F32: return "F32";
    case GgmlType::F16: return "F16";
    case GgmlType::BF16: return "BF16";
    default:
      throw unsupported_error("SafeTensors cannot store " + std::string(dtype_name(t)) +
                              " tensors; supported: F32, F16, BF16");
  }
}

Result<Reader> Reader::open(const std::filesystem::path& path) {
  auto f = MappedFile::open(path);
  if (!f) return f.error();
  return parse(std::move(f.value()));
}

Result<Reader> Reader::parse(std::shared_ptr<const MappedFile> file) {
  return capture([&]() -> Reader {
    Reader r;
    parse_file(*file, r.tensors_, r.metadata_);
    std::sort(r.tensors_.begin(), r.tensors_.end(), [](auto& a, auto& b) { return a.name < b.name; });
    r.maps_.push_back(file);
    r.files_.push_back(file->path());
    return r;
  });
}

Result<Reader> Reader::open_index(const std::filesystem::path& index_json) {
  return capture([&]() -> Reader {
    const std::string ipath = index_json.string();
    auto f = MappedFile::open(index_json);
    if (!f) throw f.error();
    auto text = std::string_view(reinterpret_cast<const char*>(f.value()->data()), f.value()->size());
    const nlohmann::json j = parse_header_json(text, ipath);
    if (!j.is_object())
      throw Error(ErrorCategory::parse, "expected a JSON object, found malformed JSON").at_path(ipath);
    if (!j.contains("weight_map") || !j["weight_map"].is_object())
      throw validation_error("weight_map: expected an object {tensor: shard file}, found " +
                             (j.contains("weight_map") ? std::string(j["weight_map"].type_name()) : std::string("nothing")))
          .at_path(ipath);
    if (j.contains("metadata") && !j["metadata"].is_object() && !j["metadata"].is_null())
      throw validation_error("metadata: expected an object").at_path(ipath);
    const auto dir = index_json.parent_path();
    std::map<std::string, std::string> weight_map;  // tensor -> shard
    std::set<std::string> shards;
    for (auto it = j["weight_map"].begin(); it != j["weight_map"].end(); ++it) {
      if (!it.value().is_string())
        throw validation_error("weight_map value: expected a shard file name, found " + json_excerpt(it.value()))
            .at_path(ipath).at_tensor(it.key());
      std::string shard = it.value().get<std::string>();
      check_confined(shard, ipath, it.key());
      weight_map[it.key()] = shard;
      shards.insert(shard);
    }
    if (shards.empty()) throw validation_error("weight_map: expected at least one tensor, found none").at_path(ipath);
    Reader r;
    bool first = true;
    std::map<std::string, std::string> seen;  // tensor -> shard it was found in
    for (const auto& shard : shards) {
      auto mf = MappedFile::open(dir / shard);
      if (!mf) throw Error(mf.error()).with_context("shard listed in " + ipath);
      std::vector<TensorInfo> infos;
      std::map<std::string, std::string> meta;
      parse_file(*mf.value(), infos, meta);
      if (first) r.metadata_ = meta;
      first = false;
      for (auto& ti : infos) {
        auto wm = weight_map.find(ti.name);
        if (wm == weight_map.end())
          throw validation_error("tensor is in shard " + shard + " but not in weight_map").at_path(ipath).at_tensor(ti.name);
        if (wm->second != shard)
          throw validation_error("weight_map: expected the tensor in " + wm->second + ", found it in " + shard)
              .at_path(ipath).at_tensor(ti.name);
        if (!seen.emplace(ti.name, shard).second)
          throw validation_error("tensor appears in two shards").at_path(ipath).at_tensor(ti.name);
        r.tensors_.push_back(std::move(ti));
      }
      r.maps_.push_back(mf.value());
      r.files_.push_back(dir / shard);
    }
    for (const auto& [name, shard] : weight_map)
      if (!seen.count(name))
        throw validation_error("weight_map: expected the tensor in " + shard + ", found it missing there")
            .at_path(ipath).at_tensor(name);
    std::sort(r.tensors_.begin(), r.tensors_.end(), [](auto& a, auto& b) { return a.name < b.name; });
    return r;
  });
}

const TensorInfo* Reader::find_tensor(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  return (it != tensors_.end() && it->name == name) ? &*it : nullptr;
}

}  // namespace apr::safetensors
