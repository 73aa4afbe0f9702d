// apr-qa tokenizer: load-time validation and encoding (decode.cpp holds the decoding side).
#include "tokenizer/tokenizer.hpp"
#include "tokenizer/chat_template.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "tokenizer/tokenizer_impl.hpp"
#include "tokenizer/unicode.hpp"

namespace apr::tok {
namespace {

// Texts of control tokens that end a turn in the chat formats we know (llama.cpp's list of
// end-of-generation tokens, which it also derives from the token text).
const char* const kEogTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "<|eom_id|>", "<｜end▁of▁sentence｜>", "<|fim_pad|>", "<|repo_name|>", "<|file_sep|>",
};

void check_id(const std::optional<std::int64_t>& id, std::size_t n, const char* what) {
  if (id && (*id < 0 || static_cast<std::uint64_t>(*id) >= n))
    throw validation_error(std::string(what) + ": expected an id in [0, " + std::to_string(n) + "), found " +
                           std::to_string(*id))
        .at_key(what);
}

std::shared_ptr<TokenizerImpl> build(std::shared_ptr<const TokenizerData> d) {
  auto impl = std::make_shared<TokenizerImpl>(std::move(d));
  const auto& D = impl->data;
  const auto n = D.tokens.size();
  if (n == 0) throw validation_error("tokenizer has no tokens").at_key("tokens");
  if (n > static_cast<std::size_t>(INT32_MAX))
    throw validation_error("tokenizer: too many tokens (" + std::to_string(n) + ")").at_key("tokens");
  if (!D.token_types.empty() && D.token_types.size() != n)
    throw validation_error("token_types: expected " + std::to_string(n) + " entries (one per token), found " +
                           std::to_string(D.token_types.size()))
        .at_key("token_type");
  for (std::size_t i = 0; i < D.token_types.size(); ++i)
    if (D.token_types[i] < 0 || D.token_types[i] > kTokenByte)
      throw validation_error("token " + std::to_string(i) + ": expected a token type in 0..6, found " +
                             std::to_string(D.token_types[i]))
          .at_key("token_type");
  check_id(D.bos_id, n, "bos_token_id");
  check_id(D.eos_id, n, "eos_token_id");
  check_id(D.pad_id, n, "padding_token_id");
  check_id(D.unk_id, n, "unknown_token_id");
  check_id(D.sep_id, n, "seperator_token_id");
  check_id(D.eot_id, n, "eot_token_id");
  if (!D.normalizer.empty() && D.normalizer != "NFC")
    throw unsupported_error("normalizer: expected none or NFC, found " + D.normalizer).at_key("normalizer");
  impl->nfc = D.normalizer == "NFC" && !D.gguf_records_not_applied;

  if (const auto dup = impl->token_ids.build(D.tokens))
    throw validation_error("token " + std::to_string(dup->first) + " \"" + std::string(D.tokens[static_cast<std::size_t>(dup->first)]) +
                           "\" duplicates token " + std::to_string(dup->second))
        .at_key("tokens");

  impl->special.assign(n, 0);
  impl->raw_text.assign(n, 0);
  std::vector<std::uint8_t> not_special(n, 0);
  for (auto id : D.gguf_records_not_applied ? std::vector<std::int32_t>{} : D.hf_not_special) {
    if (id < 0 || static_cast<std::size_t>(id) >= n || impl->type_of(id) != kTokenControl)
      throw validation_error("hf_not_special: expected ids of control tokens, found " + std::to_string(id))
          .at_key("added_tokens");
    not_special[static_cast<std::size_t>(id)] = 1;
  }
  for (std::size_t i = 0; i < n; ++i) {
    const auto t = impl->type_of(static_cast<std::int32_t>(i));
    const bool added = t == kTokenControl || t == kTokenUnknown || t == kTokenUserDefined;
    if (!added) continue;
    impl->raw_text[i] = 1;
    impl->special[i] = t != kTokenUserDefined && !not_special[i];
    if (!D.tokens[i].empty())
      impl->added.push_back({std::string(D.tokens[i]), static_cast<std::int32_t>(i), !impl->special[i]});
  }
  std::stable_sort(impl->added.begin(), impl->added.end(),
                   [](const AddedToken& a, const AddedToken& b) { return a.text.size() > b.text.size(); });
  for (std::uint32_t k = 0; k < impl->added.size(); ++k)
    impl->added_by_first[static_cast<unsigned char>(impl->added[k].text[0])].push_back(k);

  if (D.model == TokenizerModel::bpe) {
    const std::string pre_name = D.pre.empty() ? "default" : D.pre;
    const auto* spec = find_pre_tokenizer(pre_name);
    if (!spec)
      throw unsupported_error("pre-tokenizer: expected one of qwen2, llama-bpe, smollm, gpt2, default (or an alias), found \"" +
                              pre_name + "\"")
          .at_key("pre");
    impl->pre.emplace(spec->regexes);
    impl->default_add_bos = spec->default_add_bos;
    impl->bpe = std::make_unique<BpeModel>(impl->data, impl->token_ids, spec->ignore_merges);
  } else {
    impl->spm = std::make_unique<SpmModel>(impl->data, impl->token_ids);
    impl->default_add_bos = true;
    impl->add_space_prefix = D.add_space_prefix.value_or(true);
  }

  if (D.eos_id) impl->eog.insert(static_cast<std::int32_t>(*D.eos_id));
  if (D.eot_id) impl->eog.insert(static_cast<std::int32_t>(*D.eot_id));
  for (const char* t : kEogTexts) {
    const auto id = impl->token_ids.find(t);
    if (id >= 0 && impl->raw_text[static_cast<std::size_t>(id)]) impl->eog.insert(id);
  }
  return impl;
}

}  // namespace

Result<Tokenizer> Tokenizer::from_data(const TokenizerData& d) {
  return from_shared(std::make_shared<const TokenizerData>(d));
}

Result<Tokenizer> Tokenizer::from_shared(std::shared_ptr<const TokenizerData> shared) {
  return capture([&] {
    if (!shared) throw validation_error("tokenizer: no tokenizer data").at_key("tokens");
    const TokenizerData& d = *shared;
    // The chat template is part of the tokenizer: a template that does not parse is a load-time
    // error naming the construct and line, not a surprise at the first chat request.
    if (!d.chat_template.empty()) {
      auto ct = ChatTemplate::parse(d.chat_template);
      if (!ct.ok()) throw Error(ct.error()).with_context("chat template");
    }
    Tokenizer t;
    t.impl_ = build(std::move(shared));
    return t;
  });
}

std::vector<std::int32_t> Tokenizer::encode(std::string_view text, bool parse_special, std::optional<bool> add_bos) const {
  const auto& I = *impl_;
  std::vector<std::int32_t> out;
  out.reserve(text.size() / 3 + 4);
  if (add_bos.value_or(I.data.add_bos.value_or(I.default_add_bos)) && I.data.bos_id)
    out.push_back(static_cast<std::int32_t>(*I.data.bos_id));

  std::vector<std::pair<std::size_t, std::size_t>> pieces;
  bool prev_special = true;  // SPM: a dummy prefix space starts the text and follows each added token
  auto encode_text = [&](std::string_view seg) {
    if (seg.empty()) return;
    std::string normalized;
    if (I.nfc) {
      normalized = nfc(seg);
      seg = normalized;
    }
    if (I.bpe) {
      pieces.clear();
      I.pre->split(seg, pieces);
      for (const auto& [b, e] : pieces) I.bpe->encode_piece(seg.substr(b, e - b), out);
    } else {
      std::string esc;
      esc.reserve(seg.size() + 8);
      if (I.add_space_prefix && prev_special) esc += "\xE2\x96\x81";
      for (char c : seg) {
        if (c == ' ') esc += "\xE2\x96\x81";
        else esc += c;
      }
      I.spm->encode_escaped(esc, out);
    }
    prev_special = false;
  };

  std::size_t seg_start = 0;
  if (!I.added.empty()) {
    for (std::size_t i = 0; i < text.size();) {
      const auto& cands = I.added_by_first[static_cast<unsigned char>(text[i])];
      const AddedToken* hit = nullptr;
      for (auto k : cands) {
        const auto& a = I.added[k];
        if ((parse_special || a.always) && text.compare(i, a.text.size(), a.text) == 0) {
          hit = &a;
          break;
        }
      }
      if (!hit) {
        ++i;
        continue;
      }
      encode_text(text.substr(seg_start, i - seg_start));
      out.push_back(hit->id);
      prev_special = true;
      i += hit->text.size();
      seg_start = i;
    }
  }
  encode_text(text.substr(seg_start));

  if (add_bos.value_or(true) && I.data.add_eos.value_or(false) && I.data.eos_id)
    out.push_back(static_cast<std::int32_t>(*I.data.eos_id));
  return out;
}

std::int32_t Tokenizer::vocab_size() const { return static_cast<std::int32_t>(impl_->data.tokens.size()); }

std::optional<std::int32_t> Tokenizer::bos() const {
  if (!impl_->data.bos_id) return std::nullopt;
  return static_cast<std::int32_t>(*impl_->data.bos_id);
}

std::optional<std::int32_t> Tokenizer::eos() const {
  if (!impl_->data.eos_id) return std::nullopt;
  return static_cast<std::int32_t>(*impl_->data.eos_id);
}

bool Tokenizer::is_end_of_generation(std::int32_t id) const { return impl_->eog.count(id) != 0; }

bool Tokenizer::is_special(std::int32_t id) const {
  return id >= 0 && id < vocab_size() && impl_->special[static_cast<std::size_t>(id)];
}

const TokenizerData& Tokenizer::data() const { return impl_->data; }

}  // namespace apr::tok
