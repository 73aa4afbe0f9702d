// APR v2 reader: header CRC before trusting any field, strict index and data layout, optional
// footer CRC over the whole file (reads every byte; disable for header-only opens).
#include <algorithm>

#include "core/hash.hpp"
#include "core/json_parse.hpp"
#include "formats/apr.hpp"
#include "formats/apr_layout.hpp"
#include "formats/byte_cursor.hpp"

namespace apr::aprfmt {
namespace {

// CRC-32 of the file's first n bytes, through the mapping in 8 MiB steps, each step's pages
// released after its CRC: the check keeps nothing, so it no longer leaves the whole file
// resident (peak RSS of an APR -> GGUF conversion of a 1.27 GB model: 1,033 MB -> 83 MB) at the
// same CPU time. Measured against read() into a buffer (a kernel copy: more CPU than the page
// faults) and MADV_POPULATE_READ per step (no better): docs/performance.md.
std::uint32_t file_crc(const MappedFile& mf, std::uint64_t n) {
  constexpr std::uint64_t kStep = 8u << 20;
  std::uint32_t s = crc32_init();
  for (std::uint64_t at = 0; at < n; at += kStep) {
    const std::uint64_t m = std::min(kStep, n - at);
    s = crc32_update(s, mf.bytes().subspan(static_cast<std::size_t>(at), static_cast<std::size_t>(m)));
    mf.release(at, m);
  }
  return crc32_final(s);
}

}  // namespace

Result<Reader> Reader::open(const std::filesystem::path& path, bool verify_data_crc) {
  auto f = MappedFile::open(path);
  if (!f) return f.error();
  return parse(std::move(f.value()), verify_data_crc);
}

Result<Reader> Reader::parse(std::shared_ptr<const MappedFile> file, bool verify_data_crc) {
  return capture([&]() -> Reader {
    using formats::Cursor;
    const MappedFile& mf = *file;
    const std::string path = mf.path().string();
    auto fail = [&](ErrorCategory c, const std::string& m, std::uint64_t at) {
      return Error(c, m).at_path(path).at_offset(at);
    };
    if (mf.size() < kHeaderSize + 4)
      throw fail(ErrorCategory::validation, "file size: expected at least 68 bytes (header + footer), found " +
                                                std::to_string(mf.size()), 0);
    const std::byte* d = mf.data();
    formats::HeaderReadahead ra(mf);
    ra.ensure(kHeaderSize);
    if (std::memcmp(d, "APR\0", 4) != 0 && std::memcmp(d, "APR2", 4) != 0) {
      std::string hint = std::memcmp(d, "APR1", 4) == 0   ? " (APR v1 is not supported)"
                         : std::memcmp(d, "APRN", 4) == 0 ? " (classic-ML APRN files are not models)"
                                                          : "";
      throw fail(ErrorCategory::parse, "magic: expected 41 50 52 00 (\"APR\\0\"), found " + formats::hex_bytes(d, 4) + hint, 0);
    }
    HeaderFields h = decode_header(d);
    std::uint32_t crc = header_crc(d);
    if (crc != h.header_crc)
      throw fail(ErrorCategory::validation, "header CRC32: expected " + hex32(crc) + " (computed), found " + hex32(h.header_crc), 40);
    if (h.major != 2)
      throw fail(ErrorCategory::unsupported, "version: expected 2.x, found " + std::to_string(h.major) + "." +
                                                 std::to_string(h.minor), 4);
    if (h.flags & kFlagColumnMajor)
      throw fail(ErrorCategory::unsupported, "flags: LAYOUT_COLUMN_MAJOR (0x0800) is rejected; expected row-major", 6);
    if (h.flags & (kFlagLz4 | kFlagZstd | kFlagEncrypted))
      throw fail(ErrorCategory::unsupported, "flags: compression/encryption (0x0007 bits) not supported, found 0x" + hex16(h.flags), 6);
    if (h.flags & (kFlagSigned | kFlagSharded))
      throw fail(ErrorCategory::unsupported, "flags: SIGNED/SHARDED files are not supported, found 0x" + hex16(h.flags), 6);
    if (h.flags & ~kKnownFlags)
      throw fail(ErrorCategory::validation, "flags: unknown bits set, found 0x" + hex16(h.flags), 6);
    for (int k = 44; k < 64; ++k)
      if (d[k] != std::byte{0}) throw fail(ErrorCategory::validation, "reserved header bytes: expected 0, found 0x" + formats::hex_bytes(d + k, 1), k);
    if (h.metadata_offset != kHeaderSize)
      throw fail(ErrorCategory::validation, "metadata_offset: expected 64, found " + std::to_string(h.metadata_offset), 12);
    if (h.metadata_size > kMaxMetadata)
      throw fail(ErrorCategory::validation, "metadata_size: expected at most 16 MiB, found " + std::to_string(h.metadata_size), 20);
    const std::uint64_t footer_at = mf.size() - 4;
    const std::uint64_t index_expected = kHeaderSize + formats::align_up(h.metadata_size, kAlign);
    if (h.index_offset != index_expected)
      throw fail(ErrorCategory::validation, "tensor_index_offset: expected " + std::to_string(index_expected) + ", found " +
                                                std::to_string(h.index_offset), 24);
    if (h.data_offset < h.index_offset || h.data_offset % kAlign != 0 || h.data_offset > footer_at)
      throw fail(ErrorCategory::validation, "data_offset: expected a multiple of 64 in [" + std::to_string(h.index_offset) +
                                                ", " + std::to_string(footer_at) + "], found " + std::to_string(h.data_offset), 32);

    // With verification on, corruption anywhere is reported as such before the body is parsed.
    if (verify_data_crc) {
      ra.stream_all();
      std::uint32_t want;
      std::memcpy(&want, d + footer_at, 4);
      std::uint32_t got = file_crc(mf, footer_at);
      if (got != want)
        throw fail(ErrorCategory::validation, "footer CRC32: expected " + hex32(got) + " (computed over the file), found " +
                                                  hex32(want), footer_at);
    }
    Reader r;
    r.file_ = file;
    r.flags_ = h.flags;
    // Metadata JSON and its zero padding.
    ra.ensure(h.index_offset);
    std::string_view meta(reinterpret_cast<const char*>(d + kHeaderSize), h.metadata_size);
    if (h.metadata_size == 0) {
      r.metadata_ = nlohmann::json::object();
    } else {
      try {
        r.metadata_ = parse_json_bounded(meta, path);
      } catch (Error& e) {
        throw std::move(e.with_context("metadata").at_offset(kHeaderSize + e.offset().value_or(0)));
      }
      if (!r.metadata_.is_object())
        throw fail(ErrorCategory::parse, "metadata: expected a JSON object, found malformed JSON", kHeaderSize);
    }
    for (std::uint64_t p = kHeaderSize + h.metadata_size; p < h.index_offset; ++p)
      if (d[p] != std::byte{0}) throw fail(ErrorCategory::validation, "metadata padding: expected 0x00, found 0x" + formats::hex_bytes(d + p, 1), p);

    // Tensor index.
    Cursor c(mf, h.index_offset, h.data_offset);
    c.set_readahead(&ra);
    c.need_for_count(h.tensor_count, kMinIndexEntry, "tensor_count");
    r.tensors_.reserve(h.tensor_count);
    std::uint64_t expected_offset = 0;
    const std::uint64_t data_len = footer_at - h.data_offset;
    for (std::uint32_t k = 0; k < h.tensor_count; ++k) {
      std::uint64_t at = c.pos();
      TensorInfo ti;
      auto name_len = c.read<std::uint16_t>("tensor name length");
      if (name_len == 0 || name_len > kMaxName)
        throw c.fail_at(ErrorCategory::validation, "tensor name length: expected 1..256, found " + std::to_string(name_len), at);
      ti.name = std::string(c.bytes(name_len, "tensor name"));
      auto located = [&](Error e) { return std::move(e.at_tensor(ti.name)); };
      if (!r.tensors_.empty() && !(r.tensors_.back().name < ti.name))
        throw located(c.fail_at(ErrorCategory::validation, "tensor index: expected names sorted and unique, found '" + ti.name +
                                                               "' after '" + r.tensors_.back().name + "'", at));
      std::uint64_t type_at = c.pos();
      auto dtype = c.read<std::uint8_t>("dtype");
      try {
        ti.type = require_supported_dtype(dtype);
      } catch (Error& e) {
        throw located(std::move(e).at_path(path).at_offset(type_at));
      }
      std::uint64_t nd_at = c.pos();
      auto ndim = c.read<std::uint8_t>("ndim");
      if (ndim > kMaxDims)
        throw located(c.fail_at(ErrorCategory::validation, "ndim: expected at most 8, found " + std::to_string(ndim), nd_at));
      for (int k2 = 0; k2 < ndim; ++k2) {
        auto dim = c.read<std::uint64_t>("dim");
        if (dim > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
          throw located(c.fail_at(ErrorCategory::validation, "dim: expected <= INT64_MAX, found " + std::to_string(dim), c.pos() - 8));
        ti.shape.push_back(static_cast<std::int64_t>(dim));
      }
      std::uint64_t bytes;
      try {
        bytes = tensor_bytes(ti.type, ti.shape);
      } catch (Error& e) {
        throw located(std::move(e).at_path(path).at_offset(nd_at));
      }
      std::uint64_t off_at = c.pos();
      ti.offset = c.read<std::uint64_t>("tensor offset");
      ti.size = c.read<std::uint64_t>("tensor size");
      if (ti.size != bytes)
        throw located(c.fail_at(ErrorCategory::validation, "size: expected " + std::to_string(bytes) + " (" +
                                                               std::string(dtype_name(ti.type)) + " of this shape), found " +
                                                               std::to_string(ti.size), off_at + 8));
      if (ti.offset != expected_offset)
        throw located(c.fail_at(ErrorCategory::validation, "offset: expected " + std::to_string(expected_offset) +
                                                               " (64-aligned running sum), found " + std::to_string(ti.offset), off_at));
      if (ti.size > data_len || ti.offset > data_len - ti.size)
        throw located(c.fail_at(ErrorCategory::validation, "data: expected [offset, offset+size) inside the " +
                                                               std::to_string(data_len) + "-byte data region", off_at));
      expected_offset += formats::align_up(ti.size, kAlign);
      r.tensors_.push_back(std::move(ti));
    }
    std::uint64_t index_end = c.pos();
    if (h.data_offset != formats::align_up(index_end, kAlign))
      throw fail(ErrorCategory::validation, "data_offset: expected " + std::to_string(formats::align_up(index_end, kAlign)) +
                                                " (index end padded to 64), found " + std::to_string(h.data_offset), 32);
    for (std::uint64_t p = index_end; p < h.data_offset; ++p)
      if (d[p] != std::byte{0}) throw fail(ErrorCategory::validation, "index padding: expected 0x00, found 0x" + formats::hex_bytes(d + p, 1), p);
    if (expected_offset != data_len)
      throw fail(ErrorCategory::validation, "data region: expected " + std::to_string(expected_offset) +
                                                " bytes before the footer, found " + std::to_string(data_len), h.data_offset);
    for (auto& ti : r.tensors_) ti.data = mf.bytes().subspan(h.data_offset + ti.offset, ti.size);
    return r;
  });
}

const TensorInfo* Reader::find_tensor(std::string_view name) const {
  auto it = std::lower_bound(tensors_.begin(), tensors_.end(), name,
                             [](const TensorInfo& t, std::string_view n) { return t.name < n; });
  return (it != tensors_.end() && it->name == name) ? &*it : nullptr;
}

}  // namespace apr::aprfmt
