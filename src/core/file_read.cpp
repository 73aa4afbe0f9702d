#include "core/file_read.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "core/error.hpp"

namespace apr {
namespace {

const char* kind_of(mode_t m) {
  if (S_ISFIFO(m)) return "a FIFO";
  if (S_ISSOCK(m)) return "a socket";
  if (S_ISCHR(m)) return "a character device";
  if (S_ISBLK(m)) return "a block device";
  return "not a regular file";
}

[[noreturn]] void refuse(const std::filesystem::path& path, std::string_view what, mode_t m) {
  if (S_ISDIR(m)) throw io_error("is a directory, expected " + std::string(what)).at_path(path.string());
  throw validation_error(std::string("is ") + kind_of(m) + ", expected " + std::string(what) + " (a regular file)")
      .at_path(path.string());
}

}  // namespace

void require_regular_file(const std::filesystem::path& path, std::string_view what) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    throw io_error(std::string("cannot open: ") + std::strerror(errno)).at_path(path.string());
  if (!S_ISREG(st.st_mode)) refuse(path, what, st.st_mode);
}

int open_regular_file(const std::filesystem::path& path, std::string_view what, std::uint64_t* size) {
  // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) throw io_error(std::string("cannot open: ") + std::strerror(errno)).at_path(path.string());
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    throw io_error(std::string("cannot stat: ") + std::strerror(e)).at_path(path.string());
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    refuse(path, what, st.st_mode);
  }
  // Regular files ignore O_NONBLOCK for reads; clear it anyway so the descriptor behaves plainly.
  int fl = ::fcntl(fd, F_GETFL);
  if (fl >= 0) (void)::fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  if (size) *size = static_cast<std::uint64_t>(st.st_size);
  return fd;
}

std::string read_regular_file(const std::filesystem::path& path, std::string_view what, std::uint64_t max_bytes) {
  std::uint64_t size = 0;
  int fd = open_regular_file(path, what, &size);
  if (size > max_bytes) {
    ::close(fd);
    throw validation_error("expected " + std::string(what) + " of at most " + std::to_string(max_bytes) +
                           " bytes, found " + std::to_string(size))
        .at_path(path.string());
  }
  std::string out(static_cast<std::size_t>(size), '\0');
  std::size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(fd, out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int e = errno;
      ::close(fd);
      throw io_error(std::string("cannot read: ") + std::strerror(e)).at_path(path.string());
    }
    if (n == 0) break;  // shrank while reading
    got += static_cast<std::size_t>(n);
  }
  ::close(fd);
  out.resize(got);
  return out;
}

}  // namespace apr
