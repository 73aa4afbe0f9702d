// Unit tests: the flat token-text index and pair table behind the tokenizer, checked against
// std::unordered_map on the same random data (including collisions, growth and absent keys).
#include <doctest/doctest.h>

#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "tokenizer/token_index.hpp"

using namespace apr::tok;

namespace {

std::vector<std::string> random_tokens(std::mt19937& rng, std::size_t n) {
  std::uniform_int_distribution<int> len(0, 24), byte(0, 255);
  std::vector<std::string> out;
  std::unordered_map<std::string, int> seen;
  while (out.size() < n) {
    std::string t;
    const int l = len(rng);
    for (int i = 0; i < l; ++i) t += static_cast<char>(byte(rng));
    if (seen.emplace(t, 0).second) out.push_back(t);
  }
  return out;
}

}  // namespace

TEST_CASE("TokenIndex: every token is found at its id; absent texts give -1") {
  std::mt19937 rng(7);
  const StringList tokens(random_tokens(rng, 20000));
  TokenIndex idx;
  REQUIRE_FALSE(idx.build(tokens).has_value());
  for (std::size_t i = 0; i < tokens.size(); ++i) REQUIRE(idx.find(tokens[i]) == static_cast<std::int32_t>(i));
  std::unordered_map<std::string, int> ref;
  for (const auto& t : tokens) ref.emplace(t, 0);
  int absent = 0;
  for (const auto& t : random_tokens(rng, 5000))
    if (!ref.count(t)) {
      CHECK(idx.find(t) == -1);
      ++absent;
    }
  CHECK(absent > 4000);
}

TEST_CASE("TokenIndex: the first repeated text is reported with the earlier id") {
  const StringList tokens{"a", "b", "", "c", "b", "a"};
  TokenIndex idx;
  const auto dup = idx.build(tokens);
  REQUIRE(dup.has_value());
  CHECK(dup->first == 4);
  CHECK(dup->second == 1);
  TokenIndex empty;
  CHECK(empty.find("a") == -1);  // never built
}

TEST_CASE("PairTable: agrees with std::unordered_map through growth; duplicates refused") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<std::int32_t> id(0, 3000);
  PairTable t;  // no reserve: exercises growth from empty
  std::unordered_map<std::uint64_t, std::uint64_t> ref;
  for (int i = 0; i < 50000; ++i) {
    const auto a = id(rng), b = id(rng);
    const auto k = (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b);
    const bool fresh = ref.emplace(k, static_cast<std::uint64_t>(i)).second;
    CHECK(t.insert(a, b, static_cast<std::uint64_t>(i)) == fresh);
  }
  for (int i = 0; i < 50000; ++i) {
    const auto a = id(rng), b = id(rng);
    const auto k = (static_cast<std::uint64_t>(a) << 32) | static_cast<std::uint32_t>(b);
    const auto* v = t.find(a, b);
    const auto it = ref.find(k);
    REQUIRE((v != nullptr) == (it != ref.end()));
    if (v) CHECK(*v == it->second);
  }
  CHECK(t.find(0x7FFFFFFF, 0x7FFFFFFF) == nullptr);
  PairTable empty;
  CHECK(empty.find(1, 2) == nullptr);
}
