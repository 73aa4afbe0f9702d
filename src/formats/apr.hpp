// apr-qa formats: APR v2 (aprender's native format) reader and writer.
//
// Byte layout (../shared/reference/anchor-conversion.md §3), little-endian:
//   [64-byte header][metadata JSON, padded to 64][tensor index, padded to 64]
//   [tensor data, each padded to 64][footer CRC32 over every preceding byte]
// Header: magic "APR\0", version 2.0, u16 flags, u32 tensor_count, u64 metadata_offset (=64),
// u32 metadata_size, u64 tensor_index_offset, u64 data_offset, u32 header CRC32 over
// [0,40)++[44,64), 20 reserved zero bytes.
// Index entries sorted by name (byte-wise): u16 name_len, name, u8 dtype, u8 ndim, ndim x u64
// row-major dims, u64 offset (relative to data_offset, multiple of 64), u64 size.
// Project decision: the dtype byte is the GGML type id for every GGML type.
// Reader: verifies the header CRC before trusting any field, then (verify_data_crc) the footer
// CRC before parsing the body, so corruption is reported as such; rejects flags LZ4/ZSTD/
// ENCRYPTED, SIGNED/SHARDED (not implemented), unknown bits and LAYOUT_COLUMN_MAJOR (0x0800);
// requires a sorted index, sizes = shape x dtype, offsets = 64-aligned running sum, zero padding,
// and a data region that ends exactly at the footer. Also accepts magic "APR2".
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/mapped_file.hpp"
#include "formats/chunk_producer.hpp"
#include "core/result.hpp"
#include "tensor/tensor_view.hpp"

namespace apr::aprfmt {

inline constexpr std::uint16_t kFlagLz4 = 0x0001, kFlagZstd = 0x0002, kFlagEncrypted = 0x0004,
                               kFlagSigned = 0x0008, kFlagSharded = 0x0010, kFlagQuantized = 0x0020,
                               kFlagHasVocab = 0x0200, kFlagRowMajor = 0x0400,
                               kFlagColumnMajor = 0x0800;

struct TensorInfo {
  std::string name;
  GgmlType type = GgmlType::F32;
  std::vector<std::int64_t> shape;  // row-major
  std::uint64_t offset = 0;         // relative to data_offset
  std::uint64_t size = 0;           // unpadded bytes
  std::span<const std::byte> data;  // zero-copy
  TensorView view() const { return {type, shape, data}; }
};

class Reader {
 public:
  // verify_data_crc: also compute the footer CRC over the whole file (touches every page).
  static Result<Reader> open(const std::filesystem::path& path, bool verify_data_crc = true);
  static Result<Reader> parse(std::shared_ptr<const MappedFile> file, bool verify_data_crc = true);

  std::uint16_t flags() const { return flags_; }
  const nlohmann::json& metadata() const { return metadata_; }
  const std::vector<TensorInfo>& tensors() const { return tensors_; }  // sorted by name
  const TensorInfo* find_tensor(std::string_view name) const;
  const std::shared_ptr<const MappedFile>& file() const { return file_; }

 private:
  std::shared_ptr<const MappedFile> file_;
  std::uint16_t flags_ = 0;
  nlohmann::json metadata_;
  std::vector<TensorInfo> tensors_;
};

using TensorProducer = std::function<void(std::span<std::byte> dst)>;
// Fills bytes [offset, offset + dst.size()) of the tensor (see formats/chunk_producer.hpp).
using ChunkProducer = formats::ChunkProducer;

class Writer {
 public:
  void set_metadata(nlohmann::json m) { metadata_ = std::move(m); }
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  std::span<const std::byte> data);
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  TensorProducer producer);
  // Chunked: `producer` is called over consecutive row-aligned chunks of at most chunk_hint
  // bytes (0: 16 MiB; capped at 16 MiB), so the writer holds one chunk, not the tensor (see
  // formats/chunk_producer.hpp). A TensorProducer holding a formats::ChunkedFill is streamed the same way.
  void add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                  ChunkProducer producer, std::uint64_t chunk_hint);
  // Sets LAYOUT_ROW_MAJOR (and QUANTIZED if any tensor is quantized). Atomic write.
  // Output is deterministic: same inputs -> byte-identical file (metadata serialised with
  // sorted keys, no timestamps added by the writer). scratch: core/atomic_file.hpp.
  void write(const std::filesystem::path& path, Durability durability = Durability::durable) const;

 private:
  using Pending = formats::PendingTensor;
  nlohmann::json metadata_ = nlohmann::json::object();
  std::vector<Pending> tensors_;
};

}  // namespace apr::aprfmt
