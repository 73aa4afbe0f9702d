#include "core/atomic_file.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <vector>

#include "core/error.hpp"

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
    throw io_error(std::string("cannot create temporary output: ") + std::strerror(errno))
        .at_path(tmp_.string());
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
    throw io_error(std::string("write failed: ") + std::strerror(errno)).at_path(tmp_.string());
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

void AtomicFile::patch(std::uint64_t offset, std::span<const std::byte> data) {
  if (std::fflush(f_) != 0 || std::fseek(f_, static_cast<long>(offset), SEEK_SET) != 0 ||
      std::fwrite(data.data(), 1, data.size(), f_) != data.size() ||
      std::fseek(f_, 0, SEEK_END) != 0) {
    throw io_error("patch failed").at_path(tmp_.string()).at_offset(offset);
  }
}

void AtomicFile::commit() {
  if (std::fflush(f_) != 0 || ::fsync(::fileno(f_)) != 0) {
    throw io_error(std::string("flush failed: ") + std::strerror(errno)).at_path(tmp_.string());
  }
  std::fclose(f_);
  f_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(tmp_, dst_, ec);
  if (ec) throw io_error("rename onto destination failed: " + ec.message()).at_path(dst_.string());
  committed_ = true;
}

void write_file_atomic(const std::filesystem::path& dst, std::string_view content) {
  AtomicFile f(dst);
  f.write(content);
  f.commit();
}

}  // namespace apr
