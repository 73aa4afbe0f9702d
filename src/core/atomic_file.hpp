// apr-qa core: write-to-temp-then-rename, so a failed or killed writer leaves nothing behind.
//
//   AtomicFile out(dst);          // creates "<dst-dir>/.<name>.tmp-<pid>-<n>"
//   out.write(bytes) ...           // buffered writes, throws io Error on failure
//   out.commit();                  // fsync + rename onto dst
// If commit() is never reached the destructor removes the temporary file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string_view>

namespace apr {

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path destination);
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  void write(std::span<const std::byte> data);
  void write(std::string_view text);
  void write_zeros(std::uint64_t n);
  // Appends up to len bytes of src_fd starting at src_offset, file to file in the kernel
  // (copy_file_range: no copy through user space; a reflink where the filesystem shares
  // extents). Returns the number of bytes appended, which is less than len when the kernel
  // cannot copy between these files (EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, EPERM, ...) or the source
  // ends early: the caller writes the rest with write(). Other failures (ENOSPC, EIO) throw an
  // io Error naming the temporary file. APR_QA_NO_COPY_FILE_RANGE=1 (non-empty, not "0") makes it
  // return 0 at once, so callers take their write() path.
  std::uint64_t copy_from(int src_fd, std::uint64_t src_offset, std::uint64_t len);
  std::uint64_t position() const noexcept { return pos_; }
  // Overwrite bytes already written at an earlier position (for headers patched at the end).
  void patch(std::uint64_t offset, std::span<const std::byte> data);
  void commit();
  const std::filesystem::path& temp_path() const noexcept { return tmp_; }

 private:
  std::filesystem::path dst_, tmp_;
  std::FILE* f_ = nullptr;
  std::uint64_t pos_ = 0;
  bool committed_ = false;
};

// Whole-file convenience.
void write_file_atomic(const std::filesystem::path& dst, std::string_view content);

}  // namespace apr
