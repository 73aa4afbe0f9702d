// GGUF v3 writer: KVs and tensor infos in insertion order; tensor data streamed from the source
// spans (no copy of the model is held) or from a producer filling a one-tensor buffer.
#include <limits>
#include <unordered_set>

#include "core/atomic_file.hpp"
#include "formats/byte_cursor.hpp"
#include "formats/gguf.hpp"

namespace apr::gguf {
namespace {

class Buf {
 public:
  template <typename T>
  void put(T v) {
    char b[sizeof(T)];
    std::memcpy(b, &v, sizeof(T));
    s.append(b, sizeof(T));
  }
  void str(std::string_view v) {
    put<std::uint64_t>(v.size());
    s.append(v);
  }
  std::string s;
};

template <typename T>
T checked_cast_u(std::uint64_t v, const std::string& key) {
  if (v > std::numeric_limits<T>::max())
    throw validation_error("value " + std::to_string(v) + " does not fit the declared type").at_key(key);
  return static_cast<T>(v);
}
template <typename T>
T checked_cast_i(std::int64_t v, const std::string& key) {
  if (v < std::numeric_limits<T>::min() || v > std::numeric_limits<T>::max())
    throw validation_error("value " + std::to_string(v) + " does not fit the declared type").at_key(key);
  return static_cast<T>(v);
}

void put_scalar(Buf& b, ValueType t, std::uint64_t u, std::int64_t i, double f, bool bo,
                const std::string* s, const std::string& key) {
  switch (t) {
    case ValueType::UINT8: b.put(checked_cast_u<std::uint8_t>(u, key)); break;
    case ValueType::UINT16: b.put(checked_cast_u<std::uint16_t>(u, key)); break;
    case ValueType::UINT32: b.put(checked_cast_u<std::uint32_t>(u, key)); break;
    case ValueType::UINT64: b.put<std::uint64_t>(u); break;
    case ValueType::INT8: b.put(checked_cast_i<std::int8_t>(i, key)); break;
    case ValueType::INT16: b.put(checked_cast_i<std::int16_t>(i, key)); break;
    case ValueType::INT32: b.put(checked_cast_i<std::int32_t>(i, key)); break;
    case ValueType::INT64: b.put<std::int64_t>(i); break;
    case ValueType::FLOAT32: b.put(static_cast<float>(f)); break;
    case ValueType::FLOAT64: b.put<double>(f); break;
    case ValueType::BOOL: b.put<std::uint8_t>(bo ? 1 : 0); break;
    case ValueType::STRING: b.str(*s); break;
    case ValueType::ARRAY: throw validation_error("nested GGUF arrays are not supported").at_key(key);
  }
}

void put_value(Buf& b, const Value& v, const std::string& key) {
  b.put<std::uint32_t>(static_cast<std::uint32_t>(v.type));
  if (v.type != ValueType::ARRAY) {
    put_scalar(b, v.type, v.u, v.i, v.f, v.b, &v.s, key);
    return;
  }
  if (v.array_type == ValueType::ARRAY) throw validation_error("nested GGUF arrays are not supported").at_key(key);
  b.put<std::uint32_t>(static_cast<std::uint32_t>(v.array_type));
  b.put<std::uint64_t>(v.array_size());
  switch (v.array_type) {
    case ValueType::UINT8: case ValueType::UINT16: case ValueType::UINT32: case ValueType::UINT64:
      for (auto x : v.arr_u) put_scalar(b, v.array_type, x, 0, 0, false, nullptr, key);
      break;
    case ValueType::INT8: case ValueType::INT16: case ValueType::INT32: case ValueType::INT64:
      for (auto x : v.arr_i) put_scalar(b, v.array_type, 0, x, 0, false, nullptr, key);
      break;
    case ValueType::FLOAT32: case ValueType::FLOAT64:
      for (auto x : v.arr_f) put_scalar(b, v.array_type, 0, 0, x, false, nullptr, key);
      break;
    case ValueType::BOOL:
      for (auto x : v.arr_b) put_scalar(b, v.array_type, 0, 0, 0, x != 0, nullptr, key);
      break;
    case ValueType::STRING:
      for (const auto& x : v.arr_s) put_scalar(b, v.array_type, 0, 0, 0, false, &x, key);
      break;
    case ValueType::ARRAY: break;
  }
}

}  // namespace

void Writer::add_kv(std::string key, Value value) {
  if (key.empty()) throw validation_error("GGUF key must not be empty");
  for (const auto& kv : kvs_)
    if (kv.key == key) throw validation_error("duplicate GGUF key").at_key(key);
  if (key == "general.alignment") {
    if (value.type != ValueType::UINT32)
      throw validation_error(std::string("type: expected UINT32, found ") + to_string(value.type)).at_key(key);
    if (value.u == 0 || (value.u & (value.u - 1)) != 0 || value.u > 0xFFFFFFFFu)
      throw validation_error("expected a power of two > 0, found " + std::to_string(value.u)).at_key(key);
  }
  kvs_.push_back({std::move(key), std::move(value)});
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        std::span<const std::byte> data) {
  tensors_.push_back(formats::pending_tensor(std::move(name), type, std::move(shape), data));
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        TensorProducer producer) {
  tensors_.push_back(formats::pending_tensor(std::move(name), type, std::move(shape), std::move(producer), "GGUF"));
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        ChunkProducer producer, std::uint64_t chunk_hint) {
  tensors_.push_back(
      formats::pending_tensor(std::move(name), type, std::move(shape), std::move(producer), chunk_hint, "GGUF"));
}

void Writer::write(const std::filesystem::path& path, Durability durability) const {
  std::uint64_t alignment = 32;
  for (const auto& kv : kvs_)
    if (kv.key == "general.alignment") alignment = kv.value.u;

  Buf head;
  head.s.append("GGUF", 4);
  head.put<std::uint32_t>(3);
  head.put<std::uint64_t>(tensors_.size());
  head.put<std::uint64_t>(kvs_.size());
  for (const auto& kv : kvs_) {
    head.str(kv.key);
    put_value(head, kv.value, kv.key);
  }

  std::vector<std::uint64_t> sizes;
  sizes.reserve(tensors_.size());
  std::unordered_set<std::string_view> names;
  std::uint64_t offset = 0;
  for (const auto& t : tensors_) {
    auto located = [&](Error e) { return std::move(e.at_tensor(t.name).at_path(path.string())); };
    if (t.name.empty() || t.name.size() >= 64)
      throw located(validation_error("name length: expected 1..63 bytes, found " + std::to_string(t.name.size())));
    if (!names.insert(t.name).second) throw located(validation_error("duplicate tensor name"));
    if (t.shape.size() > 4)
      throw located(validation_error("n_dims: expected at most 4, found " + std::to_string(t.shape.size())));
    std::uint64_t nbytes;
    try {
      require_supported_dtype(static_cast<std::uint32_t>(t.type));
      nbytes = tensor_bytes(t.type, t.shape);
    } catch (Error& e) {
      throw located(std::move(e));
    }
    if (!t.producer && !t.chunk && t.data.size() != nbytes)
      throw located(validation_error("data size: expected " + std::to_string(nbytes) + " bytes for " +
                                     std::string(dtype_name(t.type)) + " of this shape, found " +
                                     std::to_string(t.data.size())));
    head.str(t.name);
    head.put<std::uint32_t>(static_cast<std::uint32_t>(t.shape.size()));
    for (auto it = t.shape.rbegin(); it != t.shape.rend(); ++it) head.put<std::uint64_t>(static_cast<std::uint64_t>(*it));
    head.put<std::uint32_t>(static_cast<std::uint32_t>(t.type));
    head.put<std::uint64_t>(offset);
    sizes.push_back(nbytes);
    offset += formats::align_up(nbytes, alignment);
  }

  AtomicFile out(path, durability);
  out.reserve(formats::align_up(head.s.size(), alignment) + offset);  // exact: every tensor padded
  out.write(head.s);
  out.write_zeros(formats::align_up(head.s.size(), alignment) - head.s.size());
  std::vector<std::byte> buf;
  bool kernel_copy = true;
  for (std::size_t k = 0; k < tensors_.size(); ++k) {
    const auto& t = tensors_[k];
    if (t.chunk && t.source) {
      formats::write_source_range(out, *t.source, t.source_offset, sizes[k], kernel_copy);  // same bytes as the fill's
    } else if (t.chunk) {
      formats::stream_chunks(sizes[k], formats::chunk_bytes(t.type, t.shape, t.chunk_hint), t.chunk, buf,
                         [&](std::span<const std::byte> b) { out.write(b); });
    } else if (t.producer) {
      buf.assign(static_cast<std::size_t>(sizes[k]), std::byte{0});
      t.producer(std::span<std::byte>(buf));
      out.write(std::span<const std::byte>(buf));
    } else {
      out.write(t.data);
    }
    out.write_zeros(formats::align_up(sizes[k], alignment) - sizes[k]);
  }
  out.commit();
}

}  // namespace apr::gguf
