// Check kind idempotency: two independent conversions wrote byte-identical files.
#include <fstream>

#include <fmt/format.h>

#include "core/error.hpp"
#include "qa/checks/check.hpp"

namespace apr::qa::checks {

CheckOutput idempotency(const nlohmann::json& p) {
  CheckOutput o;
  const std::string pa = p.at("a").get<std::string>(), pb = p.at("b").get<std::string>();
  std::ifstream a(pa, std::ios::binary), b(pb, std::ios::binary);
  if (!a) throw io_error("cannot read artifact").at_path(pa);
  if (!b) throw io_error("cannot read artifact").at_path(pb);
  std::uint64_t compared = 0, differing = 0, first = UINT64_MAX;
  std::vector<char> ba(1 << 20), bb(1 << 20);
  while (true) {
    a.read(ba.data(), static_cast<std::streamsize>(ba.size()));
    b.read(bb.data(), static_cast<std::streamsize>(bb.size()));
    auto na = static_cast<std::uint64_t>(a.gcount()), nb = static_cast<std::uint64_t>(b.gcount());
    auto n = std::min(na, nb);
    for (std::uint64_t i = 0; i < n; ++i)
      if (ba[i] != bb[i]) {
        if (first == UINT64_MAX) first = compared + i;
        ++differing;
      }
    compared += n;
    differing += std::max(na, nb) - n;
    if (na == 0 || nb == 0 || na != nb) break;
  }
  o.add("bytes_compared", static_cast<double>(compared), "bytes");
  o.add("bytes_differing", static_cast<double>(differing), "bytes");
  o.output = fmt::format("{} vs {}: {} bytes compared, {} differ", pa, pb, compared, differing);
  if (first != UINT64_MAX) o.output += fmt::format(" (first at offset {})", first);
  return o;
}

}  // namespace apr::qa::checks
