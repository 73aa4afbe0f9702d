// apr-qa tokenizer (internal): flat, open-addressing lookup tables built once at load.
//
// TokenIndex maps a token's text to its id without copying any text: slots hold ids, and a
// probe compares against the token vector it was built over. That vector must outlive the
// index and must not change (TokenizerImpl owns both). PairTable maps an (left id, right id)
// pair to a 64-bit value (the BPE merge table). Both replace node-based hash maps whose 150k
// allocations dominated tokenizer load time; lookups give the same answers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tokenizer/string_list.hpp"

namespace apr::tok {

class TokenIndex {
 public:
  // Indexes tokens[i] -> i. Returns {id, earlier id} for the first token whose text repeats an
  // earlier one (that token is not indexed), or nullopt when every text is unique.
  // `tokens` must outlive the index (it is read again by find()).
  std::optional<std::pair<std::int32_t, std::int32_t>> build(const StringList& tokens);
  std::optional<std::pair<std::int32_t, std::int32_t>> build(const StringList&&) = delete;
  // The id of the token with this text, or -1.
  std::int32_t find(std::string_view text) const;

 private:
  const StringList* tokens_ = nullptr;
  std::vector<std::int32_t> slots_;  // token ids, -1 = empty
  std::size_t mask_ = 0;
};

class PairTable {
 public:
  void reserve(std::size_t n);
  // Inserts (a, b) -> value; returns false (and keeps the old value) if the pair is present.
  bool insert(std::int32_t a, std::int32_t b, std::uint64_t value);
  // The value of (a, b), or nullptr.
  const std::uint64_t* find(std::int32_t a, std::int32_t b) const;

 private:
  static std::uint64_t key(std::int32_t a, std::int32_t b) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(a)) << 32) | static_cast<std::uint32_t>(b);
  }
  std::size_t slot_of(std::uint64_t k) const;
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};  // no valid pair: ids are < 2^31
  std::vector<std::uint64_t> keys_;
  std::vector<std::uint64_t> values_;
  std::size_t mask_ = 0, size_ = 0;
};

}  // namespace apr::tok
