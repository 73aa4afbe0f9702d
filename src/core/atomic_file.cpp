#include "core/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "core/phase_times.hpp"
#include "core/switches.hpp"

namespace apr {
namespace {
std::atomic<unsigned> g_counter{0};

Error write_error(const std::string& what, int e, const std::filesystem::path& p, std::uint64_t at) {
  return std::move(io_error(std::string(what) + ": " + std::strerror(e)).at_path(p.string()).at_offset(at).with_errno(e));
}
}  // namespace

AtomicFile::AtomicFile(std::filesystem::path destination, Durability durability)
    : dst_(std::move(destination)), durability_(durability) {
  auto dir = dst_.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  tmp_ = dir / ("." + dst_.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                std::to_string(g_counter.fetch_add(1)));
  fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd_ < 0) {
    const int e = errno;
    throw io_error(std::string("cannot create temporary output: ") + std::strerror(e)).at_path(tmp_.string()).with_errno(e);
  }
  buf_.reserve(kBufferBytes);
}

AtomicFile::~AtomicFile() {
  if (copy_s_ > 0) phase_add("copy", copy_s_);
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void AtomicFile::put(std::span<const std::byte> data, std::uint64_t at) {
  while (!data.empty()) {
    const ssize_t n = ::pwrite(fd_, data.data(), std::min<std::size_t>(data.size(), 1u << 30), static_cast<off_t>(at));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw write_error("write failed", errno, tmp_, at);
    }
    if (n == 0) throw write_error("write failed", EIO, tmp_, at);
    data = data.subspan(static_cast<std::size_t>(n));
    at += static_cast<std::uint64_t>(n);
  }
}

void AtomicFile::flush_buffer() {
  if (buf_.empty()) return;
  put(buf_, pos_ - buf_.size());
  buf_.clear();
  write_behind();
}

void AtomicFile::write_behind() {
#ifdef __linux__
  // Only SYNC_FILE_RANGE_WRITE: start the writeback, never wait for it here (and so never take
  // the file's write error away from commit()'s fdatasync). Advisory: failures are ignored.
  const std::uint64_t end = pos_ - buf_.size();
  if (durability_ == Durability::scratch || end - wb_ < kWriteBehind) return;
  ::sync_file_range(fd_, static_cast<off64_t>(wb_), static_cast<off64_t>(end - wb_), SYNC_FILE_RANGE_WRITE);
  wb_ = end;
#endif
}

void AtomicFile::write(std::span<const std::byte> data) {
  if (data.empty()) return;
  if (data.size() >= kDirectBytes) {  // large: straight to the file, no copy into the buffer
    flush_buffer();
    put(data, pos_);
    pos_ += data.size();
    write_behind();
    return;
  }
  if (buf_.size() + data.size() > kBufferBytes) flush_buffer();
  buf_.insert(buf_.end(), data.begin(), data.end());
  pos_ += data.size();
}

void AtomicFile::write(std::string_view text) {
  write(std::span<const std::byte>(reinterpret_cast<const std::byte*>(text.data()), text.size()));
}

void AtomicFile::write_zeros(std::uint64_t n) {
  static const std::vector<std::byte> zeros(4096);
  while (n > 0) {
    std::size_t k = static_cast<std::size_t>(std::min<std::uint64_t>(n, zeros.size()));
    write(std::span<const std::byte>(zeros.data(), k));
    n -= k;
  }
}

std::uint64_t AtomicFile::copy_from(int src_fd, std::uint64_t src_offset, std::uint64_t len) {
  if (len == 0) return 0;
  // Escape hatch (and the tests' way to exercise the fallback): APR_QA_NO_COPY_FILE_RANGE=1.
  if (switches().no_copy_file_range) return 0;
  flush_buffer();
  std::uint64_t done = 0;
  const double t0 = phase_clock();
#ifdef __linux__
  while (done < len) {
    loff_t in_off = static_cast<loff_t>(src_offset + done);
    loff_t out_off = static_cast<loff_t>(pos_);
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(len - done, 1u << 30));
    const ssize_t n = ::copy_file_range(src_fd, &in_off, fd_, &out_off, want, 0);
    if (n > 0) {
      done += static_cast<std::uint64_t>(n);
      pos_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) break;  // source shorter than asked: the caller writes the rest
    const int e = errno;
    if (e == EINTR) continue;
    if (e == ENOSPC || e == EIO || e == EDQUOT || e == EFBIG || e == ENOMEM)
      throw write_error("copy_file_range failed", e, tmp_, pos_);
    break;  // EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, EBADF, EPERM, ...: not possible here, fall back
  }
#else
  (void)src_fd;
  (void)src_offset;
#endif
  copy_s_ += phase_clock() - t0;
  if (done > 0) write_behind();
  return done;
}

void AtomicFile::reserve(std::uint64_t total_bytes) {
#ifdef __linux__
  if (total_bytes < kWriteBehind || total_bytes <= reserved_) return;
  if (::fallocate(fd_, FALLOC_FL_KEEP_SIZE, 0, static_cast<off_t>(total_bytes)) == 0) {
    reserved_ = total_bytes;
    return;
  }
  const int e = errno;
  if (e == ENOSPC || e == EDQUOT || e == EFBIG) throw write_error("cannot reserve " + std::to_string(total_bytes) + " bytes", e, tmp_, 0);
#else
  (void)total_bytes;
#endif
}

void AtomicFile::patch(std::uint64_t offset, std::span<const std::byte> data) {
  if (offset + data.size() > pos_)
    throw io_error("patch past the end of what was written").at_path(tmp_.string()).at_offset(offset);
  flush_buffer();
  put(data, offset);
}

void AtomicFile::commit() {
  flush_buffer();
  // Blocks reserved past what was written stay allocated beyond the end (KEEP_SIZE): free them.
  if (reserved_ > pos_ && ::ftruncate(fd_, static_cast<off_t>(pos_)) != 0) throw write_error("truncate failed", errno, tmp_, pos_);
  {
    PhaseScope p("fsync");
    if (durability_ == Durability::durable && ::fdatasync(fd_) != 0) throw write_error("flush failed", errno, tmp_, pos_);
  }
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw write_error("close failed", errno, tmp_, pos_);
  PhaseScope p("rename");
  std::error_code ec;
  std::filesystem::rename(tmp_, dst_, ec);
  if (ec) throw io_error("rename onto destination failed: " + ec.message()).at_path(dst_.string()).with_errno(ec.value());
  committed_ = true;
  // The new name is durable once its directory is: fsync the directory for model-sized outputs
  // (best effort: some filesystems refuse fsync on a directory descriptor; the file's bytes are
  // already durable). Small files (JSON, logs: the runner writes hundreds) skip it: a directory
  // fsync measured ~4 ms here, as much as the small file's own commit.
  if (durability_ == Durability::scratch || pos_ < kWriteBehind) return;
  auto dir = dst_.parent_path();
  if (dir.empty()) dir = ".";
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const std::filesystem::path& dst, std::string_view content) {
  AtomicFile f(dst);
  f.write(content);
  f.commit();
}

}  // namespace apr
