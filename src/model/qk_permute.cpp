// apr-qa model layer: Q/K row permutation maps (see qk_permute.hpp).
#include "model/qk_permute.hpp"

#include <limits>
#include <string>

#include "core/error.hpp"

namespace apr::model {
namespace {
void check(std::int64_t rows, std::int64_t n) {
  if (n <= 0 || rows <= 0 || rows % n != 0 || (rows / n) % 2 != 0 ||
      rows > std::numeric_limits<std::int32_t>::max())
    throw validation_error("Q/K permutation: expected rows divisible by heads with an even head size, found " +
                           std::to_string(rows) + " rows for " + std::to_string(n) + " heads");
}
}  // namespace

std::vector<std::int32_t> gguf_rows_from_hf(std::int64_t rows, std::int64_t n) {
  check(rows, n);
  const std::int64_t hd = rows / n, half = hd / 2;
  std::vector<std::int32_t> m(static_cast<std::size_t>(rows));
  for (std::int64_t h = 0; h < n; ++h)
    for (std::int64_t d = 0; d < half; ++d)
      for (std::int64_t a = 0; a < 2; ++a)
        m[static_cast<std::size_t>(h * hd + 2 * d + a)] = static_cast<std::int32_t>(h * hd + a * half + d);
  return m;
}

std::vector<std::int32_t> hf_rows_from_gguf(std::int64_t rows, std::int64_t n) {
  auto g = gguf_rows_from_hf(rows, n);
  std::vector<std::int32_t> inv(g.size());
  for (std::size_t i = 0; i < g.size(); ++i) inv[static_cast<std::size_t>(g[i])] = static_cast<std::int32_t>(i);
  return inv;
}

std::vector<std::int32_t> compose_rows(const std::vector<std::int32_t>& outer,
                                       const std::vector<std::int32_t>& inner) {
  if (inner.empty()) return outer;
  if (outer.empty()) return inner;
  if (outer.size() != inner.size())
    throw internal_error("compose_rows: maps of different length");
  std::vector<std::int32_t> r(inner.size());
  bool identity = true;
  for (std::size_t i = 0; i < inner.size(); ++i) {
    r[i] = outer[static_cast<std::size_t>(inner[i])];
    identity = identity && r[i] == static_cast<std::int32_t>(i);
  }
  if (identity) r.clear();
  return r;
}

}  // namespace apr::model
