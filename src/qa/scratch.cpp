#include "qa/scratch.hpp"

#include <sys/statfs.h>

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <span>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/disk_space.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/output_dir.hpp"
#include "qa/plan.hpp"
#include "qa/shard.hpp"

namespace apr::qa {

namespace fs = std::filesystem;

namespace {
constexpr long kTmpfsMagic = 0x01021994;  // TMPFS_MAGIC (linux/magic.h)
constexpr std::uint64_t kRunFilesBytes = 64ull << 20;

std::uint64_t mem_available() {
  std::ifstream in("/proc/meminfo");
  std::string key;
  std::uint64_t kb = 0;
  std::string unit;
  while (in >> key >> kb) {
    std::getline(in, unit);
    if (key == "MemAvailable:") return kb * 1024;
  }
  return 0;
}
}  // namespace

fs::path work_dir_for(const fs::path& scratch, const fs::path& out_dir) {
  fs::path o = fs::absolute(out_dir).lexically_normal();
  if (o.filename().empty()) o = o.parent_path();  // "out/" and "out" are one folder
  const std::string out = o.string();
  const std::string h = sha256_hex(std::as_bytes(std::span(out.data(), out.size())));
  return fs::absolute(scratch).lexically_normal() / ("apr-qa-" + h.substr(0, 16));
}

std::uint64_t ScratchSpace::usable() const {
  return tmpfs && mem_available > 0 ? std::min(free_bytes, mem_available) : free_bytes;
}

ScratchSpace scratch_space(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw io_error("--scratch: expected an existing directory").at_path(dir.string()).with_errno(ENOENT);
  check_output_dir(dir, "--scratch", false);  // not writable: exit 3
  ScratchSpace s;
  const auto free = free_bytes(dir);  // APR_QA_TEST_FREE_BYTES replaces it in tests
  if (!free) throw io_error("--scratch: cannot read the free space of the folder").at_path(dir.string()).with_errno(EIO);
  s.free_bytes = *free;
  struct statfs f {};
  s.tmpfs = ::statfs(dir.c_str(), &f) == 0 && static_cast<long>(f.f_type) == kTmpfsMagic;
  if (s.tmpfs) s.mem_available = mem_available();
  return s;
}

std::uint64_t input_model_bytes(const Plan& plan) {
  std::uint64_t hashed = 0;
  for (const auto& d : plan.input_digests) hashed += d.bytes;
  return std::max(hashed, model_bytes_of(plan));
}

std::uint64_t scratch_bytes_needed(const Plan& plan, std::uint64_t model_bytes) {
  std::uint64_t files = 0;
  const std::string root = (plan.work_dir / "artifacts").string() + "/";
  for (const auto& n : plan.nodes) {
    if (n.kind == NodeKind::convert) ++files;
    // A gate that writes a quantized variant of the input (plan_gates.cpp, "variant").
    if (auto it = n.params.find("variant"); it != n.params.end() && it->is_string() &&
                                             it->get_ref<const std::string&>().rfind(root, 0) == 0)
      ++files;
  }
  return files * model_bytes + kRunFilesBytes;
}

std::string plan_fits_scratch(const Plan& plan, std::uint64_t model_bytes, const ScratchSpace& space, const fs::path& dir) {
  const std::uint64_t need = scratch_bytes_needed(plan, model_bytes);
  if (need <= space.usable()) return {};
  const bool by_memory = space.tmpfs && space.mem_available > 0 && space.mem_available < space.free_bytes;
  return fmt::format("--scratch {}: the run may write up to {} of artifacts there, but it has {} {}; "
                     "artifacts go under -o instead",
                     dir.string(), human_bytes(need), human_bytes(space.usable()),
                     by_memory ? "of memory available (a tmpfs)" : "free");
}

void relocate_work_dir(Plan& plan, const fs::path& to) {
  const std::string from = plan.work_dir.string(), dest = fs::absolute(to).string();
  if (from == dest) return;
  for (auto& n : plan.nodes) {
    rebase_path(n.artifact, from, dest);
    rebase_paths(n.params, from, dest);
  }
  plan.work_dir = dest;
}

void move_path(const fs::path& from, const fs::path& to) {
  std::error_code ec;
  fs::create_directories(to.parent_path(), ec);
  if (ec) throw io_error("cannot create " + to.parent_path().string() + ": " + ec.message()).at_path(from.string()).with_errno(ec.value());
  fs::remove_all(to, ec);
  ec.clear();
  fs::rename(from, to, ec);
  if (!ec) return;
  if (ec != std::errc::cross_device_link)
    throw io_error("cannot move to " + to.string() + ": " + ec.message()).at_path(from.string()).with_errno(ec.value());
  ec.clear();
  fs::copy(from, to, fs::copy_options::recursive, ec);
  if (ec) throw io_error("cannot copy to " + to.string() + ": " + ec.message()).at_path(from.string()).with_errno(ec.value());
  fs::remove_all(from, ec);
  if (ec) throw io_error("cannot remove after copying: " + ec.message()).at_path(from.string()).with_errno(ec.value());
}

}  // namespace apr::qa
