#include "qa/checks/tokenizer_compare.hpp"

#include <algorithm>
#include <optional>

#include <fmt/format.h>

namespace apr::qa::checks {

namespace {

struct Counter {
  std::size_t n = 0;
  std::vector<std::string>* notes;
  void note(std::string s) {
    if (notes && notes->size() < 8) notes->push_back(std::move(s));
  }
  template <typename V>
  void seq(const char* field, const V& a, const V& b) {
    std::size_t len = std::max(a.size(), b.size()), diff = 0, first = len;
    for (std::size_t i = 0; i < len; ++i)
      if (i >= a.size() || i >= b.size() || !(a[i] == b[i])) {
        ++diff;
        first = std::min(first, i);
      }
    n += diff;
    if (diff)
      note(fmt::format("tokenizer {}: {} of {} entries differ ({} vs {} entries, first at index {})", field, diff, len,
                       a.size(), b.size(), first));
  }
  template <typename T>
  void one(const char* field, const T& a, const T& b) {
    if (a == b) return;
    ++n;
    note(fmt::format("tokenizer {} differs", field));
  }
};

}  // namespace

std::size_t tokenizer_differences(const tok::TokenizerData& a, const tok::TokenizerData& b,
                                  std::vector<std::string>* notes) {
  Counter c{0, notes};
  c.one("model", a.model, b.model);
  c.one("pre", a.pre, b.pre);
  c.seq("tokens", a.tokens, b.tokens);
  c.seq("token_types", a.token_types, b.token_types);
  c.seq("merges", a.merges, b.merges);
  c.seq("scores", a.scores, b.scores);
  c.one("bos_id", a.bos_id, b.bos_id);
  c.one("eos_id", a.eos_id, b.eos_id);
  c.one("pad_id", a.pad_id, b.pad_id);
  c.one("unk_id", a.unk_id, b.unk_id);
  c.one("sep_id", a.sep_id, b.sep_id);
  c.one("add_bos", a.add_bos, b.add_bos);
  c.one("add_eos", a.add_eos, b.add_eos);
  c.one("chat_template", a.chat_template, b.chat_template);
  c.one("eot_id", a.eot_id, b.eot_id);
  c.one("normalizer", a.normalizer, b.normalizer);
  const bool spm_a = a.model == tok::TokenizerModel::spm, spm_b = b.model == tok::TokenizerModel::spm;
  c.one("add_space_prefix", a.add_space_prefix.value_or(spm_a), b.add_space_prefix.value_or(spm_b));
  c.seq("hf_not_special (added tokens marked special: false)", a.hf_not_special, b.hf_not_special);
  return c.n;
}

}  // namespace apr::qa::checks
