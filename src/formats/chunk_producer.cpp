// apr-qa formats: chunk sizing and the chunk loop shared by the writers (see chunk_producer.hpp).
#include "formats/chunk_producer.hpp"

#include <algorithm>

#include "core/error.hpp"

namespace apr::formats {

std::uint64_t chunk_bytes(GgmlType type, std::span<const std::int64_t> shape, std::uint64_t hint) {
  const std::uint64_t total = tensor_bytes(type, shape);
  const std::uint64_t limit = hint == 0 ? kMaxChunkBytes : std::min(hint, kMaxChunkBytes);
  if (total <= limit) return std::max<std::uint64_t>(total, 1);
  // A row is the last dimension; 1-D tensors are cut at block granularity.
  const std::uint64_t row = shape.size() >= 2 ? row_bytes(type, static_cast<std::uint64_t>(shape.back()))
                                              : dtype_info(type).block_bytes;
  if (row == 0) return std::max<std::uint64_t>(total, 1);
  return std::max<std::uint64_t>(limit / row, 1) * row;
}

void stream_chunks(std::uint64_t total, std::uint64_t step, const ChunkProducer& produce, std::vector<std::byte>& buf,
                   const std::function<void(std::span<const std::byte>)>& sink) {
  if (step == 0) throw internal_error("chunked producer: chunk size 0");
  for (std::uint64_t off = 0; off < total; off += step) {
    const auto n = static_cast<std::size_t>(std::min(step, total - off));
    if (buf.size() < n) buf.resize(n);
    std::span<std::byte> dst(buf.data(), n);
    produce(off, dst);
    sink(dst);
  }
}

void write_source_range(AtomicFile& out, const MappedFile& src, std::uint64_t offset, std::uint64_t n, bool& kernel_copy) {
  constexpr std::uint64_t kStep = 4u << 20;  // no checksum to keep cache-hot here: larger steps, fewer calls
  const auto all = src.slice(offset, n);     // bounds-checked once
  for (std::uint64_t at = 0; at < n; at += kStep) {
    const std::uint64_t m = std::min(kStep, n - at);
    const std::uint64_t copied = kernel_copy ? out.copy_from(src.fd(), offset + at, m) : 0;
    if (copied < m) {
      kernel_copy = false;
      src.populate(offset + at + copied, m - copied);
      out.write(all.subspan(static_cast<std::size_t>(at + copied), static_cast<std::size_t>(m - copied)));
      src.release(offset + at, m);
    }
  }
}

void ChunkedFill::operator()(std::span<std::byte> dst) const {
  const std::uint64_t step = chunk_hint == 0 ? kMaxChunkBytes : chunk_hint;
  for (std::uint64_t off = 0; off < dst.size(); off += step) {
    const auto n = static_cast<std::size_t>(std::min<std::uint64_t>(step, dst.size() - off));
    fill(off, dst.subspan(static_cast<std::size_t>(off), n));
  }
}

PendingTensor pending_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                             std::span<const std::byte> data) {
  return {std::move(name), type, std::move(shape), data, nullptr, nullptr, 0};
}

PendingTensor pending_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                             WholeProducer producer, const char* writer) {
  if (!producer) throw internal_error(std::string(writer) + " writer: empty tensor producer").at_tensor(name);
  if (const auto* c = producer.target<ChunkedFill>()) {
    auto p = pending_tensor(std::move(name), type, std::move(shape), c->fill, c->chunk_hint, writer);
    p.source = c->source;
    p.source_offset = c->source_offset;
    return p;
  }
  return {std::move(name), type, std::move(shape), {}, std::move(producer), nullptr, 0};
}

PendingTensor pending_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                             ChunkProducer producer, std::uint64_t chunk_hint, const char* writer) {
  if (!producer) throw internal_error(std::string(writer) + " writer: empty chunk producer").at_tensor(name);
  return {std::move(name), type, std::move(shape), {}, nullptr, std::move(producer), chunk_hint};
}

}  // namespace apr::formats
