#include "formats/byte_cursor.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>

namespace apr::formats {

namespace {
constexpr std::uint64_t kWindow = 1u << 20;
std::uint64_t page_size() { return static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE)); }
void advise(const MappedFile& f, std::uint64_t begin, std::uint64_t end, int advice) {
  if (f.data() == nullptr || f.size() == 0) return;
  const std::uint64_t page = page_size();
  begin = begin / page * page;
  end = std::min(end, f.size());
  if (end <= begin) return;
  ::madvise(const_cast<std::byte*>(f.data()) + begin, end - begin, advice);  // advisory: errors ignored
}
}  // namespace

HeaderReadahead::HeaderReadahead(const MappedFile& f) : file_(f) { advise(f, 0, f.size(), MADV_RANDOM); }
HeaderReadahead::~HeaderReadahead() { advise(file_, 0, file_.size(), MADV_NORMAL); }
void HeaderReadahead::stream_all() {
  advise(file_, 0, file_.size(), MADV_SEQUENTIAL);
  done_ = file_.size();
}
void HeaderReadahead::advance(std::uint64_t end) {
  std::uint64_t to = std::min(file_.size(), align_up(end, kWindow));
  advise(file_, done_, to, MADV_WILLNEED);
  done_ = to;
}

std::string hex_bytes(const std::byte* p, std::size_t n) {
  static const char* kHex = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    if (i) s += ' ';
    auto b = static_cast<unsigned>(p[i]);
    s += kHex[b >> 4];
    s += kHex[b & 15];
  }
  return s;
}

}  // namespace apr::formats
