// apr-qa qa checks: entry-by-entry comparison of two models' tokenizers, for the conversion
// gates (measurement tokenizer_differences).
//
// Counts every differing entry of the fields a conversion between GGUF, SafeTensors and APR must
// keep (the set `apr-qa diff` compares): the model kind and pre-tokenizer name (1 each), tokens,
// token types, merges and scores (1 per index where the two sides differ, an index present on one
// side only included), the special ids bos/eos/pad/unk/sep/eot and add_bos/add_eos (1 each), the
// chat template (1), the normalizer (1: "NFC" vs none; GGUF carries it in apr-qa's own key), the
// SPM dummy prefix as applied (add_space_prefix, unset = on for SPM, off for BPE; 1), and the
// added-token flags: hf_not_special, the control tokens tokenizer.json marks "special": false
// (1 per index). The other added-token flags (normalized/lstrip/rstrip/single_word) have one value
// apr-qa accepts (hf_json refuses any other), so a conversion cannot change them. A side without a
// tokenizer compares as empty, so every entry of the other side counts.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "tokenizer/tokenizer_data.hpp"

namespace apr::qa::checks {

// Returns the number of differing entries; appends up to 8 readable differences to `notes`.
std::size_t tokenizer_differences(const tok::TokenizerData& a, const tok::TokenizerData& b,
                                  std::vector<std::string>* notes = nullptr);

}  // namespace apr::qa::checks
