// Check kind idempotency: two independent conversions wrote byte-identical files — the model file
// itself, and every other file beside it in the artifact directory (a SafeTensors export's
// config.json, tokenizer.json, ...), matched by name.
#include <filesystem>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "core/error.hpp"
#include "qa/checks/check.hpp"

namespace apr::qa::checks {

namespace fs = std::filesystem;

namespace {

struct ByteCompare {
  std::uint64_t compared = 0, differing = 0, first = UINT64_MAX;
};

ByteCompare compare_bytes(const std::string& pa, const std::string& pb) {
  std::ifstream a(pa, std::ios::binary), b(pb, std::ios::binary);
  if (!a) throw io_error("cannot read artifact").at_path(pa);
  if (!b) throw io_error("cannot read artifact").at_path(pb);
  ByteCompare r;
  std::vector<char> ba(1 << 20), bb(1 << 20);
  while (true) {
    a.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    b.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    auto na = static_cast<std::uint64_t>(a.gcount()), nb = static_cast<std::uint64_t>(b.gcount());
    auto n = std::min(na, nb);
    for (std::uint64_t i = 0; i < n; ++i)
      if (ba[i] != bb[i]) {
        if (r.first == UINT64_MAX) r.first = r.compared + i;
        ++r.differing;
      }
    r.compared += n;
    r.differing += std::max(na, nb) - n;
    if (na == 0 || nb == 0 || na != nb) break;
  }
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
