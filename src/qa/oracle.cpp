#include "qa/oracle.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <map>
#include <set>
#include <sstream>
#include <unordered_map>

#include <fmt/format.h>

#include "core/error.hpp"

namespace apr::qa {

namespace {

const std::vector<OracleParam> kGarbageParams = {
    {"min_word_chars", 1, "fewer letters or digits than this fails (non-ASCII characters count as letters)"},
    {"max_period", 32, "longest repeating unit searched, in bytes"},
    {"min_repeats", 3, "copies of a unit in a row that make a tandem repeat"},
    {"max_run_chars", 24, "a single repeat of a unit with a letter or digit spanning this many bytes fails"},
    {"max_repeat_fraction", 0.5, "repeats covering this fraction of the output fail (with min_repeat_chars)"},
    {"min_repeat_chars", 12, "fewest bytes the repeats must cover for max_repeat_fraction to apply"},
    {"min_entropy_bits", 2.0, "Shannon entropy of the code points below this (bits/char) fails"},
    {"entropy_min_chars", 24, "the entropy rule applies to outputs of at least this many code points"},
    {"min_distinct_word_ratio", 0.3, "distinct / total words below this fails"},
    {"distinct_min_words", 16, "the distinct-word rule applies to outputs of at least this many words"},
    {"max_same_word_run", 4, "more identical words in a row than this fails"},
    {"min_unique_chars", std::nullopt, "fewer distinct bytes than this fails (outputs at least that long)"},
    {"max_repetition_ratio", std::nullopt, "character-trigram repetition ratio above this fails (floored)"},
    {"trigram_ratio_floor", 0.7, "floor applied to max_repetition_ratio (the anchor's playbooks say 0.3)"},
};

struct GarbageCfg {
  std::map<std::string, std::optional<double>> v;
  double at(const char* k) const { return *v.at(k); }
  std::optional<double> opt(const char* k) const { return v.at(k); }
};

GarbageCfg garbage_cfg(const nlohmann::json& cfg) {
  std::string err = check_oracle_config("garbage", cfg);
  if (!err.empty()) throw validation_error(err).at_key("oracle_config");
  GarbageCfg g;
  for (const auto& p : kGarbageParams) g.v[p.key] = p.default_value;
  if (cfg.is_object())
    for (auto it = cfg.begin(); it != cfg.end(); ++it) g.v[it.key()] = it.value().get<double>();
  return g;
}

std::string trim(const std::string& s) {
  std::size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool all_space(std::string_view u) {
  return std::all_of(u.begin(), u.end(), [](unsigned char c) { return std::isspace(c); });
}
bool has_alnum(std::string_view u) {
  return std::any_of(u.begin(), u.end(), [](unsigned char c) { return std::isalnum(c) || c >= 0x80; });
}

std::string shown(std::string_view u) {
  std::string r;
  for (char c : u) r += c == '\n' ? std::string("\\n") : std::string(1, c);
  return r;
}

// Tandem repeats of every period at every start (see the header for the rules).
std::optional<std::string> repetition(const std::string& t, const GarbageCfg& c) {
  const std::size_t n = t.size();
  const std::size_t min_rep = static_cast<std::size_t>(std::max(2.0, c.at("min_repeats")));
  const std::size_t maxp = std::min(static_cast<std::size_t>(std::max(0.0, c.at("max_period"))), n / min_rep);
  const double max_run = c.at("max_run_chars");
  std::vector<char> covered(n, 0);
  std::size_t best_len = 0, best_at = 0, best_p = 0;
  for (std::size_t p = 1; p <= maxp; ++p) {
    std::size_t i = 0;
    while (i + p < n) {
      if (t[i] != t[i + p]) {
        ++i;
        continue;
      }
      std::size_t j = i;
      while (j + p < n && t[j] == t[j + p]) ++j;
      const std::size_t len = j - i + p;  // t[i, i+len) has period p
      std::string_view unit(t.data() + i, p);
      if (len >= min_rep * p && !all_space(unit)) {
        std::fill(covered.begin() + static_cast<std::ptrdiff_t>(i), covered.begin() + static_cast<std::ptrdiff_t>(i + len), 1);
        if (has_alnum(unit) && len > best_len) best_len = len, best_at = i, best_p = p;
      }
      i = j + 1;
    }
  }
  auto describe = [&](std::size_t at, std::size_t len, std::size_t p) {
    return fmt::format("'{}' repeated {}x from byte {}", shown(std::string_view(t).substr(at, p)), len / p, at);
  };
  if (best_len > 0 && static_cast<double>(best_len) >= max_run)
    return fmt::format("repetition: {} ({} bytes >= max_run_chars {})", describe(best_at, best_len, best_p), best_len, max_run);
  const auto cov = static_cast<std::size_t>(std::count(covered.begin(), covered.end(), 1));
  const double frac = n ? static_cast<double>(cov) / static_cast<double>(n) : 0.0;
  if (static_cast<double>(cov) >= c.at("min_repeat_chars") && frac >= c.at("max_repeat_fraction"))
    return fmt::format("repetition: repeats cover {} of {} bytes ({:.2f} >= max_repeat_fraction {}){}", cov, n, frac,
                       c.at("max_repeat_fraction"), best_len ? ", e.g. " + describe(best_at, best_len, best_p) : "");
  return std::nullopt;
}

// "NaN", "Inf", "inf" (also "-inf", "nan") as a word of their own: not inside "information".
std::optional<std::string> non_finite_word(const std::string& t) {
  for (const char* bad : {"NaN", "nan", "Inf", "inf"}) {
    const std::size_t len = std::char_traits<char>::length(bad);
    for (std::size_t at = t.find(bad); at != std::string::npos; at = t.find(bad, at + 1)) {
      bool left = at == 0 || !std::isalpha(static_cast<unsigned char>(t[at - 1]));
      bool right = at + len >= t.size() || !std::isalpha(static_cast<unsigned char>(t[at + len]));
      if (left && right) return std::string(bad);
    }
  }
  return std::nullopt;
}

// Code points of UTF-8 text (a malformed byte counts as its own code point).
std::vector<std::uint32_t> code_points(const std::string& s) {
  std::vector<std::uint32_t> r;
  for (std::size_t i = 0; i < s.size();) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t len = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 1;
    if (i + len > s.size()) len = 1;
    std::uint32_t cp = b;
    for (std::size_t k = 1; k < len; ++k) cp = (cp << 8) | static_cast<unsigned char>(s[i + k]);
    r.push_back(cp);
    i += len;
  }
  return r;
}

double entropy_bits(const std::vector<std::uint32_t>& cps) {
  std::unordered_map<std::uint32_t, std::size_t> f;
  for (auto c : cps) ++f[c];
  double h = 0, n = static_cast<double>(cps.size());
  for (auto& [c, k] : f) {
    double p = static_cast<double>(k) / n;
    h -= p * std::log2(p);
  }
  return h;
}

}  // namespace

const std::vector<std::string>& known_oracles() {
  static const std::vector<std::string> k = {"arithmetic", "code_syntax", "garbage", "none"};
  return k;
}

const std::vector<OracleParam>& garbage_params() { return kGarbageParams; }

std::string check_oracle_config(const std::string& name, const nlohmann::json& cfg) {
  const auto& k = known_oracles();
  if (std::find(k.begin(), k.end(), name) == k.end())
    return fmt::format("unknown oracle '{}': expected one of {}", name, fmt::join(k, ", "));
  if (cfg.is_null()) return "";
  if (!cfg.is_object()) return fmt::format("oracle '{}': config: expected an object, found {}", name, cfg.dump());
  for (auto it = cfg.begin(); it != cfg.end(); ++it) {
    bool known = std::any_of(kGarbageParams.begin(), kGarbageParams.end(), [&](const OracleParam& p) { return p.key == it.key(); });
    if (!known) {
      std::vector<std::string> keys;
      for (const auto& p : kGarbageParams) keys.push_back(p.key);
      return fmt::format("oracle '{}': config.{}: unknown key; expected one of {}", name, it.key(), fmt::join(keys, ", "));
    }
    if (!it.value().is_number() || !std::isfinite(it.value().get<double>()))
      return fmt::format("oracle '{}': config.{}: expected a finite number, found {}", name, it.key(), it.value().dump());
  }
  return "";
}

OracleVerdict garbage_oracle(const std::string& out, const nlohmann::json& cfg_json) {
  const GarbageCfg cfg = garbage_cfg(cfg_json);
  const std::string t = trim(out);
  if (t.empty()) return {false, "empty output"};
  for (unsigned char c : t)
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return {false, fmt::format("control character 0x{:02x} in output", c)};
  if (auto bad = non_finite_word(t)) return {false, "output contains '" + *bad + "'"};
  if (t.find("\xEF\xBF\xBD") != std::string::npos) return {false, "output contains U+FFFD"};
  if (auto r = repetition(t, cfg)) return {false, *r};
  // Words are made of letters or digits: output of punctuation alone ("??", "...") says nothing.
  std::size_t word_chars = 0;
  for (unsigned char c : t)
    if (std::isalnum(c) || c >= 0xC0) ++word_chars;  // an ASCII letter/digit, or the lead byte of a non-ASCII character
  if (static_cast<double>(word_chars) < cfg.at("min_word_chars"))
    return {false, fmt::format("{} letters or digits < min_word_chars {}: '{}'", word_chars, cfg.at("min_word_chars"),
                               t.substr(0, 40))};
  const auto cps = code_points(t);
  if (static_cast<double>(cps.size()) >= cfg.at("entropy_min_chars")) {
    double h = entropy_bits(cps);
    if (h < cfg.at("min_entropy_bits"))
      return {false, fmt::format("low entropy: {:.3f} bits/char < min_entropy_bits {} over {} characters", h,
                                 cfg.at("min_entropy_bits"), cps.size())};
  }
  std::istringstream ws(t);
  std::vector<std::string> words;
  for (std::string w; ws >> w;) words.push_back(w);
  int run = 1;
  for (std::size_t i = 1; i < words.size(); ++i) {
    run = words[i] == words[i - 1] ? run + 1 : 1;
    if (run > cfg.at("max_same_word_run"))
      return {false, fmt::format("{} identical words in a row: '{}'", run, words[i])};
  }
  if (!words.empty() && static_cast<double>(words.size()) >= cfg.at("distinct_min_words")) {
    std::set<std::string> u(words.begin(), words.end());
    double ratio = static_cast<double>(u.size()) / static_cast<double>(words.size());
    if (ratio < cfg.at("min_distinct_word_ratio"))
      return {false, fmt::format("few distinct words: {} of {} ({:.2f} < min_distinct_word_ratio {})", u.size(),
                                 words.size(), ratio, cfg.at("min_distinct_word_ratio"))};
  }
  if (auto need = cfg.opt("min_unique_chars")) {
    std::set<char> u(t.begin(), t.end());
    if (static_cast<double>(u.size()) < *need && static_cast<double>(t.size()) >= *need)
      return {false, fmt::format("{} distinct characters < min_unique_chars {}", u.size(), *need)};
  }
  if (auto maxr = cfg.opt("max_repetition_ratio"); maxr && t.size() >= 9) {
    std::set<std::string> tri;
    for (std::size_t i = 0; i + 3 <= t.size(); ++i) tri.insert(t.substr(i, 3));
    double ratio = 1.0 - static_cast<double>(tri.size()) / static_cast<double>(t.size() - 2);
    double lim = std::max(*maxr, cfg.at("trigram_ratio_floor"));
    if (ratio > lim) return {false, fmt::format("trigram repetition {:.2f} > {:.2f}", ratio, lim)};
  }
  return {true, "output is not garbage"};
}

// ---- arithmetic -------------------------------------------------------------------------------

namespace {

// A number at s[i] (digits, optional decimals); advances i. No sign: '-' is an operator here.
std::optional<double> read_number(const std::string& s, std::size_t& i) {
  std::size_t j = i;
  while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
  if (j == i) return std::nullopt;
  if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
    ++j;
    while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) ++j;
  }
  double v = std::stod(s.substr(i, j - i));
  i = j;
  return v;
}

// An operator at s[i] (after spaces); advances i past it.
std::optional<char> read_op(const std::string& s, std::size_t& i) {
  std::size_t j = i;
  while (j < s.size() && s[j] == ' ') ++j;
  if (j >= s.size()) return std::nullopt;
  char op = 0;
  std::size_t len = 1;
  if (std::string_view("+-*/").find(s[j]) != std::string_view::npos) op = s[j];
  else if (s[j] == 'x' || s[j] == 'X') op = '*';
  else if (s.compare(j, 2, "\xC3\x97") == 0) op = '*', len = 2;        // ×
  else if (s.compare(j, 2, "\xC3\xB7") == 0) op = '/', len = 2;        // ÷
  else if (s.compare(j, 3, "\xE2\x88\x92") == 0) op = '-', len = 3;    // − (U+2212)
  if (!op) return std::nullopt;
  j += len;
  while (j < s.size() && s[j] == ' ') ++j;
  if (j >= s.size() || !std::isdigit(static_cast<unsigned char>(s[j]))) return std::nullopt;
  i = j;
  return op;
}

std::optional<double> evaluate(std::vector<double> nums, std::vector<char> ops) {
  // * and / first, then + and - left to right.
  std::vector<double> n2{nums[0]};
  std::vector<char> o2;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    if (ops[k] == '*') n2.back() *= nums[k + 1];
    else if (ops[k] == '/') {
      if (nums[k + 1] == 0) return std::nullopt;
      n2.back() /= nums[k + 1];
    } else {
      n2.push_back(nums[k + 1]);
      o2.push_back(ops[k]);
    }
  }
  double r = n2[0];
  for (std::size_t k = 0; k < o2.size(); ++k) r = o2[k] == '+' ? r + n2[k + 1] : r - n2[k + 1];
  return r;
}

// Every number in the output: digits with an optional sign, thousands commas and decimals, and
// English number words up to ninety-nine ("fifty-six", "fifty six").
std::vector<double> numbers_in(const std::string& s) {
  std::vector<double> r;
  for (std::size_t i = 0; i < s.size();) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) {
      ++i;
      continue;
    }
    bool neg = false;
    auto prev_alnum = [&](std::size_t at) { return at > 0 && std::isalnum(static_cast<unsigned char>(s[at - 1])); };
    if (i >= 1 && s[i - 1] == '-' && !prev_alnum(i - 1)) neg = true;
    if (i >= 3 && s.compare(i - 3, 3, "\xE2\x88\x92") == 0 && !prev_alnum(i - 3)) neg = true;
    std::string digits;
    std::size_t j = i;
    for (;;) {
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) digits += s[j++];
      if (j + 3 < s.size() && s[j] == ',' && std::all_of(s.begin() + static_cast<std::ptrdiff_t>(j + 1),
                                                               s.begin() + static_cast<std::ptrdiff_t>(j + 4),
                                                               [](unsigned char c) { return std::isdigit(c); }) &&
          (j + 4 >= s.size() || !std::isdigit(static_cast<unsigned char>(s[j + 4])))) {
        ++j;
        continue;
      }
      break;
    }
    if (j + 1 < s.size() && s[j] == '.' && std::isdigit(static_cast<unsigned char>(s[j + 1]))) {
      digits += s[j++];
      while (j < s.size() && std::isdigit(static_cast<unsigned char>(s[j]))) digits += s[j++];
    }
    double v = std::stod(digits);
    r.push_back(neg ? -v : v);
    i = j;
  }
  static const std::map<std::string, int> units = {
      {"zero", 0}, {"one", 1}, {"two", 2}, {"three", 3}, {"four", 4}, {"five", 5}, {"six", 6},
      {"seven", 7}, {"eight", 8}, {"nine", 9}, {"ten", 10}, {"eleven", 11}, {"twelve", 12},
      {"thirteen", 13}, {"fourteen", 14}, {"fifteen", 15}, {"sixteen", 16}, {"seventeen", 17},
      {"eighteen", 18}, {"nineteen", 19}};
  static const std::map<std::string, int> tens = {{"twenty", 20}, {"thirty", 30}, {"forty", 40}, {"fifty", 50},
                                                  {"sixty", 60}, {"seventy", 70}, {"eighty", 80}, {"ninety", 90}};
  std::vector<std::string> words;
  std::string cur;
  for (char ch : s + " ") {
    if (std::isalpha(static_cast<unsigned char>(ch))) cur += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    else if (!cur.empty()) words.push_back(std::move(cur)), cur.clear();
  }
  for (std::size_t k = 0; k < words.size(); ++k) {
    if (auto u = units.find(words[k]); u != units.end()) r.push_back(u->second);
    if (auto t = tens.find(words[k]); t != tens.end()) {
      r.push_back(t->second);
      if (k + 1 < words.size())
        if (auto u = units.find(words[k + 1]); u != units.end() && u->second > 0 && u->second < 10)
          r.push_back(t->second + u->second);
    }
  }
  return r;
}

std::string show_number(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return fmt::format("{}", static_cast<long long>(v));
  return fmt::format("{:.6g}", v);
}

}  // namespace

std::optional<ArithmeticExpr> find_arithmetic(const std::string& p) {
  for (std::size_t i = 0; i < p.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(p[i])) || (i > 0 && (std::isdigit(static_cast<unsigned char>(p[i - 1])) || p[i - 1] == '.')))
      continue;
    std::size_t j = i;
    std::vector<double> nums{*read_number(p, j)};
    std::vector<char> ops;
    for (;;) {
      std::size_t k = j;
      auto op = read_op(p, k);
      if (!op) break;
      auto n = read_number(p, k);
      if (!n) break;
      ops.push_back(*op);
      nums.push_back(*n);
      j = k;
    }
    if (ops.empty()) continue;
    auto v = evaluate(nums, ops);
    if (!v) continue;  // division by zero: not a checkable expression
    return ArithmeticExpr{p.substr(i, j - i), *v};
  }
  return std::nullopt;
}

OracleVerdict arithmetic_oracle(const std::string& prompt, const std::string& out, const nlohmann::json& cfg) {
  auto e = find_arithmetic(prompt);
  if (!e) {
    auto g = garbage_oracle(out, cfg);
    g.reason = "the prompt has no a<op>b expression to check; garbage oracle: " + g.reason;
    return g;
  }
  garbage_cfg(cfg);  // the config is validated whichever branch decides
  const double want = e->value;
  const bool integral = want == std::floor(want);
  for (double v : numbers_in(out)) {
    bool ok = integral ? v == want : std::fabs(v - want) <= 1e-2 * std::fabs(want);
    if (ok) return {true, fmt::format("{} = {}; the output contains {}", e->text, show_number(want), show_number(v))};
  }
  return {false, fmt::format("{} = {}; no number in the output equals it", e->text, show_number(want))};
}

OracleVerdict code_oracle(const std::string& out, const nlohmann::json& cfg) {
  auto g = garbage_oracle(out, cfg);
  if (!g.pass) return g;
  int par = 0, br = 0, cu = 0;
  for (char c : out) {
    par += c == '(' ? 1 : c == ')' ? -1 : 0;
    br += c == '[' ? 1 : c == ']' ? -1 : 0;
    cu += c == '{' ? 1 : c == '}' ? -1 : 0;
    if (par < 0 || br < 0 || cu < 0) return {false, "closing bracket without an opening one"};
  }
  return {true, "output is code-like and brackets never close early"};
}

OracleVerdict apply_oracle(const std::string& name, const std::string& prompt, const std::string& out,
                           const nlohmann::json& cfg) {
  if (std::string err = check_oracle_config(name, cfg); !err.empty()) throw validation_error(err).at_key("oracle");
  if (name == "arithmetic") return arithmetic_oracle(prompt, out, cfg);
  if (name == "code_syntax") return code_oracle(out, cfg);
  if (name == "none") return {!out.empty(), out.empty() ? "empty output" : "oracles disabled by gates.g4_output_quality"};
  return garbage_oracle(out, cfg);
}

}  // namespace apr::qa
