// apr-qa core: "did you mean …?" — the closest known name to a misspelt one.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace apr {

// Levenshtein distance (insert, delete, substitute), computed in O(|a|·|b|) time, O(|b|) memory;
// any distance above `cap` is reported as cap + 1 (strings whose lengths differ by more than
// `cap` are not compared at all, so a 20,000-character key costs nothing).
std::size_t edit_distance(std::string_view a, std::string_view b, std::size_t cap = std::size_t{1} << 30);
// The known name nearest to `unknown` within `max_edits`, or "" when none is that close
// (or `unknown` is over 256 characters).
std::string closest_name(std::string_view unknown, const std::vector<std::string>& known, std::size_t max_edits = 3);

}  // namespace apr
