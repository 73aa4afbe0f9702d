// Unit tests: StringList (one block of text plus end offsets) behaves as the vector of strings it
// replaces in TokenizerData, and holds a vocabulary in fewer bytes.
#include <doctest/doctest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "tokenizer/string_list.hpp"

using apr::tok::StringList;

namespace {

std::vector<std::string> random_strings(std::mt19937& rng, std::size_t n) {
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n; ++i) {
    std::string s(rng() % 24, ' ');  // empty strings and strings past the 15-byte SSO alike
    for (auto& c : s) c = static_cast<char>('a' + rng() % 26);
    out.push_back(s);
  }
  return out;
}

void check_same(const StringList& l, const std::vector<std::string>& v) {
  REQUIRE(l.size() == v.size());
  CHECK(l.empty() == v.empty());
  int bad = 0;
  for (std::size_t i = 0; i < v.size(); ++i) bad += l[i] != v[i];
  CHECK(bad == 0);
  CHECK(l.to_vector() == v);
  CHECK(std::equal(l.begin(), l.end(), v.begin(), v.end()));
}

}  // namespace

TEST_CASE("StringList: the same strings as the vector it is built from, in order") {
  std::mt19937 rng(5);
  auto v = random_strings(rng, 3000);
  StringList l(v);
  check_same(l, v);
  StringList p;
  for (const auto& s : v) p.push_back(s);
  CHECK(p == l);
  CHECK(l.back() == v.back());
  CHECK(l.at(7) == v[7]);
  CHECK_THROWS_AS((void)l.at(v.size()), std::out_of_range);
  CHECK((std::find(l.begin(), l.end(), v[1234]) - l.begin()) == std::find(v.begin(), v.end(), v[1234]) - v.begin());
  CHECK(l.end() - l.begin() == static_cast<std::ptrdiff_t>(v.size()));
}

TEST_CASE("StringList: set, resize and pop_back keep every other entry") {
  std::mt19937 rng(9);
  auto v = random_strings(rng, 200);
  StringList l(v);
  for (std::size_t i : {0u, 57u, 199u}) {
    const std::string longer = v[i] + "-longer-than-before";
    l.set(i, longer);
    v[i] = longer;
    check_same(l, v);
    l.set(i, "");
    v[i] = "";
    check_same(l, v);
  }
  l.resize(250);
  v.resize(250);
  check_same(l, v);
  l.resize(120);
  v.resize(120);
  check_same(l, v);
  l.pop_back();
  v.pop_back();
  check_same(l, v);
  l.push_back("tail");
  v.push_back("tail");
  check_same(l, v);
  CHECK(l != StringList(random_strings(rng, 120)));
  // Same concatenation, different split: not equal.
  CHECK(StringList{"ab", "c"} != StringList{"a", "bc"});
  l.clear();
  CHECK(l.empty());
  l = {"x", "", "yz"};
  check_same(l, {"x", "", "yz"});
}

TEST_CASE("StringList: a 50k-token vocabulary in well under half the bytes of a vector of strings") {
  std::mt19937 rng(13);
  const auto v = random_strings(rng, 50000);
  std::size_t vector_bytes = v.capacity() * sizeof(std::string);
  for (const auto& s : v)
    if (s.size() > 15) vector_bytes += s.capacity() + 1;  // the heap block of a long string
  const StringList l(v);
  CHECK(l.heap_bytes() * 2 < vector_bytes);
}
