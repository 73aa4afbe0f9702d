// apr-qa convert: the synthetic tokenizer of "tiny" fixtures (see fixture_tokenizer.hpp).
#include "convert/fixture_tokenizer.hpp"

#include <map>
#include <vector>

#include "core/error.hpp"
#include "core/utf8.hpp"

namespace apr::convert::detail {
namespace {

// GPT-2 byte -> unicode symbol, UTF-8 encoded.
std::string byte_symbol(int b) {
  int cp;
  const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
  if (printable) {
    cp = b;
  } else {
    int n = 0;  // rank among the non-printable bytes, in increasing order
    for (int x = 0; x < b; ++x) {
      const bool p = (x >= 0x21 && x <= 0x7E) || (x >= 0xA1 && x <= 0xAC) || (x >= 0xAE && x <= 0xFF);
      if (!p) ++n;
    }
    cp = 256 + n;
  }
  std::string s;
  utf8::append(s, static_cast<char32_t>(cp));
  return s;
}

// Merges in rank order; each part exists (a byte symbol or an earlier merge's result).
const std::vector<std::pair<std::string, std::string>>& merge_list() {
  static const std::vector<std::pair<std::string, std::string>> m{
      {"Ġ", "t"},  {"h", "e"},  {"Ġt", "he"}, {"i", "n"},   {"e", "r"},   {"a", "n"},  {"Ġ", "a"},   {"o", "n"},
      {"r", "e"},  {"Ġ", "s"},  {"e", "n"},   {"a", "t"},   {"o", "r"},   {"Ġ", "w"},  {"i", "s"},   {"Ġ", "o"},
      {"i", "t"},  {"Ġ", "c"},  {"e", "s"},   {"in", "g"},  {"Ġ", "i"},   {"Ġ", "b"},  {"Ġ", "f"},   {"e", "d"},
      {"o", "u"},  {"Ġa", "n"}, {"Ġan", "d"}, {"Ġ", "p"},   {"l", "l"},   {"Ġ", "m"},  {"Ġo", "f"},  {"Ġ", "h"},
      {"Ġ", "d"},  {"a", "l"},  {"Ġi", "s"},  {"Ċ", "Ċ"},   {"Ġ", "Ġ"},   {"l", "o"},  {"Ġw", "or"}, {"H", "e"},
  };
  return m;
}

const std::string kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";

}  // namespace

TinyTokenizer make_tiny_tokenizer(const std::string& arch, const std::string& chat_template) {
  using nlohmann::json;
  json vocab = json::object();
  std::vector<std::string> id_to_tok;
  for (int b = 0; b < 256; ++b) {
    id_to_tok.push_back(byte_symbol(b));
    vocab[id_to_tok.back()] = b;
  }
  json merges = json::array();
  for (const auto& [l, r] : merge_list()) {
    if (!vocab.contains(l) || !vocab.contains(r)) throw internal_error("tiny tokenizer merge part missing: " + l + " " + r);
    const std::string t = l + r;
    if (vocab.contains(t)) throw internal_error("tiny tokenizer duplicate merge result: " + t);
    vocab[t] = static_cast<std::int64_t>(id_to_tok.size());
    id_to_tok.push_back(t);
    merges.push_back(l + " " + r);
  }
  TinyTokenizer out;
  json added = json::array();
  const std::vector<std::string> specials{"<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  for (const auto& s : specials) {
    const auto id = static_cast<std::int64_t>(id_to_tok.size());
    id_to_tok.push_back(s);
    added.push_back({{"id", id}, {"content", s}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                     {"normalized", false}, {"special", true}});
  }
  out.n_tokens = static_cast<std::int64_t>(id_to_tok.size());
  const std::int64_t endoftext = 256 + static_cast<std::int64_t>(merge_list().size());
  out.eos_id = endoftext + 2;  // <|im_end|>
  json byte_level_post = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
  json tj = json::object();
  tj["version"] = "1.0";
  tj["truncation"] = nullptr;
  tj["padding"] = nullptr;
  tj["added_tokens"] = added;
  if (arch == "qwen2") {
    out.bos_id = endoftext;
    tj["normalizer"] = {{"type", "NFC"}};
    tj["pre_tokenizer"] = {{"type", "Sequence"},
                           {"pretokenizers",
                            json::array({{{"type", "Split"}, {"pattern", {{"Regex", kQwen2Regex}}}, {"behavior", "Isolated"}, {"invert", false}},
                                         {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}}})}};
  } else {
    out.bos_id = endoftext + 1;  // <|im_start|>, as SmolLM2
    tj["normalizer"] = nullptr;
    tj["pre_tokenizer"] = {{"type", "Sequence"},
                           {"pretokenizers",
                            json::array({{{"type", "Digits"}, {"individual_digits", true}},
                                         {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", true}, {"use_regex", true}}})}};
  }
  tj["post_processor"] = byte_level_post;
  tj["decoder"] = {{"type", "ByteLevel"}, {"add_prefix_space", true}, {"trim_offsets", true}, {"use_regex", true}};
  tj["model"] = {{"type", "BPE"},          {"dropout", nullptr},           {"unk_token", nullptr},
                 {"continuing_subword_prefix", ""}, {"end_of_word_suffix", ""}, {"fuse_unk", false},
                 {"byte_fallback", false}, {"vocab", vocab},               {"merges", merges}};
  out.tokenizer_json = tj;

  json added_decoder = json::object();
  for (std::size_t i = 0; i < specials.size(); ++i)
    added_decoder[std::to_string(endoftext + static_cast<std::int64_t>(i))] = {
        {"content", specials[i]}, {"lstrip", false}, {"normalized", false}, {"rstrip", false}, {"single_word", false}, {"special", true}};
  json tc = json::object();
  tc["add_bos_token"] = false;
  tc["add_prefix_space"] = false;
  tc["added_tokens_decoder"] = added_decoder;
  tc["bos_token"] = arch == "qwen2" ? json(nullptr) : json("<|im_start|>");
  tc["eos_token"] = "<|im_end|>";
  tc["pad_token"] = "<|endoftext|>";
  tc["unk_token"] = nullptr;
  tc["chat_template"] = chat_template;
  tc["clean_up_tokenization_spaces"] = false;
  tc["model_max_length"] = 2048;
  tc["tokenizer_class"] = "PreTrainedTokenizerFast";
  out.tokenizer_config_json = tc;
  return out;
}

}  // namespace apr::convert::detail
