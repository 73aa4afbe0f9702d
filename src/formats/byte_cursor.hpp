// apr-qa formats (internal): a bounds-checked little-endian cursor over a mapped file.
//
// Every read checks the remaining bytes first and throws a one-line apr::Error naming the file,
// the field being read, its offset, and what was expected vs found. Counts read from a file are
// checked against the bytes left (need_for_count) before anything is reserved, so a hostile
// count can never cause an allocation larger than the file justifies.
// Not part of the public API; used by the GGUF, SafeTensors and APR readers.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "core/error.hpp"
#include "core/mapped_file.hpp"

namespace apr::formats {

static_assert(std::endian::native == std::endian::little, "apr-qa formats assume a little-endian host");

inline std::uint64_t align_up(std::uint64_t x, std::uint64_t a) { return x + (a - x % a) % a; }

// Lower-case hex of up to n bytes ("47 47 55 46").
std::string hex_bytes(const std::byte* p, std::size_t n);

// While a header is parsed, limit kernel readahead to what the parser actually reads: the mapping
// is advised MADV_RANDOM (no speculative read-around of up to read_ahead_kb into tensor data) and
// the header is prefetched with MADV_WILLNEED in 1 MiB windows just ahead of the cursor. The
// destructor restores MADV_NORMAL so later streaming of tensor data gets normal readahead.
class HeaderReadahead {
 public:
  explicit HeaderReadahead(const MappedFile& f);
  ~HeaderReadahead();
  HeaderReadahead(const HeaderReadahead&) = delete;
  HeaderReadahead& operator=(const HeaderReadahead&) = delete;
  void ensure(std::uint64_t end) {
    if (end > done_) advance(end);
  }
  // The whole file is about to be read front to back (APR footer CRC): MADV_SEQUENTIAL.
  void stream_all();

 private:
  void advance(std::uint64_t end);
  const MappedFile& file_;
  std::uint64_t done_ = 0;
};

class Cursor {
 public:
  Cursor(const MappedFile& file, std::uint64_t pos, std::uint64_t end)
      : file_(file), pos_(pos), end_(end) {}
  Cursor(const MappedFile& file, std::uint64_t pos) : Cursor(file, pos, file.size()) {}

  std::uint64_t pos() const noexcept { return pos_; }
  std::uint64_t end() const noexcept { return end_; }
  std::uint64_t remaining() const noexcept { return end_ - pos_; }
  const std::string& path() const noexcept { return path_cache(); }

  // Throws if fewer than n bytes remain (field names what was being read).
  void need(std::uint64_t n, std::string_view field) const {
    if (ra_ && n <= remaining()) ra_->ensure(pos_ + n);
    if (n > remaining()) {
      throw validation_error("truncated " + std::string(field) + ": expected " + std::to_string(n) +
                             " more bytes, found " + std::to_string(remaining()))
          .at_path(path())
          .at_offset(pos_);
    }
  }
  // A count of items that each take at least min_item_bytes must fit in the remaining bytes.
  void need_for_count(std::uint64_t count, std::uint64_t min_item_bytes, std::string_view field) const {
    if (min_item_bytes != 0 && count > remaining() / min_item_bytes) {
      throw validation_error(std::string(field) + " " + std::to_string(count) +
                             " cannot fit in the remaining " + std::to_string(remaining()) +
                             " bytes (each needs at least " + std::to_string(min_item_bytes) + ")")
          .at_path(path())
          .at_offset(pos_);
    }
  }

  template <typename T>
  T read(std::string_view field) {
    need(sizeof(T), field);
    T v;
    std::memcpy(&v, file_.data() + pos_, sizeof(T));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view bytes(std::uint64_t n, std::string_view field) {
    need(n, field);
    std::string_view s(reinterpret_cast<const char*>(file_.data() + pos_), static_cast<std::size_t>(n));
    pos_ += n;
    return s;
  }
  void skip(std::uint64_t n, std::string_view field) {
    need(n, field);
    pos_ += n;
  }
  void seek(std::uint64_t pos) noexcept { pos_ = pos; }
  void set_readahead(HeaderReadahead* ra) noexcept { ra_ = ra; }

  // An error located at the cursor (or at `at`).
  Error fail(ErrorCategory c, const std::string& msg) const { return fail_at(c, msg, pos_); }
  Error fail_at(ErrorCategory c, const std::string& msg, std::uint64_t at) const {
    return Error(c, msg).at_path(path()).at_offset(at);
  }

 private:
  const std::string& path_cache() const {
    if (path_.empty()) path_ = file_.path().string();
    return path_;
  }
  const MappedFile& file_;
  std::uint64_t pos_, end_;
  HeaderReadahead* ra_ = nullptr;
  mutable std::string path_;
};

}  // namespace apr::formats
