#include "core/mapped_file.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace apr {

Result<std::shared_ptr<const MappedFile>> MappedFile::open(const std::filesystem::path& path) {
  // O_NONBLOCK: a FIFO must be refused below, not waited on; regular files ignore it.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    return io_error(std::string("cannot open: ") + std::strerror(errno)).at_path(path.string());
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return io_error(std::string("cannot stat: ") + std::strerror(e)).at_path(path.string());
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return io_error("is a directory, expected a model file").at_path(path.string());
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    const char* kind = S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISSOCK(st.st_mode) ? "a socket" : "a device or special file";
    return validation_error(std::string("is ") + kind + ", expected a model file (a regular file)").at_path(path.string());
  }
  if (int fl = ::fcntl(fd, F_GETFL); fl >= 0) (void)::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  auto mf = std::shared_ptr<MappedFile>(new MappedFile());
  mf->path_ = path;
  mf->size_ = static_cast<std::uint64_t>(st.st_size);
  if (mf->size_ > 0) {
    void* p = ::mmap(nullptr, mf->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return io_error(std::string("mmap failed: ") + std::strerror(e)).at_path(path.string());
    }
    mf->data_ = static_cast<const std::byte*>(p);
    mf->fd_ = fd;
  } else {
    ::close(fd);
  }
  return std::shared_ptr<const MappedFile>(std::move(mf));
}

MappedFile::~MappedFile() {
  if (data_ != nullptr && size_ > 0) ::munmap(const_cast<std::byte*>(data_), size_);
  if (fd_ >= 0) ::close(fd_);
}

std::span<const std::byte> MappedFile::slice(std::uint64_t offset, std::uint64_t len) const {
  if (offset > size_ || len > size_ - offset) {
    throw validation_error("range [" + std::to_string(offset) + ", +" + std::to_string(len) +
                           ") lies outside the file of " + std::to_string(size_) + " bytes")
        .at_path(path_.string())
        .at_offset(offset);
  }
  return {data_ + offset, static_cast<std::size_t>(len)};
}

void MappedFile::release(std::uint64_t offset, std::uint64_t len) const noexcept {
  if (data_ == nullptr) return;
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  std::uint64_t begin = (offset + page - 1) / page * page;
  std::uint64_t end = std::min(size_, offset + len) / page * page;
  if (end > begin) ::madvise(const_cast<std::byte*>(data_) + begin, end - begin, MADV_DONTNEED);
}

void MappedFile::populate(std::uint64_t offset, std::uint64_t len) const noexcept {
#ifdef __linux__
  if (data_ == nullptr || offset >= size_) return;
  constexpr int kPopulateRead = 22;  // MADV_POPULATE_READ (older headers lack the name)
  const std::uint64_t page = static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
  const std::uint64_t begin = offset / page * page;
  const std::uint64_t end = std::min(size_, offset + len);
  if (end > begin) ::madvise(const_cast<std::byte*>(data_) + begin, end - begin, kPopulateRead);
#else
  (void)offset;
  (void)len;
#endif
}

}  // namespace apr
