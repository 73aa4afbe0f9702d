#include "core/disk_space.hpp"

#include <sys/statvfs.h>

#include <cerrno>
#include <cstdio>

#include "core/error.hpp"
#include "core/switches.hpp"

namespace apr {

namespace fs = std::filesystem;

std::optional<std::uint64_t> free_bytes(const fs::path& p) {
  if (switches().test_free_bytes) return *switches().test_free_bytes;
  std::error_code ec;
  fs::path at = p.empty() ? fs::path(".") : fs::absolute(p, ec);
  if (ec) return std::nullopt;
  while (!fs::exists(at, ec)) {
    if (!at.has_parent_path() || at.parent_path() == at) return std::nullopt;
    at = at.parent_path();
  }
  struct statvfs st {};
  if (::statvfs(at.c_str(), &st) != 0) return std::nullopt;
  if (st.f_blocks == 0) return std::nullopt;  // a pseudo file system (/proc, /sys): no capacity to compare with
  return static_cast<std::uint64_t>(st.f_bavail) * static_cast<std::uint64_t>(st.f_frsize);
}

std::string human_bytes(std::uint64_t n) {
  static const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB"};
  if (n < 1000) return std::to_string(n) + " bytes";
  double v = static_cast<double>(n);
  int u = 0;
  while (v >= 1000.0 && u < 5) {
    v /= 1000.0;
    ++u;
  }
  char b[32];
  std::snprintf(b, sizeof b, "%.1f %s", v, units[u]);
  return b;
}

void require_free_bytes(const fs::path& dir, std::uint64_t needed, const std::string& what) {
  const auto avail = free_bytes(dir);
  if (!avail || needed <= *avail) return;  // cannot ask: the write itself reports a full disk
  throw io_error("not enough free disk space for " + what + ": needs about " + human_bytes(needed) + " (" +
                 std::to_string(needed) + " bytes, estimated), " + human_bytes(*avail) + " (" + std::to_string(*avail) +
                 " bytes) free")
      .at_path(dir.string())
      .with_errno(ENOSPC);
}

}  // namespace apr
