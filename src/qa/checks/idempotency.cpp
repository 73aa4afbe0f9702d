// Check kind idempotency: two independent conversions wrote byte-identical files — the model file
// itself, and every other file beside it in the artifact directory (a SafeTensors export's
// config.json, tokenizer.json, ...), matched by name.
#include <filesystem>
#include <cstring>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/mapped_file.hpp"
#include "qa/checks/check.hpp"

namespace apr::qa::checks {

namespace fs = std::filesystem;

namespace {

struct ByteCompare {
  std::uint64_t compared = 0, differing = 0, first = UINT64_MAX;
};

// Both files mapped (no copy out of the page cache) and compared chunk by chunk with memcmp;
// only a chunk that differs is walked byte by byte to count its differing bytes. Bytes past the
// shorter file's end count as differing.
ByteCompare compare_bytes(const std::string& pa, const std::string& pb) {
  auto ma = MappedFile::open(pa);
  if (!ma) throw ma.error();
  auto mb = MappedFile::open(pb);
  if (!mb) throw mb.error();
  const MappedFile &fa = **ma, &fb = **mb;
  ByteCompare r;
  const std::uint64_t n = std::min(fa.size(), fb.size());
  constexpr std::uint64_t kChunk = 8u << 20;
  for (std::uint64_t off = 0; off < n; off += kChunk) {
    const std::uint64_t len = std::min(kChunk, n - off);
    const std::byte *x = fa.data() + off, *y = fb.data() + off;
    if (std::memcmp(x, y, len) != 0)
      for (std::uint64_t i = 0; i < len; ++i)
        if (x[i] != y[i]) {
          if (r.first == UINT64_MAX) r.first = off + i;
          ++r.differing;
        }
    fa.release(off, len);
    fb.release(off, len);
  }
  r.compared = n;
  r.differing += std::max(fa.size(), fb.size()) - n;
  return r;
}

// Names of the regular files beside `model` in its directory, the model file excluded.
std::set<std::string> siblings(const fs::path& model) {
  std::set<std::string> out;
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(model.parent_path(), ec))
    if (e.is_regular_file() && e.path().filename() != model.filename()) out.insert(e.path().filename().string());
  return out;
}

}  // namespace

CheckOutput idempotency(const nlohmann::json& p) {
  CheckOutput o;
  const std::string pa = p.at("a").get<std::string>(), pb = p.at("b").get<std::string>();
  const ByteCompare m = compare_bytes(pa, pb);
  o.add("bytes_compared", static_cast<double>(m.compared), "bytes");
  o.add("bytes_differing", static_cast<double>(m.differing), "bytes");
  o.output = fmt::format("{} vs {}: {} bytes compared, {} differ", pa, pb, m.compared, m.differing);
  if (m.first != UINT64_MAX) o.output += fmt::format(" (first at offset {})", m.first);
  o.output += "\n";
  // The files written beside the model (SafeTensors sidecars): each must exist on both sides with
  // the same bytes.
  auto sa = siblings(pa), sb = siblings(pb);
  std::set<std::string> all = sa;
  all.insert(sb.begin(), sb.end());
  double differing = 0;
  for (const auto& name : all) {
    if (!sa.count(name) || !sb.count(name)) {
      differing += 1;
      o.output += fmt::format("{}: written by one conversion only\n", name);
      continue;
    }
    const ByteCompare s = compare_bytes((fs::path(pa).parent_path() / name).string(), (fs::path(pb).parent_path() / name).string());
    if (s.differing) {
      differing += 1;
      o.output += fmt::format("{}: {} bytes differ (first at offset {})\n", name, s.differing, s.first);
    }
  }
  o.add("other_files_compared", static_cast<double>(all.size()));
  o.add("other_files_differing", differing);
  return o;
}

}  // namespace apr::qa::checks
