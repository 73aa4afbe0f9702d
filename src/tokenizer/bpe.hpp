// apr-qa tokenizer: the byte-level BPE model (merges applied to one pre-tokenized piece).
//
// A piece's bytes start as the 256 byte-symbol tokens; the adjacent pair with the lowest merge
// rank is merged, leftmost first on ties (priority queue on (rank, position), as HF and
// llama.cpp do), until no pair has a rank. Results are cached per piece (bounded cache).
// Construction validates the merges: both sides and their concatenation must be tokens, no
// merge may repeat. A byte whose symbol is not a token is dropped (llama.cpp's behaviour).
#pragma once

#include <array>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "tokenizer/token_index.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok {

class BpeModel {
 public:
  // token_ids: text -> id of every token. Throws apr::Error (validation) on bad merges.
  BpeModel(const TokenizerData& d, const TokenIndex& token_ids, bool ignore_merges);
  void encode_piece(std::string_view raw, std::vector<std::int32_t>& out) const;
  // Without the cache (for tests/benchmarks of the merge loop itself).
  void encode_piece_uncached(std::string_view raw, std::vector<std::int32_t>& out) const;

 private:
  struct Merge {
    std::int32_t rank, id;
  };
  static std::uint64_t pack(Merge m) {
    return (static_cast<std::uint64_t>(static_cast<std::uint32_t>(m.rank)) << 32) | static_cast<std::uint32_t>(m.id);
  }
  static Merge unpack(std::uint64_t v) {
    return {static_cast<std::int32_t>(v >> 32), static_cast<std::int32_t>(v & 0xFFFFFFFFu)};
  }
  std::array<std::int32_t, 256> byte_id_{};
  PairTable merges_;  // (left id, right id) -> pack({rank, merged id})
  const TokenIndex* token_ids_;
  bool ignore_merges_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::vector<std::int32_t>> cache_;
};

}  // namespace apr::tok
