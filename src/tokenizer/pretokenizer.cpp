#include "tokenizer/pretokenizer.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/error.hpp"

namespace apr::tok {
namespace {

const std::string kGpt2 =
    R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";
const std::string kQwen2 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
const std::string kLlama3 =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// llama.cpp's GPT-2 form (no trailing \s+; equivalent because unmatched text stays a piece).
const std::string kGpt2Cpp = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S))";

const std::vector<PreTokenizerSpec>& table() {
  static const std::vector<PreTokenizerSpec> t = {
      {"qwen2", {"stablelm2"}, {kQwen2}, false, false},
      {"llama-bpe", {"llama3"}, {kLlama3}, true, true},
      {"smollm", {"starcoder", "refact", "command-r", "codeshell", "exaone"}, {R"(\p{N})", kGpt2}, false, false},
      {"gpt2", {"mpt", "olmo", "jais"}, {kGpt2}, false, false},
      {"default", {}, {R"([\p{P}\$\+<=>\^~\|]+)", kGpt2Cpp, R"(\p{N}+)", "[0-9][0-9][0-9]"}, false, false},
  };
  return t;
}

// Unicode White_Space (what Oniguruma's and llama.cpp's \s match).
constexpr const char* kWhiteSpace =
    R"(\t\n\x{0B}\f\r \x{85}\x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000})";

}  // namespace

const std::string& gpt2_regex() { return kGpt2; }

const PreTokenizerSpec* find_pre_tokenizer(std::string_view name) {
  for (const auto& e : table()) {
    if (e.name == name) return &e;
    for (const auto& a : e.aliases)
      if (a == name) return &e;
  }
  return nullptr;
}

const PreTokenizerSpec* find_pre_tokenizer_by_regexes(const std::vector<std::string>& regexes) {
  for (const auto& e : table())
    if (e.regexes == regexes) return &e;
  return nullptr;
}

std::string to_pcre_pattern(std::string_view re) {
  std::string out;
  bool in_class = false;
  for (std::size_t i = 0; i < re.size(); ++i) {
    const char c = re[i];
    if (c == '\\' && i + 1 < re.size()) {
      const char n = re[i + 1];
      if (n == 's') {
        out += in_class ? std::string(kWhiteSpace) : "[" + std::string(kWhiteSpace) + "]";
      } else if (n == 'S') {
        if (in_class) throw unsupported_error("pre-tokenizer regex: \\S inside a character class is not supported: " + std::string(re));
        out += "[^" + std::string(kWhiteSpace) + "]";
      } else {
        out += c;
        out += n;
      }
      ++i;
      continue;
    }
    if (!in_class && c == '[') {
      in_class = true;
      out += c;
      // A ']' or '^]' right after '[' is literal.
      if (i + 1 < re.size() && re[i + 1] == '^') { out += '^'; ++i; }
      if (i + 1 < re.size() && re[i + 1] == ']') { out += ']'; ++i; }
      continue;
    }
    if (in_class && c == ']') in_class = false;
    out += c;
  }
  return out;
}

struct PreTokenizer::Compiled {
  pcre2_code* code = nullptr;
  ~Compiled() {
    if (code) pcre2_code_free(code);
  }
};

PreTokenizer::PreTokenizer(const std::vector<std::string>& hf_regexes) {
  for (const auto& hf : hf_regexes) {
    const auto pat = to_pcre_pattern(hf);
    int err = 0;
    PCRE2_SIZE off = 0;
    auto c = std::make_shared<Compiled>();
    c->code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pat.data()), pat.size(),
                            PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &err, &off, nullptr);
    if (!c->code) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(err, msg, sizeof msg);
      throw parse_error("pre-tokenizer regex does not compile at offset " + std::to_string(off) + ": " +
                        reinterpret_cast<const char*>(msg) + ": " + hf);
    }
    pcre2_jit_compile(c->code, PCRE2_JIT_COMPLETE);  // falls back to the interpreter if JIT is unavailable
    res_.push_back(std::move(c));
  }
}

namespace {

struct MatchData {
  pcre2_match_data* md = pcre2_match_data_create(4, nullptr);
  ~MatchData() { pcre2_match_data_free(md); }
};

void split_one(pcre2_code* code, std::string_view text, std::size_t base,
               std::vector<std::pair<std::size_t, std::size_t>>& out) {
  thread_local MatchData md;
  std::size_t pos = 0, last = 0;
  const auto subject = reinterpret_cast<PCRE2_SPTR>(text.data());
  while (pos < text.size()) {
    const int rc = pcre2_match(code, subject, text.size(), pos, 0, md.md, nullptr);
    if (rc == PCRE2_ERROR_NOMATCH) break;
    if (rc < 0) {
      PCRE2_UCHAR msg[256];
      pcre2_get_error_message(rc, msg, sizeof msg);
      throw internal_error(std::string("pre-tokenizer regex match failed at byte ") + std::to_string(base + pos) +
                           ": " + reinterpret_cast<const char*>(msg));
    }
    const PCRE2_SIZE* ov = pcre2_get_ovector_pointer(md.md);
    std::size_t s = ov[0], e = ov[1];
    if (e == s) {  // empty match: none of our patterns produce one, but never loop
      pos = s + 1;
      continue;
    }
    if (s > last) out.emplace_back(base + last, base + s);
    out.emplace_back(base + s, base + e);
    last = pos = e;
  }
  if (last < text.size()) out.emplace_back(base + last, base + text.size());
}

}  // namespace

void PreTokenizer::split(std::string_view text, std::vector<std::pair<std::size_t, std::size_t>>& out) const {
  if (text.empty()) return;
  if (res_.empty()) {
    out.emplace_back(0, text.size());
    return;
  }
  const auto start = out.size();
  split_one(res_[0]->code, text, 0, out);
  for (std::size_t k = 1; k < res_.size(); ++k) {
    std::vector<std::pair<std::size_t, std::size_t>> prev(out.begin() + static_cast<std::ptrdiff_t>(start), out.end());
    out.resize(start);
    for (const auto& [b, e] : prev) split_one(res_[k]->code, text.substr(b, e - b), b, out);
  }
}

}  // namespace apr::tok
