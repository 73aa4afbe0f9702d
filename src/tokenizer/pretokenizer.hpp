// apr-qa tokenizer: pre-tokenizers for byte-level BPE, a table keyed by GGUF tokenizer.ggml.pre.
//
// Each entry is a list of regexes in HF/llama.cpp text form, applied in sequence with HF's
// "Isolated" behaviour (matches and the text between matches both become pieces; every later
// regex re-splits every piece). Regexes run on PCRE2 in UTF + UCP mode (JIT-compiled); \s and
// \S are rewritten to Unicode White_Space, the set Oniguruma (HF) and llama.cpp use (PCRE2's \s
// also contains U+180E). Invalid UTF-8 never matches and stays in the pieces between matches.
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apr::tok {

struct PreTokenizerSpec {
  std::string name;                  // canonical GGUF name
  std::vector<std::string> aliases;  // other GGUF names with the same rules
  std::vector<std::string> regexes;  // HF text form, applied in sequence
  bool ignore_merges = false;        // a word already in the vocab is taken whole (Llama-3)
  bool default_add_bos = false;      // llama.cpp's add_bos when the GGUF does not say
};

// nullptr if the name is unknown.
const PreTokenizerSpec* find_pre_tokenizer(std::string_view name);
// The entry whose regex list equals `regexes` (canonical names first), or nullptr.
const PreTokenizerSpec* find_pre_tokenizer_by_regexes(const std::vector<std::string>& regexes);
// The regex HF's ByteLevel(use_regex=true) applies (GPT-2).
const std::string& gpt2_regex();

// Rewrites \s and \S of an HF regex into explicit White_Space classes for PCRE2.
std::string to_pcre_pattern(std::string_view hf_regex);

class PreTokenizer {
 public:
  // Throws apr::Error (parse) if a regex does not compile.
  explicit PreTokenizer(const std::vector<std::string>& hf_regexes);
  // Splits text into pieces as [begin, end) byte ranges, appended to out.
  void split(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const;

 private:
  struct Compiled;
  std::vector<std::shared_ptr<Compiled>> res_;
};

}  // namespace apr::tok
