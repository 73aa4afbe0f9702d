// apr-qa core: read-only memory-mapped files.
//
// Opening maps the whole file with PROT_READ/MAP_PRIVATE; no page is touched until it is read,
// so parsing a header of a multi-GB model costs only the header pages. The file descriptor stays
// open (O_RDONLY|O_CLOEXEC) for the object's lifetime, so writers can copy byte ranges
// file-to-file (copy_file_range) from the very inode that is mapped.
// Thread safety: a MappedFile is immutable after open and may be shared across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>

#include "core/result.hpp"

namespace apr {

class MappedFile {
 public:
  // Fails with an io Error naming the path if it is missing, a directory, or cannot be mapped.
  static Result<std::shared_ptr<const MappedFile>> open(const std::filesystem::path& path);

  ~MappedFile();
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;

  const std::filesystem::path& path() const noexcept { return path_; }
  std::uint64_t size() const noexcept { return size_; }
  const std::byte* data() const noexcept { return data_; }
  std::span<const std::byte> bytes() const noexcept { return {data_, static_cast<std::size_t>(size_)}; }
  // Bounds-checked sub-span; throws a validation Error naming the path if [offset, offset+len) leaves the file.
  std::span<const std::byte> slice(std::uint64_t offset, std::uint64_t len) const;

  // Tell the kernel the given range will not be needed again (drops it from RSS after streaming copies).
  void release(std::uint64_t offset, std::uint64_t len) const noexcept;
  // Map the (page-cached) pages of [offset, offset+len) in one call instead of one fault per
  // page before a streaming read (MADV_POPULATE_READ, Linux >= 5.14; advisory, no-op elsewhere).
  void populate(std::uint64_t offset, std::uint64_t len) const noexcept;
  // The read-only descriptor of the mapped file (-1 for an empty file, which is not mapped).
  int fd() const noexcept { return fd_; }

 private:
  MappedFile() = default;
  std::filesystem::path path_;
  const std::byte* data_ = nullptr;
  std::uint64_t size_ = 0;
  int fd_ = -1;
};

}  // namespace apr
