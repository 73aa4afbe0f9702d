// apr-qa tokenizer (internal): the state behind a Tokenizer, shared by encode and decode.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "tokenizer/bpe.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/spm.hpp"
#include "tokenizer/token_index.hpp"
#include "tokenizer/tokenizer_data.hpp"

namespace apr::tok {

struct AddedToken {
  std::string text;
  std::int32_t id;
  bool always;  // split even when parse_special is off (user-defined, HF non-special)
};

struct TokenizerImpl {
  // `d` is held, not copied: an engine's tokenizer shares the model's TokenizerData (a copy of a
  // 151k-token vocabulary and its merges is ~10 MB of resident memory).
  explicit TokenizerImpl(std::shared_ptr<const TokenizerData> d) : owner(std::move(d)), data(*owner) {}
  TokenizerImpl(const TokenizerImpl&) = delete;  // token_ids refers to data.tokens in place
  TokenizerImpl& operator=(const TokenizerImpl&) = delete;

  std::shared_ptr<const TokenizerData> owner;
  const TokenizerData& data;
  TokenIndex token_ids;  // text -> id over data.tokens
  std::optional<PreTokenizer> pre;
  std::unique_ptr<BpeModel> bpe;
  std::unique_ptr<SpmModel> spm;
  bool default_add_bos = false;
  bool add_space_prefix = false;   // SPM only
  bool nfc = false;
  std::vector<AddedToken> added;                       // sorted by length, longest first
  std::array<std::vector<std::uint32_t>, 256> added_by_first;  // indices into `added`
  std::vector<std::uint8_t> special;                   // per id: control/unknown (dropped by skip_special)
  std::vector<std::uint8_t> raw_text;                  // per id: decoded as its raw text (added tokens)
  std::unordered_set<std::int32_t> eog;

  std::int32_t type_of(std::int32_t id) const {
    return data.token_types.empty() ? kTokenNormal : data.token_types[static_cast<std::size_t>(id)];
  }
};

}  // namespace apr::tok
