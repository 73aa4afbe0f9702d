// apr-qa formats: chunked tensor producers shared by the GGUF, APR and SafeTensors writers.
//
// A ChunkProducer fills the tensor's bytes [offset, offset + dst.size()) into dst — every byte:
// dst is a reused buffer, not zeroed between calls. Writers call
// it repeatedly, in increasing offset order, over chunks that together cover the tensor exactly
// once, reusing one buffer of at most one chunk: peak memory is one chunk, not one tensor.
// Chunk boundaries fall on row boundaries (a row = the last dimension, in the tensor's dtype),
// so a producer that permutes or re-encodes rows always receives whole rows. A chunk holds
// floor(min(hint, kMaxChunkBytes) / row) rows, at least one (a single row larger than the hint
// is the only case where a chunk exceeds it). hint 0 means kMaxChunkBytes.
//
// ChunkedFill wraps a ChunkProducer as a whole-buffer producer (std::function<void(span)>), so
// code that only carries the whole-buffer form keeps working; the writers recognise a
// ChunkedFill inside a whole-buffer producer (std::function::target) and stream it chunk-wise.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "core/atomic_file.hpp"
#include "core/mapped_file.hpp"
#include "tensor/dtype.hpp"

namespace apr::formats {

using ChunkProducer = std::function<void(std::uint64_t offset, std::span<std::byte> dst)>;

inline constexpr std::uint64_t kMaxChunkBytes = 16u << 20;

// Bytes per chunk for a tensor of this dtype/shape (see the contract above). Never 0 for a
// non-empty tensor; equals total when the tensor is smaller than one chunk.
std::uint64_t chunk_bytes(GgmlType type, std::span<const std::int64_t> shape, std::uint64_t hint);

// Calls produce over consecutive chunks of `step` bytes covering [0, total) and hands each
// filled chunk to sink. buf is reused (grown to at most `step` bytes).
void stream_chunks(std::uint64_t total, std::uint64_t step, const ChunkProducer& produce, std::vector<std::byte>& buf,
                   const std::function<void(std::span<const std::byte>)>& sink);

// Appends src[offset, offset + n) to out: the kernel copies it file to file (AtomicFile::copy_from:
// copy_file_range, no pass through a user buffer) in steps; where it cannot (`kernel_copy` is then
// set false, so later calls stop asking) the rest is write()n straight from the mapping, whose
// pages are populated first and dropped after each step (RSS stays ~ one step). The passthrough
// path of the GGUF and SafeTensors writers (a tensor whose ChunkedFill has a `source`).
void write_source_range(AtomicFile& out, const MappedFile& src, std::uint64_t offset, std::uint64_t n, bool& kernel_copy);

// Whole-buffer adapter: fills dst (the whole tensor) chunk by chunk of chunk_hint bytes (0:
// kMaxChunkBytes); the caller is responsible for chunk_hint being a multiple of the row size.
//
// Optional passthrough source: when `source` is set, the caller guarantees that fill produces
// exactly the bytes source[source_offset, source_offset + tensor size) — the tensor is an
// unchanged byte range of a mapped file (kept alive by the caller until the write ends). A
// writer may then copy that range file-to-file (AtomicFile::copy_from) instead of calling fill
// (aprfmt::Writer also checksums the mapped bytes; the GGUF and SafeTensors writers use
// write_source_range). The converter's plan sets it for every passthrough of a mapped tensor.
struct ChunkedFill {
  ChunkProducer fill;
  std::uint64_t chunk_hint = 0;
  const MappedFile* source = nullptr;
  std::uint64_t source_offset = 0;
  void operator()(std::span<std::byte> dst) const;
};

// A tensor registered with a writer, in one of the three forms every writer accepts: a span of
// existing bytes, a whole-buffer producer, or a chunk producer (with its chunk hint).
using WholeProducer = std::function<void(std::span<std::byte> dst)>;
struct PendingTensor {
  std::string name;
  GgmlType type;
  std::vector<std::int64_t> shape;
  std::span<const std::byte> data;
  WholeProducer producer;
  ChunkProducer chunk;
  std::uint64_t chunk_hint = 0;
  const MappedFile* source = nullptr;  // passthrough source of `chunk` (see ChunkedFill)
  std::uint64_t source_offset = 0;
};

// The writers' add_tensor overloads, validated in one place: an empty producer is an internal
// Error naming the writer and the tensor; a ChunkedFill inside a whole-buffer producer becomes a
// chunked entry so it is streamed (keeping its passthrough source, if any).
PendingTensor pending_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                             std::span<const std::byte> data);
PendingTensor pending_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                             WholeProducer producer, const char* writer);
PendingTensor pending_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                             ChunkProducer producer, std::uint64_t chunk_hint, const char* writer);

}  // namespace apr::formats
