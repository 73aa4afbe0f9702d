// GGUF v3 reader: strict validation before trust, zero-copy tensor views.
#include <limits>
#include <unordered_set>

#include "formats/byte_cursor.hpp"
#include "formats/gguf.hpp"

namespace apr::gguf {
namespace {

using formats::Cursor;
constexpr std::uint64_t kMaxString = 1ull << 30;       // ggml: strings <= 1 GiB
constexpr std::uint64_t kMaxArray = 1ull << 30;        // ggml: arrays <= 2^30 elements
constexpr std::uint32_t kMaxDims = 4;                  // GGML_MAX_DIMS
constexpr std::size_t kMaxName = 64;                   // GGML_MAX_NAME (names must be shorter)
constexpr std::uint64_t kMinKvBytes = 8 + 1 + 4 + 1;   // key len, >=1 key byte, type, smallest value
constexpr std::uint64_t kMinTensorInfoBytes = 8 + 4 + 4 + 8;  // name len, n_dims, type, offset

std::uint64_t min_value_bytes(ValueType t) {
  switch (t) {
    case ValueType::UINT8: case ValueType::INT8: case ValueType::BOOL: return 1;
    case ValueType::UINT16: case ValueType::INT16: return 2;
    case ValueType::UINT32: case ValueType::INT32: case ValueType::FLOAT32: return 4;
    case ValueType::UINT64: case ValueType::INT64: case ValueType::FLOAT64: return 8;
    case ValueType::STRING: return 8;
    case ValueType::ARRAY: return 12;
  }
  return 1;
}

std::string read_string(Cursor& c, std::string_view field) {
  std::uint64_t at = c.pos();
  if (c.remaining() < 8) c.need(8, std::string(field) + " length");  // throws; message built only here
  auto n = c.read<std::uint64_t>(field);
  if (n > kMaxString) {
    throw c.fail_at(ErrorCategory::validation,
                    std::string(field) + " length: expected at most " + std::to_string(kMaxString) +
                        ", found " + std::to_string(n), at);
  }
  if (n > c.remaining()) {
    throw c.fail_at(ErrorCategory::validation,
                    std::string(field) + " length " + std::to_string(n) + " runs past the end of the file (" +
                        std::to_string(c.remaining()) + " bytes left)", at);
  }
  return std::string(c.bytes(n, field));
}

ValueType read_value_type(Cursor& c, std::string_view field) {
  std::uint64_t at = c.pos();
  auto t = c.read<std::uint32_t>(field);
  if (t > static_cast<std::uint32_t>(ValueType::FLOAT64)) {
    throw c.fail_at(ErrorCategory::validation,
                    std::string(field) + ": expected a GGUF value type 0..12, found " + std::to_string(t), at);
  }
  return static_cast<ValueType>(t);
}

bool read_bool(Cursor& c) {
  std::uint64_t at = c.pos();
  auto b = c.read<std::uint8_t>("bool value");
  if (b > 1) {
    throw c.fail_at(ErrorCategory::validation, "bool value: expected 0 or 1, found " + std::to_string(b), at);
  }
  return b == 1;
}

// Reads one scalar of type t into the matching member of v (or pushes onto the array member).
void read_scalar_into(Cursor& c, ValueType t, Value& v, bool push) {
  switch (t) {
    case ValueType::UINT8: { auto x = c.read<std::uint8_t>("u8 value"); push ? v.arr_u.push_back(x) : void(v.u = x); break; }
    case ValueType::UINT16: { auto x = c.read<std::uint16_t>("u16 value"); push ? v.arr_u.push_back(x) : void(v.u = x); break; }
    case ValueType::UINT32: { auto x = c.read<std::uint32_t>("u32 value"); push ? v.arr_u.push_back(x) : void(v.u = x); break; }
    case ValueType::UINT64: { auto x = c.read<std::uint64_t>("u64 value"); push ? v.arr_u.push_back(x) : void(v.u = x); break; }
    case ValueType::INT8: { auto x = c.read<std::int8_t>("i8 value"); push ? v.arr_i.push_back(x) : void(v.i = x); break; }
    case ValueType::INT16: { auto x = c.read<std::int16_t>("i16 value"); push ? v.arr_i.push_back(x) : void(v.i = x); break; }
    case ValueType::INT32: { auto x = c.read<std::int32_t>("i32 value"); push ? v.arr_i.push_back(x) : void(v.i = x); break; }
    case ValueType::INT64: { auto x = c.read<std::int64_t>("i64 value"); push ? v.arr_i.push_back(x) : void(v.i = x); break; }
    case ValueType::FLOAT32: { auto x = c.read<float>("f32 value"); push ? v.arr_f.push_back(x) : void(v.f = x); break; }
    case ValueType::FLOAT64: { auto x = c.read<double>("f64 value"); push ? v.arr_f.push_back(x) : void(v.f = x); break; }
    case ValueType::BOOL: { bool x = read_bool(c); push ? v.arr_b.push_back(x ? 1 : 0) : void(v.b = x); break; }
    case ValueType::STRING: { auto s = read_string(c, "string value"); push ? v.arr_s.push_back(std::move(s)) : void(v.s = std::move(s)); break; }
    case ValueType::ARRAY: throw internal_error("read_scalar_into(ARRAY)");
  }
}

void reserve_array(Value& v, ValueType t, std::uint64_t n) {
  auto k = static_cast<std::size_t>(n);
  switch (t) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64: v.arr_u.reserve(k); break;
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64: v.arr_i.reserve(k); break;
    case ValueType::FLOAT32: case ValueType::FLOAT64: v.arr_f.reserve(k); break;
    case ValueType::BOOL: v.arr_b.reserve(k); break;
    case ValueType::STRING: v.arr_s.reserve(k); break;
    case ValueType::ARRAY: break;
  }
}

Value read_value(Cursor& c, ValueType t) {
  Value v;
  v.type = t;
  if (t != ValueType::ARRAY) {
    read_scalar_into(c, t, v, false);
    return v;
  }
  std::uint64_t at = c.pos();
  v.array_type = read_value_type(c, "array element type");
  if (v.array_type == ValueType::ARRAY) {
    throw c.fail_at(ErrorCategory::unsupported,
                    "array element type: expected a scalar or string type, found ARRAY (nested arrays)", at);
  }
  std::uint64_t count_at = c.pos();
  auto n = c.read<std::uint64_t>("array count");
  if (n > kMaxArray) {
    throw c.fail_at(ErrorCategory::validation,
                    "array count: expected at most " + std::to_string(kMaxArray) + ", found " + std::to_string(n),
                    count_at);
  }
  c.need_for_count(n, min_value_bytes(v.array_type), "array count");
  reserve_array(v, v.array_type, n);
  for (std::uint64_t k = 0; k < n; ++k) read_scalar_into(c, v.array_type, v, true);
  return v;
}

}  // namespace

Result<Reader> Reader::open(const std::filesystem::path& path) {
  auto f = MappedFile::open(path);
  if (!f) return f.error();
  return parse(std::move(f.value()));
}

Result<Reader> Reader::parse(std::shared_ptr<const MappedFile> file) {
  return capture([&]() -> Reader {
    Reader r;
    r.file_ = file;
    const MappedFile& mf = *file;
    Cursor c(mf, 0);
    formats::HeaderReadahead ra(mf);
    c.set_readahead(&ra);

    c.need(4, "magic");
    if (std::memcmp(mf.data(), "GGUF", 4) != 0) {
      throw c.fail(ErrorCategory::parse,
                   "magic: expected 47 47 55 46 (\"GGUF\"), found " + formats::hex_bytes(mf.data(), 4));
    }
    c.skip(4, "magic");
    auto version = c.read<std::uint32_t>("version");
    if (version != 2 && version != 3) {
      std::string hint = (version & 0xFFFF) == 0 ? " (looks byte-swapped: big-endian GGUF is not supported)" : "";
      throw c.fail_at(ErrorCategory::unsupported,
                      "version: expected 3 (or 2), found " + std::to_string(version) + hint, 4);
    }
    r.version_ = version;
    auto n_tensors = c.read<std::uint64_t>("tensor_count");
    auto n_kv = c.read<std::uint64_t>("kv_count");
    if (n_tensors > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) ||
        n_kv > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      throw c.fail_at(ErrorCategory::validation, "tensor_count/kv_count: expected a non-negative int64", 8);
    }
    c.need_for_count(n_kv, kMinKvBytes, "kv_count");
    c.need_for_count(n_tensors, kMinTensorInfoBytes, "tensor_count");

    // --- key/value pairs
    r.kvs_.reserve(static_cast<std::size_t>(n_kv));
    std::unordered_set<std::string> keys;
    for (std::uint64_t k = 0; k < n_kv; ++k) {
      std::uint64_t at = c.pos();
      std::string key = read_string(c, "key");
      if (key.empty()) throw c.fail_at(ErrorCategory::validation, "key #" + std::to_string(k) + ": expected a non-empty key, found \"\"", at);
      if (!keys.insert(key).second) {
        throw c.fail_at(ErrorCategory::validation, "duplicate key: expected unique keys, found a second one", at).at_key(key);
      }
      try {
        ValueType t = read_value_type(c, "value type");
        Value v = read_value(c, t);
        r.kvs_.push_back({std::move(key), std::move(v)});
      } catch (Error& e) {
        throw std::move(e.at_key(key));
      }
    }
    if (const Value* a = r.find("general.alignment")) {
      if (a->type != ValueType::UINT32) {
        throw Error(ErrorCategory::validation,
                    std::string("type: expected UINT32, found ") + to_string(a->type))
            .at_path(mf.path().string()).at_key("general.alignment");
      }
      if (a->u == 0 || (a->u & (a->u - 1)) != 0) {
        throw Error(ErrorCategory::validation, "expected a power of two > 0, found " + std::to_string(a->u))
            .at_path(mf.path().string()).at_key("general.alignment");
      }
      r.alignment_ = static_cast<std::uint32_t>(a->u);
    }

    // --- tensor infos
    r.tensors_.reserve(static_cast<std::size_t>(n_tensors));
    std::unordered_set<std::string> names;
    std::uint64_t expected_offset = 0;
    for (std::uint64_t k = 0; k < n_tensors; ++k) {
      std::uint64_t at = c.pos();
      TensorInfo ti;
      ti.name = read_string(c, "tensor name");
      auto located = [&](Error e) { return std::move(e.at_tensor(ti.name)); };
      if (ti.name.empty() || ti.name.size() >= kMaxName) {
        throw located(c.fail_at(ErrorCategory::validation,
                                "tensor name length: expected 1.." + std::to_string(kMaxName - 1) + " bytes, found " +
                                    std::to_string(ti.name.size()), at));
      }
      if (!names.insert(ti.name).second) {
        throw located(c.fail_at(ErrorCategory::validation, "duplicate tensor name: expected unique names", at));
      }
      std::uint64_t dims_at = c.pos();
      auto n_dims = c.read<std::uint32_t>("n_dims");
      if (n_dims > kMaxDims) {
        throw located(c.fail_at(ErrorCategory::validation,
                                "n_dims: expected at most 4, found " + std::to_string(n_dims), dims_at));
      }
      std::uint64_t numel = 1;
      for (std::uint32_t d = 0; d < n_dims; ++d) {
        std::uint64_t ne_at = c.pos();
        auto ne = c.read<std::uint64_t>("ne");
        if (ne > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
          throw located(c.fail_at(ErrorCategory::validation, "ne[" + std::to_string(d) + "]: expected <= INT64_MAX, found " + std::to_string(ne), ne_at));
        }
        if (ne != 0 && numel > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()) / ne) {
          throw located(c.fail_at(ErrorCategory::validation, "ne: element count overflows int64", ne_at));
        }
        numel *= ne;
        ti.ne.push_back(ne);
      }
      std::uint64_t type_at = c.pos();
      auto type_id = c.read<std::uint32_t>("tensor type");
      try {
        ti.type = require_supported_dtype(type_id);
      } catch (Error& e) {
        throw located(std::move(e).at_path(mf.path().string()).at_offset(type_at));
      }
      const DTypeInfo& di = dtype_info(ti.type);
      std::uint64_t ne0 = ti.ne.empty() ? 1 : ti.ne[0];
      if (ne0 % di.block_elems != 0) {
        throw located(c.fail_at(ErrorCategory::validation,
                                "ne[0]: expected a multiple of the " + std::string(di.name) + " block size " +
                                    std::to_string(di.block_elems) + ", found " + std::to_string(ne0), dims_at + 4));
      }
      for (auto it = ti.ne.rbegin(); it != ti.ne.rend(); ++it) ti.shape.push_back(static_cast<std::int64_t>(*it));
      try {
        ti.nbytes = tensor_bytes(ti.type, ti.shape);
      } catch (Error& e) {
        throw located(std::move(e).at_path(mf.path().string()).at_offset(dims_at));
      }
      std::uint64_t off_at = c.pos();
      ti.offset = c.read<std::uint64_t>("tensor offset");
      if (ti.offset != expected_offset) {
        throw located(c.fail_at(ErrorCategory::validation,
                                "data offset: expected " + std::to_string(expected_offset) +
                                    " (running sum of aligned sizes), found " + std::to_string(ti.offset), off_at));
      }
      if (ti.nbytes > mf.size()) {
        throw located(c.fail_at(ErrorCategory::validation,
                                "tensor size " + std::to_string(ti.nbytes) + " exceeds the file size " +
                                    std::to_string(mf.size()), dims_at));
      }
      expected_offset += formats::align_up(ti.nbytes, r.alignment_);
      if (expected_offset > mf.size()) {
        throw located(c.fail_at(ErrorCategory::validation, "tensor data runs past the end of the file", off_at));
      }
      r.tensors_.push_back(std::move(ti));
    }

    // --- data section
    r.data_offset_ = formats::align_up(c.pos(), r.alignment_);
    if (n_tensors == 0 && r.data_offset_ > mf.size()) r.data_offset_ = c.pos();  // no padding needed
    for (std::uint64_t p = c.pos(); p < std::min<std::uint64_t>(r.data_offset_, mf.size()); ++p) {
      if (mf.data()[p] != std::byte{0}) {
        throw c.fail_at(ErrorCategory::validation, "padding before tensor data: expected 0x00, found 0x" +
                                                       formats::hex_bytes(mf.data() + p, 1), p);
      }
    }
    std::uint64_t data_end = r.tensors_.empty() ? 0 : r.tensors_.back().offset + r.tensors_.back().nbytes;
    if (r.data_offset_ > mf.size() || data_end > mf.size() - r.data_offset_) {
      throw Error(ErrorCategory::validation,
                  "tensor data: expected the file to hold " + std::to_string(data_end) + " bytes from offset " +
                      std::to_string(r.data_offset_) + ", found a file of " + std::to_string(mf.size()) + " bytes")
          .at_path(mf.path().string());
    }
    std::uint64_t padded_end = r.data_offset_ + expected_offset;
    if (mf.size() > padded_end) {
      throw Error(ErrorCategory::validation,
                  "trailing bytes: expected the file to end at " + std::to_string(padded_end) + ", found " +
                      std::to_string(mf.size() - padded_end) + " more bytes")
          .at_path(mf.path().string()).at_offset(padded_end);
    }
    for (auto& ti : r.tensors_) ti.data = mf.bytes().subspan(r.data_offset_ + ti.offset, ti.nbytes);
    return r;
  });
}

const Value* Reader::find(std::string_view key) const {
  for (const auto& kv : kvs_)
    if (kv.key == key) return &kv.value;
  return nullptr;
}

const TensorInfo* Reader::find_tensor(std::string_view name) const {
  for (const auto& t : tensors_)
    if (t.name == name) return &t;
  return nullptr;
}

}  // namespace apr::gguf
