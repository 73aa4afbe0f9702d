#include "core/suggest.hpp"

#include <algorithm>

namespace apr {

std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap) {
  if (a.size() > b.size() + cap || b.size() > a.size() + cap) return cap + 1;
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j)
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    std::swap(prev, cur);
  }
  return std::min(prev[b.size()], cap + 1);
}

std::string closest_name(std::string_view unknown, const std::vector<std::string>& known, std::size_t max_edits) {
  if (unknown.size() > 256) return "";
  const std::string* best = nullptr;
  std::size_t best_d = max_edits + 1;
  for (const auto& k : known) {
    std::size_t d = edit_distance(unknown, k, max_edits);
    if (d < best_d) best_d = d, best = &k;
  }
  return best ? *best : "";
}

}  // namespace apr
