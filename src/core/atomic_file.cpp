#include "core/atomic_file.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "core/switches.hpp"

namespace apr {
namespace {
std::atomic<unsigned> g_counter{0};
}

AtomicFile::AtomicFile(std::filesystem::path destination) : dst_(std::move(destination)) {
  auto dir = dst_.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  tmp_ = dir / ("." + dst_.filename().string() + ".tmp-" + std::to_string(::getpid()) + "-" +
                std::to_string(g_counter.fetch_add(1)));
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (!f_) {
    const int e = errno;
    throw io_error(std::string("cannot create temporary output: ") + std::strerror(e)).at_path(tmp_.string()).with_errno(e);
  }
  std::setvbuf(f_, nullptr, _IOFBF, 1 << 20);
}

AtomicFile::~AtomicFile() {
  if (f_) std::fclose(f_);
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(tmp_, ec);
  }
}

void AtomicFile::write(std::span<const std::byte> data) {
  if (data.empty()) return;
  if (std::fwrite(data.data(), 1, data.size(), f_) != data.size()) {
    const int e = errno;
    throw io_error(std::string("write failed: ") + std::strerror(e)).at_path(tmp_.string()).with_errno(e);
  }
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
  if (std::fflush(f_) != 0) {
    const int e = errno;
    throw io_error(std::string("write failed: ") + std::strerror(e)).at_path(tmp_.string()).with_errno(e);
  }
  const int out = ::fileno(f_);
  std::uint64_t done = 0;
#ifdef __linux__
  while (done < len) {
    loff_t in_off = static_cast<loff_t>(src_offset + done);
    loff_t out_off = static_cast<loff_t>(pos_);
    const std::size_t want = static_cast<std::size_t>(std::min<std::uint64_t>(len - done, 1u << 30));
    const ssize_t n = ::copy_file_range(src_fd, &in_off, out, &out_off, want, 0);
    if (n > 0) {
      done += static_cast<std::uint64_t>(n);
      pos_ += static_cast<std::uint64_t>(n);
      continue;
    }
    if (n == 0) break;  // source shorter than asked: the caller writes the rest
    const int e = errno;
    if (e == EINTR) continue;
    if (e == ENOSPC || e == EIO || e == EDQUOT || e == EFBIG || e == ENOMEM) {
      throw io_error(std::string("copy_file_range failed: ") + std::strerror(e)).at_path(tmp_.string()).at_offset(pos_).with_errno(e);
    }
    break;  // EXDEV, ENOSYS, EINVAL, EOPNOTSUPP, EBADF, EPERM, ...: not possible here, fall back
  }
#else
  (void)src_fd;
  (void)src_offset;
#endif
  // The explicit output offset left the descriptor's position alone: move the stream to the end.
  if (done > 0 && std::fseek(f_, static_cast<long>(pos_), SEEK_SET) != 0) {
    throw io_error(std::string("seek failed: ") + std::strerror(errno)).at_path(tmp_.string()).at_offset(pos_);
  }
  return done;
}

void AtomicFile::patch(std::uint64_t offset, std::span<const std::byte> data) {
  if (std::fflush(f_) != 0 || std::fseek(f_, static_cast<long>(offset), SEEK_SET) != 0 ||
      std::fwrite(data.data(), 1, data.size(), f_) != data.size() ||
      std::fseek(f_, 0, SEEK_END) != 0) {
    const int e = errno;
    throw io_error(std::string("patch failed: ") + std::strerror(e)).at_path(tmp_.string()).at_offset(offset).with_errno(e);
  }
}

void AtomicFile::commit() {
  if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0) {
    const int e = errno;
    throw io_error(std::string("flush failed: ") + std::strerror(e)).at_path(tmp_.string()).with_errno(e);
  }
  std::fclose(f_);
  f_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(tmp_, dst_, ec);
  if (ec) throw io_error("rename onto destination failed: " + ec.message()).at_path(dst_.string()).with_errno(ec.value());
  committed_ = true;
}

void write_file_atomic(const std::filesystem::path& dst, std::string_view content) {
  AtomicFile f(dst);
  f.write(content);
  f.commit();
}

}  // namespace apr
