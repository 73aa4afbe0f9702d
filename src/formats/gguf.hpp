// apr-qa formats: GGUF v3 reader and writer.
//
// Reader: validates everything before trusting it (magic, version, counts vs file size, string
// and array lengths, key uniqueness, general.alignment type/power of two, tensor names unique and
// < 64 bytes, n_dims <= 4, dims overflow, dtype supported, ne0 % block == 0, offsets equal to the
// running sum of aligned sizes as llama.cpp requires, data inside the file). Tensor data is a
// zero-copy view into the mapped file. Shapes are exposed both in GGUF `ne` order and row-major
// (reversed): bytes are never moved.
// Writer: KV pairs in insertion order, tensor infos in insertion order, each tensor padded to
// the alignment; data is streamed from spans (zero-copy sources) or produced by callbacks.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/mapped_file.hpp"
#include "formats/chunk_producer.hpp"
#include "core/result.hpp"
#include "tensor/tensor_view.hpp"

namespace apr::gguf {

enum class ValueType : std::uint32_t {
  UINT8 = 0, INT8 = 1, UINT16 = 2, INT16 = 3, UINT32 = 4, INT32 = 5, FLOAT32 = 6, BOOL = 7,
  STRING = 8, ARRAY = 9, UINT64 = 10, INT64 = 11, FLOAT64 = 12,
};
const char* to_string(ValueType t) noexcept;

// A typed GGUF value. Exactly one payload member is meaningful, chosen by `type`
// (and by `array_type` for arrays). Integer widths are kept so a round trip is byte-identical.
struct Value {
  ValueType type = ValueType::UINT32;
  ValueType array_type = ValueType::UINT8;  // element type when type == ARRAY (never ARRAY)
  std::uint64_t u = 0;    // UINT8/16/32/64
  std::int64_t i = 0;     // INT8/16/32/64
  double f = 0;           // FLOAT32/64
  bool b = false;         // BOOL
  std::string s;          // STRING
  std::vector<std::uint64_t> arr_u;  // arrays of unsigned ints
  std::vector<std::int64_t> arr_i;   // arrays of signed ints
  std::vector<double> arr_f;         // arrays of floats
  std::vector<std::uint8_t> arr_b;   // arrays of bools (0/1)
  std::vector<std::string> arr_s;    // arrays of strings

  static Value u8(std::uint8_t v), u16(std::uint16_t v), u32(std::uint32_t v), u64(std::uint64_t v);
  static Value i8(std::int8_t v), i16(std::int16_t v), i32(std::int32_t v), i64(std::int64_t v);
  static Value f32(float v), f64(double v), boolean(bool v), str(std::string v);
  static Value str_array(std::vector<std::string> v);
  static Value i32_array(std::vector<std::int64_t> v);
  static Value f32_array(std::vector<double> v);
  static Value array_of(ValueType elem);  // empty array of the given element type

  bool is_integer() const noexcept;  // any scalar integer type
  // Scalar accessors accepting any integer width; throw validation Error on type mismatch/range.
  std::uint64_t as_u64() const;
  std::int64_t as_i64() const;
  double as_f64() const;  // FLOAT32/64 or integers
  std::size_t array_size() const noexcept;
  bool operator==(const Value&) const = default;
};

struct KV {
  std::string key;
  Value value;
};

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<std::uint64_t> ne;        // GGUF order, ne[0] innermost
  std::vector<std::int64_t> shape;      // row-major = reversed ne
  std::uint64_t offset = 0;             // relative to data_offset, as stored
  std::uint64_t nbytes = 0;             // unpadded
  TensorView view() const { return {type, shape, data}; }
  std::span<const std::byte> data;      // zero-copy into the mapped file
};

class Reader {
 public:
  static Result<Reader> open(const std::filesystem::path& path);
  // Parse from an already-mapped file (used by format detection and tests).
  static Result<Reader> parse(std::shared_ptr<const MappedFile> file);

  const std::filesystem::path& path() const { return file_->path(); }
  std::uint32_t version() const { return version_; }
  std::uint32_t alignment() const { return alignment_; }
  std::uint64_t data_offset() const { return data_offset_; }
  const std::vector<KV>& kvs() const { return kvs_; }
  const Value* find(std::string_view key) const;  // nullptr if absent
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  const TensorInfo* find_tensor(std::string_view name) const;
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::uint32_t version_ = 3;
  std::uint32_t alignment_ = 32;
  std::uint64_t data_offset_ = 0;
  std::vector<KV> kvs_;
  std::vector<TensorInfo> tensors_;
};

// Fills `dst` (exactly the tensor's byte size) with the tensor's bytes.
using TensorProducer = std::function<void(std::span<std::byte> dst)>;
// Fills bytes [offset, offset + dst.size()) of the tensor (see formats/chunk_producer.hpp).
using ChunkProducer = formats::ChunkProducer;

class Writer {
 public:
  Writer() = default;
  // alignment comes from a "general.alignment" KV if one is added (must be UINT32), else 32.
  void add_kv(std::string key, Value value);
  // shape is row-major (outermost first); written as reversed ne. Data is referenced, not copied.
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  std::span<const std::byte> data);
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  TensorProducer producer);
  // Chunked: `producer` is called over consecutive row-aligned chunks of at most chunk_hint
  // bytes (0: 16 MiB; capped at 16 MiB), so the writer holds one chunk, not the tensor (see
  // formats/chunk_producer.hpp). A TensorProducer holding a formats::ChunkedFill is streamed the same way.
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  ChunkProducer producer, std::uint64_t chunk_hint);
  // Writes atomically (temp file + rename; scratch: core/atomic_file.hpp, not forced to the
  // disk). Throws apr::Error on failure.
  void write(const std::filesystem::path& path, Durability durability = Durability::durable) const;

 private:
  using Pending = formats::PendingTensor;
  std::vector<KV> kvs_;
  std::vector<Pending> tensors_;
};

}  // namespace apr::gguf
