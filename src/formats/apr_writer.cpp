// APR v2 writer: deterministic bytes (metadata with sorted keys, index sorted by name, zero
// padding, no timestamps), header and footer CRC32, tensor data streamed with a running CRC.
// Tensors registered with a passthrough source (formats::ChunkedFill::source) are copied file to
// file by the kernel and checksummed from a read() of the same source bytes (CrcSink::copy).
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <new>
#include <set>

#include "core/atomic_file.hpp"
#include "core/mapped_file.hpp"
#include "core/phase_times.hpp"
#include "formats/apr.hpp"
#include "formats/apr_layout.hpp"
#include "formats/byte_cursor.hpp"

namespace apr::aprfmt {
namespace {

// AtomicFile plus a running CRC32 of everything written (for the footer).
class CrcSink {
 public:
  CrcSink(const std::filesystem::path& p, Durability d) : out_(p, d) {}
  void write(std::span<const std::byte> b) {
    crc_ = crc32_update(crc_, b);
    out_.write(b);
  }
  void zeros(std::uint64_t n) {
    static const std::byte z[64] = {};
    while (n) {
      std::uint64_t k = std::min<std::uint64_t>(n, sizeof z);
      write({z, static_cast<std::size_t>(k)});
      n -= k;
    }
  }
  // Appends src[offset, offset + n) and folds the same bytes into the CRC, a step at a time:
  // the kernel copies the step file to file (copy_file_range: page cache to page cache, no pass
  // through user space), and read() puts the step's source bytes into one reused, page-aligned
  // buffer (sized for the L2 cache) for the CRC. Where the kernel cannot copy (EXDEV, ENOSYS, ...,
  // or APR_QA_NO_COPY_FILE_RANGE=1) the buffer itself is written. Measured against write() of
  // the buffer for every step: the same CPU on average, but the user-to-page-cache copy of
  // write() ran 3x slower in some runs here (docs/performance.md); and against the earlier CRC
  // over the mapped source pages (populated, then dropped, per step): more CPU. The copy and the
  // CRC read the source twice: were the source rewritten meanwhile, the footer CRC would not match
  // the copied bytes and the reader's CRC check would reject the file.
  void copy(const MappedFile& src, std::uint64_t offset, std::uint64_t n) {
    (void)src.slice(offset, n);  // bounds-checked once: an Error naming the source file
    if (step_ == nullptr) step_.reset(static_cast<std::byte*>(::aligned_alloc(4096, kStep)));
    if (step_ == nullptr) throw std::bad_alloc();
    for (std::uint64_t at = 0; at < n; at += kStep) {
      const std::uint64_t m = std::min(kStep, n - at);
      const std::uint64_t copied = kernel_copy_ ? out_.copy_from(src.fd(), offset + at, m) : 0;
      const auto bytes = std::span<std::byte>(step_.get(), static_cast<std::size_t>(m));
      read_exact(src, offset + at, bytes);
      const double t1 = phase_clock();
      crc_ = crc32_update(crc_, bytes);
      crc_s_ += phase_clock() - t1;
      if (copied < m) {
        kernel_copy_ = false;  // not possible for this pair of files: stop asking
        out_.write(bytes.subspan(static_cast<std::size_t>(copied)));
      }
    }
  }
  ~CrcSink() { phase_add("crc", crc_s_); }
  std::uint32_t crc() const { return crc32_final(crc_); }
  AtomicFile& file() { return out_; }

 private:
  static constexpr std::uint64_t kStep = 1u << 20;  // stays in the L2 (1 MiB per core); >= 2 MiB steps measured slower

  // src[at, at + dst.size()) from the source's descriptor; a failing or short read is an io
  // Error naming the source file (it changed or failed under us).
  static void read_exact(const MappedFile& src, std::uint64_t at, std::span<std::byte> dst) {
    std::size_t got = 0;
    while (got < dst.size()) {
      const ssize_t r = ::pread(src.fd(), dst.data() + got, dst.size() - got, static_cast<off_t>(at + got));
      if (r > 0) {
        got += static_cast<std::size_t>(r);
        continue;
      }
      if (r < 0 && errno == EINTR) continue;
      const int e = r < 0 ? errno : 0;
      auto err = io_error(r < 0 ? std::string("read failed: ") + std::strerror(e)
                                : "source file ended early: expected " + std::to_string(dst.size()) + " bytes at this offset")
                     .at_path(src.path().string())
                     .at_offset(at + got);
      if (e != 0) err.with_errno(e);
      throw err;
    }
  }

  AtomicFile out_;
  std::uint32_t crc_ = crc32_init();
  struct Free {
    void operator()(std::byte* p) const { std::free(p); }
  };
  std::unique_ptr<std::byte, Free> step_;
  bool kernel_copy_ = true;
  double crc_s_ = 0;
};

std::span<const std::byte> as_bytes(const std::string& s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        std::span<const std::byte> data) {
  tensors_.push_back(formats::pending_tensor(std::move(name), type, std::move(shape), data));
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        TensorProducer producer) {
  tensors_.push_back(formats::pending_tensor(std::move(name), type, std::move(shape), std::move(producer), "APR"));
}

void Writer::add_tensor(std::string name, GgmlType type, std::vector<std::int64_t> shape,
                        ChunkProducer producer, std::uint64_t chunk_hint) {
  tensors_.push_back(
      formats::pending_tensor(std::move(name), type, std::move(shape), std::move(producer), chunk_hint, "APR"));
}

void Writer::write(const std::filesystem::path& path, Durability durability) const {
  if (!metadata_.is_object()) throw validation_error("APR metadata must be a JSON object").at_path(path.string());
  if (tensors_.size() > 0xFFFFFFFFull) throw validation_error("too many tensors for APR").at_path(path.string());
  const double t_start = phase_clock();
  const std::string meta = metadata_.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict);
  if (meta.size() > kMaxMetadata)
    throw validation_error("metadata JSON: expected at most 16 MiB, found " + std::to_string(meta.size()) + " bytes")
        .at_path(path.string());

  std::vector<const Pending*> items;
  for (const auto& t : tensors_) items.push_back(&t);
  std::sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->name < b->name; });

  std::string index;
  std::vector<std::uint64_t> sizes;
  std::uint64_t offset = 0;
  bool quantized = false;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Pending& t = *items[k];
    auto located = [&](Error e) { return std::move(e.at_tensor(t.name).at_path(path.string())); };
    if (k > 0 && items[k - 1]->name == t.name) throw located(validation_error("duplicate tensor name"));
    if (t.name.empty() || t.name.size() > kMaxName)
      throw located(validation_error("name length: expected 1..256 bytes, found " + std::to_string(t.name.size())));
    if (t.shape.size() > kMaxDims)
      throw located(validation_error("ndim: expected at most 8, found " + std::to_string(t.shape.size())));
    std::uint64_t nb;
    try {
      require_supported_dtype(static_cast<std::uint32_t>(t.type));
      nb = tensor_bytes(t.type, t.shape);
    } catch (Error& e) {
      throw located(std::move(e));
    }
    if (!t.producer && !t.chunk && t.data.size() != nb)
      throw located(validation_error("data size: expected " + std::to_string(nb) + " bytes, found " + std::to_string(t.data.size())));
    quantized = quantized || is_quantized(t.type);
    auto put = [&](auto v) {
      char b[sizeof v];
      std::memcpy(b, &v, sizeof v);
      index.append(b, sizeof v);
    };
    put(static_cast<std::uint16_t>(t.name.size()));
    index += t.name;
    put(static_cast<std::uint8_t>(t.type));
    put(static_cast<std::uint8_t>(t.shape.size()));
    for (auto dim : t.shape) put(static_cast<std::uint64_t>(dim));
    put(offset);
    put(nb);
    sizes.push_back(nb);
    offset += formats::align_up(nb, kAlign);
  }

  HeaderFields h;
  h.flags = kFlagRowMajor | (quantized ? kFlagQuantized : 0);
  h.tensor_count = static_cast<std::uint32_t>(items.size());
  h.metadata_size = static_cast<std::uint32_t>(meta.size());
  h.index_offset = kHeaderSize + formats::align_up(meta.size(), kAlign);
  h.data_offset = h.index_offset + formats::align_up(index.size(), kAlign);
  std::byte hdr[kHeaderSize] = {};
  std::memcpy(hdr, "APR\0", 4);
  store_le<std::uint8_t>(hdr + 4, 2);
  store_le<std::uint8_t>(hdr + 5, 0);
  store_le(hdr + 6, h.flags);
  store_le(hdr + 8, h.tensor_count);
  store_le<std::uint64_t>(hdr + 12, kHeaderSize);
  store_le(hdr + 20, h.metadata_size);
  store_le(hdr + 24, h.index_offset);
  store_le(hdr + 32, h.data_offset);
  store_le(hdr + 40, header_crc(hdr));

  CrcSink out(path, durability);
  out.file().reserve(h.data_offset + offset + 4);  // exact: aligned tensors, then the footer CRC
  out.write({hdr, kHeaderSize});
  out.write(as_bytes(meta));
  out.zeros(h.index_offset - kHeaderSize - meta.size());
  out.write(as_bytes(index));
  out.zeros(h.data_offset - h.index_offset - index.size());
  phase_add("header", phase_clock() - t_start);
  std::vector<std::byte> buf;
  for (std::size_t k = 0; k < items.size(); ++k) {
    const Pending& t = *items[k];
    if (t.chunk && t.source) {
      out.copy(*t.source, t.source_offset, sizes[k]);  // passthrough: same bytes as t.chunk's
    } else if (t.chunk) {
      formats::stream_chunks(sizes[k], formats::chunk_bytes(t.type, t.shape, t.chunk_hint), t.chunk, buf,
                         [&](std::span<const std::byte> b) { out.write(b); });
    } else if (t.producer) {
      buf.assign(static_cast<std::size_t>(sizes[k]), std::byte{0});
      t.producer(std::span<std::byte>(buf));
      out.write(buf);
    } else {
      out.write(t.data);
    }
    out.zeros(formats::align_up(sizes[k], kAlign) - sizes[k]);
  }
  std::uint32_t footer = out.crc();
  out.file().write(std::span<const std::byte>(reinterpret_cast<const std::byte*>(&footer), 4));
  out.file().commit();
}

}  // namespace apr::aprfmt
