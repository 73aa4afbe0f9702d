// apr-qa formats: SafeTensors reader and writer (single file and sharded HF snapshots).
//
// Reader validation follows the reference implementation: u64 header length bounded (<= 100 MB)
// and inside the file, UTF-8 JSON object, no duplicate keys, known dtype, offsets contiguous from
// 0 with no holes or overlaps, end - begin == numel * dtype size, last end == buffer size,
// __metadata__ a string->string map. Shards: model.safetensors.index.json, with every shard path
// confined to the snapshot directory (no "..", no absolute paths) and every weight_map entry
// present in its shard.
// Writer: reference layout (tensors ordered as the reference's serializer does — descending Dtype
// enum order, i.e. F32, BF16, F16 — then by name; compact JSON with __metadata__ first; header
// space-padded to a multiple of 8): byte-identical to safetensors.torch.save_file.
// Sharded writer: shards cut in name order; model.safetensors.index.json with total_size.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/mapped_file.hpp"
#include "formats/chunk_producer.hpp"
#include "core/result.hpp"
#include "tensor/tensor_view.hpp"

namespace apr::safetensors {

// SafeTensors dtype strings apr-qa reads as model tensors: F32, F16, BF16 (-> GGML 0/1/30).
// Other valid SafeTensors dtypes (I8, I32, F64, BOOL, ...) are recognised and rejected as
// `unsupported` naming the tensor and the dtype.
std::optional<GgmlType> dtype_from_string(std::string_view s) noexcept;
std::string dtype_to_string(GgmlType t);  // throws unsupported Error for non F32/F16/BF16

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::string dtype;                  // as written in the header ("BF16")
  std::vector<std::int64_t> shape;    // row-major
  std::uint64_t begin = 0, end = 0;   // data_offsets relative to the buffer start
  std::uint64_t file_offset = 0;      // absolute offset of the data in its file (8 + header + begin)
  std::filesystem::path file;         // the shard holding it
  std::span<const std::byte> data;    // zero-copy into the mapped shard
  TensorView view() const { return {type, shape, data}; }
};

class Reader {
 public:
  // Opens a single .safetensors file.
  static Result<Reader> open(const std::filesystem::path& path);
  // Opens a sharded checkpoint from its model.safetensors.index.json.
  static Result<Reader> open_index(const std::filesystem::path& index_json);
  static Result<Reader> parse(std::shared_ptr<const MappedFile> file);

  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const TensorInfo* find_tensor(std::string_view name) const;
  // __metadata__ of the (first) file.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::vector<std::filesystem::path>& files() const { return files_; }

 private:
  std::vector<std::shared_ptr<const MappedFile>> maps_;
  std::vector<std::filesystem::path> files_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, std::string> metadata_;
};

using TensorProducer = std::function<void(std::span<std::byte> dst)>;
// Fills bytes [offset, offset + dst.size()) of the tensor (see formats/chunk_producer.hpp).
using ChunkProducer = formats::ChunkProducer;

class Writer {
 public:
  void set_metadata(std::map<std::string, std::string> m) { metadata_ = std::move(m); }
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  std::span<const std::byte> data);
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  TensorProducer producer);
  // Chunked: `producer` is called over consecutive row-aligned chunks of at most chunk_hint
  // bytes (0: 16 MiB; capped at 16 MiB), so the writer holds one chunk, not the tensor (see
  // formats/chunk_producer.hpp). A TensorProducer holding a formats::ChunkedFill is streamed the same way.
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  ChunkProducer producer, std::uint64_t chunk_hint);
  // Single file, atomically (scratch: core/atomic_file.hpp, not forced to the disk).
  void write(const std::filesystem::path& path, Durability durability = Durability::durable) const;
  // Sharded: model-0000i-of-0000n.safetensors + model.safetensors.index.json in dir,
  // shards cut at max_shard_bytes of tensor data.
  void write_sharded(const std::filesystem::path& dir, std::uint64_t max_shard_bytes) const;

 private:
  using Pending = formats::PendingTensor;
  std::map<std::string, std::string> metadata_;
  std::vector<Pending> tensors_;
};

}  // namespace apr::safetensors
