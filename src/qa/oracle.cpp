#include "qa/oracle.hpp"

#include <cctype>
#include <map>
#include <set>
#include <sstream>
#include <vector>

#include <fmt/format.h>

namespace apr::qa {

static bool repeated_period(const std::string& s) {
  std::size_t len = s.size();
  std::size_t maxp = std::min<std::size_t>(20, len / 3);
  for (std::size_t p = 2; p <= maxp; ++p) {
    std::size_t covered = p;
    while (covered + p <= len && s.compare(covered, p, s, 0, p) == 0) covered += p;
    if (covered / p >= 3 && covered * 10 >= len * 7) return true;
  }
  return false;
}

OracleVerdict garbage_oracle(const std::string& out, const nlohmann::json& cfg) {
  std::string t = out;
  while (!t.empty() && std::isspace(static_cast<unsigned char>(t.back()))) t.pop_back();
  std::size_t b = 0;
  while (b < t.size() && std::isspace(static_cast<unsigned char>(t[b]))) ++b;
  t = t.substr(b);
  if (t.empty()) return {false, "empty output"};
  for (unsigned char c : t)
    if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') return {false, fmt::format("control character 0x{:02x} in output", c)};
  for (const char* bad : {"NaN", "Inf", "inf"})
    if (t.find(bad) != std::string::npos) return {false, std::string("output contains '") + bad + "'"};
  if (t.find("\xEF\xBF\xBD") != std::string::npos) return {false, "output contains U+FFFD"};
  if (repeated_period(t)) return {false, "output repeats a short period"};
  std::istringstream ws(t);
  std::vector<std::string> words;
  for (std::string w; ws >> w;) words.push_back(w);
  int run = 1;
  for (std::size_t i = 1; i < words.size(); ++i) {
    run = words[i] == words[i - 1] ? run + 1 : 1;
    if (run >= 5) return {false, "five identical words in a row: '" + words[i] + "'"};
  }
  for (const auto& w : words)
    if (w.size() >= 6 && repeated_period(w)) return {false, "a word repeats a short period: '" + w + "'"};
  if (cfg.is_object() && cfg.contains("min_unique_chars") && cfg["min_unique_chars"].is_number()) {
    std::set<char> u(t.begin(), t.end());
    int need = cfg["min_unique_chars"].get<int>();
    if (static_cast<int>(u.size()) < need && t.size() >= static_cast<std::size_t>(need))
      return {false, fmt::format("{} distinct characters < min_unique_chars {}", u.size(), need)};
  }
  if (cfg.is_object() && cfg.contains("max_repetition_ratio") && cfg["max_repetition_ratio"].is_number() && t.size() >= 9) {
    std::map<std::string, int> tri;
    for (std::size_t i = 0; i + 3 <= t.size(); ++i) tri[t.substr(i, 3)]++;
    double total = static_cast<double>(t.size() - 2);
    double ratio = 1.0 - static_cast<double>(tri.size()) / total;
    double maxr = cfg["max_repetition_ratio"].get<double>();
    // The anchor's documented intent: trigram repetition well above the ratio marks garbage.
    if (ratio > std::max(maxr, 0.7)) return {false, fmt::format("trigram repetition {:.2f} > {:.2f}", ratio, std::max(maxr, 0.7))};
  }
  return {true, "output is not garbage"};
}

static bool parse_int(std::string s, long long& v) {
  auto trim = [](std::string& x) {
    while (!x.empty() && std::isspace(static_cast<unsigned char>(x.back()))) x.pop_back();
    std::size_t b = 0;
    while (b < x.size() && std::isspace(static_cast<unsigned char>(x[b]))) ++b;
    x = x.substr(b);
  };
  trim(s);
  if (s.empty()) return false;
  std::size_t i = (s[0] == '-' || s[0] == '+') ? 1 : 0;
  if (i == s.size()) return false;
  for (std::size_t k = i; k < s.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
  try { v = std::stoll(s); } catch (...) { return false; }
  return true;
}

OracleVerdict arithmetic_oracle(const std::string& prompt, const std::string& out, const nlohmann::json& cfg) {
  std::string p = prompt;
  while (!p.empty() && (p.back() == '=' || p.back() == '?' || std::isspace(static_cast<unsigned char>(p.back())))) p.pop_back();
  for (char op : {'+', '-', '*', '/'}) {
    auto pos = p.find(op, 1);
    if (pos == std::string::npos) continue;
    long long a = 0, b = 0;
    if (!parse_int(p.substr(0, pos), a) || !parse_int(p.substr(pos + 1), b)) break;
    long long r = 0;
    if (op == '+') r = a + b;
    else if (op == '-') r = a - b;
    else if (op == '*') r = a * b;
    else {
      if (b == 0) break;
      r = a / b;
    }
    std::string want = std::to_string(r);
    if (out.find(want) != std::string::npos) return {true, "output contains " + want};
    return {false, fmt::format("expected {} {} {} = {} in the output", a, op, b, want)};
  }
  auto g = garbage_oracle(out, cfg);
  g.reason = "not a checkable a<op>b expression; " + g.reason;
  return g;
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
  if (name == "arithmetic") return arithmetic_oracle(prompt, out, cfg);
  if (name == "code_syntax") return code_oracle(out, cfg);
  if (name == "none") return {!out.empty(), out.empty() ? "empty output" : "oracles disabled by gates.g4_output_quality"};
  return garbage_oracle(out, cfg);
}

}  // namespace apr::qa
