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

bool is_valid_utf8(std::string_view s) noexcept {
  std::size_t i = 0, n = s.size();
  while (i < n) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    std::size_t len;
    std::uint32_t cp;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > n) return false;
    for (std::size_t k = 1; k < len; ++k) {
      auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

}  // namespace apr::formats
