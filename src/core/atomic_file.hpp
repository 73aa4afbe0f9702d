// apr-qa core: write-to-temp-then-rename, so a failed or killed writer leaves nothing behind.
//
//   AtomicFile out(dst);          // creates "<dst-dir>/.<name>.tmp-<pid>-<n>"
//   out.write(bytes) ...           // buffered writes, throws io Error on failure
//   out.commit();                  // fdatasync + rename onto dst (+ fsync of the directory for
//                                  // outputs of kWriteBehind bytes or more: model files)
// If commit() is never reached the destructor removes the temporary file.
//
// Large outputs (models of GBs): writes of kDirectBytes or more go to the file directly,
// and every kWriteBehind bytes that reached the file are handed to the kernel's writeback at once
// (sync_file_range SYNC_FILE_RANGE_WRITE: start writing, do not wait), so the disk writes while
// the writer produces the next bytes instead of all at commit. commit()'s fdatasync then waits for
// what is still in flight and reports any write error (sync_file_range is asked never to wait,
// so it does not consume the file's error state). Durability is commit()'s, as before.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <span>
#include <string_view>
#include <vector>

namespace apr {

// durable: commit() makes the bytes and the name durable (fdatasync, directory fsync) and large
// outputs start their writeback as they go. scratch: a file that lives only as long as the run
// that made it (`apr-qa run`'s converted artifacts, removed when the run ends, and recorded by
// sha256): still written to a temporary and renamed, so a reader never sees half a file, but
// never forced to the disk — no writeback started, no fdatasync, no directory fsync. The kernel
// writes it back when it wants, or never when it is deleted first (a file system mounted with
// `discard` then has nothing to trim). A write error that only the device reports later is not
// seen at commit(); a crash may leave a scratch file short or stale under its name, so whoever
// trusts one across a restart checks its recorded sha256 first (`run --resume` does).
enum class Durability { durable, scratch };

class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path destination, Durability durability = Durability::durable);
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
  // The writer's exact final size, when it knows it before writing: the filesystem allocates
  // the blocks in one go (fallocate FALLOC_FL_KEEP_SIZE; the size still grows only as bytes are
  // written) instead of one delayed-allocation reservation per page (ext4: ~0.1-0.2 CPU-s less
  // per GB, docs/performance.md). Outputs under kWriteBehind bytes are left alone. Advisory where
  // the filesystem cannot (EOPNOTSUPP, ...); a disk that cannot hold the bytes is an io Error
  // with errno ENOSPC/EDQUOT/EFBIG (environment, exit 3). Should fewer bytes be written, commit()
  // frees the rest.
  void reserve(std::uint64_t total_bytes);
  // Overwrite bytes already written at an earlier position (for headers patched at the end).
  void patch(std::uint64_t offset, std::span<const std::byte> data);
  void commit();
  const std::filesystem::path& temp_path() const noexcept { return tmp_; }

  static constexpr std::size_t kBufferBytes = 1u << 20;         // small writes are gathered up to this
  static constexpr std::size_t kDirectBytes = 256u << 10;       // writes this large skip the buffer
  static constexpr std::uint64_t kWriteBehind = 32ull << 20;    // writeback started every this many bytes

 private:
  void flush_buffer();                                  // buf_ -> file at pos_ - buf_.size()
  void put(std::span<const std::byte> data, std::uint64_t at);  // pwrite all of it, or throw
  void write_behind();                                  // start writeback of [wb_, file end)

  std::filesystem::path dst_, tmp_;
  Durability durability_ = Durability::durable;
  int fd_ = -1;
  std::vector<std::byte> buf_;  // bytes not yet in the file; they end at pos_
  std::uint64_t pos_ = 0;       // logical end: file bytes + buffered bytes
  std::uint64_t wb_ = 0;        // writeback was started for [0, wb_)
  std::uint64_t reserved_ = 0;  // fallocate'd bytes (reserve)
  bool committed_ = false;
  double copy_s_ = 0;           // wall time inside copy_from (phase "copy", added when the object ends)
};

// Whole-file convenience.
void write_file_atomic(const std::filesystem::path& dst, std::string_view content);

}  // namespace apr
