#include "qa/yaml_reader.hpp"

#include "core/suggest.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace apr::qa::yamlr {

int line_of(const YAML::Node& n) { return n.Mark().line + 1; }
int column_of(const YAML::Node& n) { return n.Mark().column + 1; }

namespace {

// Hand-written matchers for PyYAML's implicit resolvers (no std::regex: libstdc++'s matcher
// recurses once per character and overflows the stack on a 20k-character scalar).
bool digit(char ch) { return ch >= '0' && ch <= '9'; }
bool digit_(char ch) { return digit(ch) || ch == '_'; }
template <typename Pred>
bool all(std::string_view s, Pred p) {
  for (char ch : s)
    if (!p(ch)) return false;
  return true;
}
std::string_view unsign(std::string_view s) {
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  return s;
}

bool is_null_word(std::string_view s) { return s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL"; }

bool is_bool_word(std::string_view s) {
  for (std::string_view w : {"yes", "Yes", "YES", "no", "No", "NO", "true", "True", "TRUE", "false", "False", "FALSE",
                             "on", "On", "ON", "off", "Off", "OFF"})
    if (s == w) return true;
  return false;
}

// [-+]?0b[0-1_]+ | [-+]?0[0-7_]+ | [-+]?(0|[1-9][0-9_]*) | [-+]?0x[0-9a-fA-F_]+
bool is_int_word(std::string_view s) {
  s = unsign(s);
  if (s.empty()) return false;
  if (s.size() > 2 && s.substr(0, 2) == "0b") return all(s.substr(2), [](char c) { return c == '0' || c == '1' || c == '_'; });
  if (s.size() > 2 && s.substr(0, 2) == "0x")
    return all(s.substr(2), [](char c) { return std::isxdigit(static_cast<unsigned char>(c)) || c == '_'; });
  if (s[0] == '0') return s.size() == 1 || all(s.substr(1), [](char c) { return (c >= '0' && c <= '7') || c == '_'; });
  return digit(s[0]) && all(s.substr(1), digit_);
}

// [-+]?([0-9][0-9_]*)?\.[0-9_]*([eE][-+]?[0-9]+)? | [-+]?[0-9][0-9_]*[eE][-+]?[0-9]+ |
// [-+]?\.(inf|Inf|INF) | \.(nan|NaN|NAN)
bool is_float_word(std::string_view s) {
  if (s == ".nan" || s == ".NaN" || s == ".NAN") return true;
  s = unsign(s);
  if (s == ".inf" || s == ".Inf" || s == ".INF") return true;
  std::size_t i = 0;
  const std::size_t n = s.size();
  if (i < n && digit(s[i]))
    while (++i < n && digit_(s[i])) {
    }
  const bool int_part = i > 0;
  bool dot = false;
  if (i < n && s[i] == '.') {
    dot = true;
    while (++i < n && digit_(s[i])) {
    }
  }
  if (!dot && !int_part) return false;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < n && (s[i] == '-' || s[i] == '+')) ++i;
    const std::size_t d = i;
    while (i < n && digit(s[i])) ++i;
    if (i == d) return false;
  } else if (!dot) {
    return false;
  }
  return i == n;
}

}  // namespace

PlainType resolve_scalar(const YAML::Node& n) {
  if (n.IsNull()) return PlainType::null;
  if (!n.IsScalar()) return PlainType::string;
  if (n.Tag() == "!") return PlainType::string;  // quoted
  const std::string& s = n.Scalar();
  if (is_null_word(s)) return PlainType::null;
  if (is_bool_word(s)) return PlainType::boolean;
  if (is_int_word(s)) return PlainType::integer;
  if (s != "." && is_float_word(s)) return PlainType::floating;
  return PlainType::string;
}

std::string describe(const YAML::Node& n) {
  if (!n.IsDefined()) return "nothing";
  if (n.IsMap()) return "a mapping";
  if (n.IsSequence()) return "a list";
  switch (resolve_scalar(n)) {
    case PlainType::null: return "null";
    case PlainType::boolean: return "the boolean " + n.Scalar();
    case PlainType::integer:
    case PlainType::floating: return "the number " + n.Scalar();
    case PlainType::string: break;
  }
  std::string s = n.Scalar();
  if (s.size() > 40) s = s.substr(0, 40) + "...";
  return "the string '" + s + "'";
}

void fail(const Ctx& c, const YAML::Node& n, const std::string& key, const std::string& msg) {
  std::string where = c.file;
  if (n.IsDefined() && n.Mark().line >= 0)
    where += fmt::format(":{}:{}", line_of(n), column_of(n));
  auto e = validation_error(msg).at_path(where);
  if (!key.empty()) e.at_key(key);
  throw e;
}

std::string as_string(const Ctx& c, const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar() || resolve_scalar(n) != PlainType::string) {
    std::string hint = (n.IsScalar() || n.IsNull()) ? " (quote it to make it a string)" : "";
    fail(c, n, key, "expected a string, found " + describe(n) + hint);
  }
  return n.Scalar();
}

bool as_bool(const Ctx& c, const YAML::Node& n, const std::string& key) {
  if (n.IsScalar()) {
    std::string s = n.Scalar();
    std::string low = s;
    std::transform(low.begin(), low.end(), low.begin(), [](unsigned char ch) { return std::tolower(ch); });
    auto t = resolve_scalar(n);
    if (t == PlainType::boolean || t == PlainType::string) {
      if (low == "true" || low == "yes" || low == "on") return true;
      if (low == "false" || low == "no" || low == "off") return false;
    }
  }
  fail(c, n, key, "expected a boolean (true/false, or the strings \"true\"/\"yes\"/\"on\"/\"false\"/\"no\"/\"off\"), found " + describe(n));
}

std::int64_t as_int(const Ctx& c, const YAML::Node& n, const std::string& key, std::int64_t lo,
                    std::int64_t hi) {
  if (!n.IsScalar() || resolve_scalar(n) != PlainType::integer)
    fail(c, n, key, fmt::format("expected an integer in [{}, {}], found {}", lo, hi, describe(n)));
  std::int64_t v = 0;
  try {
    std::string s = n.Scalar();
    s.erase(std::remove(s.begin(), s.end(), '_'), s.end());
    v = std::stoll(s, nullptr, 0);
  } catch (...) {
    fail(c, n, key, "expected an integer, found " + describe(n));
  }
  if (v < lo || v > hi)
    fail(c, n, key, fmt::format("expected an integer in [{}, {}], found {}", lo, hi, v));
  return v;
}

double as_number(const Ctx& c, const YAML::Node& n, const std::string& key) {
  auto t = n.IsScalar() ? resolve_scalar(n) : PlainType::string;
  if (t != PlainType::integer && t != PlainType::floating)
    fail(c, n, key, "expected a number, found " + describe(n));
  try {
    return std::stod(n.Scalar());
  } catch (...) {
    fail(c, n, key, "expected a number, found " + describe(n));
  }
}

std::vector<std::string> as_string_list(const Ctx& c, const YAML::Node& n, const std::string& key) {
  if (!n.IsSequence()) fail(c, n, key, "expected a list of strings, found " + describe(n));
  std::vector<std::string> out;
  for (std::size_t i = 0; i < n.size(); ++i)
    out.push_back(as_string(c, n[i], key + "[" + std::to_string(i) + "]"));
  return out;
}

std::string as_enum(const Ctx& c, const YAML::Node& n, const std::string& key,
                    const std::vector<std::string>& allowed) {
  std::string s = as_string(c, n, key);
  if (std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
    std::string list;
    for (const auto& a : allowed) list += (list.empty() ? "" : "|") + a;
    fail(c, n, key, "expected one of " + list + ", found '" + s + "'");
  }
  return s;
}

nlohmann::json to_json(const YAML::Node& n, int depth) {
  // load_document already refused cycles and deep nesting; this bound only keeps the walk finite
  // for a node that did not come from it.
  if (depth > 256) throw validation_error("YAML value nested more than 256 levels deep (an alias cycle?)");
  if (!n.IsDefined() || n.IsNull()) return nullptr;
  if (n.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : n) j[kv.first.Scalar()] = to_json(kv.second, depth + 1);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& v : n) j.push_back(to_json(v, depth + 1));
    return j;
  }
  switch (resolve_scalar(n)) {
    case PlainType::null: return nullptr;
    case PlainType::boolean: {
      std::string low = n.Scalar();
      std::transform(low.begin(), low.end(), low.begin(), [](unsigned char ch) { return std::tolower(ch); });
      return low == "true" || low == "yes" || low == "on";
    }
    case PlainType::integer:
      try { return std::stoll(n.Scalar(), nullptr, 0); } catch (...) { return n.Scalar(); }
    case PlainType::floating:
      try { return std::stod(n.Scalar()); } catch (...) { return n.Scalar(); }
    case PlainType::string: break;
  }
  return n.Scalar();
}

MapReader::MapReader(const Ctx& c, const YAML::Node& n, std::string path)
    : c_(c), n_(n), path_(std::move(path)) {
  if (!n.IsMap())
    fail(c, n, path_, "expected a mapping, found " + describe(n));
}

std::string MapReader::key_path(const std::string& key) const {
  return path_.empty() ? key : path_ + "." + key;
}

YAML::Node MapReader::take(const std::string& key) {
  taken_.push_back(key);
  for (const auto& kv : n_)
    if (kv.first.IsScalar() && kv.first.Scalar() == key) return kv.second;
  return YAML::Node(YAML::NodeType::Undefined);
}

YAML::Node MapReader::require(const std::string& key) {
  YAML::Node v = take(key);
  if (v.IsDefined()) return v;
  // A present key one or two edits away is the likely cause: name it.
  for (const auto& kv : n_) {
    if (!kv.first.IsScalar()) continue;
    const std::string& k = kv.first.Scalar();
    if (k != key && apr::edit_distance(k, key, 2) <= 2)
      fail(c_, kv.first, key_path(k),
           fmt::format("required key '{}' is missing; found '{}' (line {}): did you mean '{}'?", key_path(key),
                       key_path(k), line_of(kv.first), key));
  }
  fail(c_, n_, key_path(key), "required key '" + key + "' is missing");
}

void MapReader::finish() {
  std::vector<std::string> unknown;
  YAML::Node first;
  for (const auto& kv : n_) {
    std::string k = kv.first.Scalar();
    if (std::find(taken_.begin(), taken_.end(), k) != taken_.end()) continue;
    // Within two edits of a key known here: a typo that would silently change the run. An error
    // in every mode.
    for (const auto& known : taken_)
      if (apr::edit_distance(k, known, 2) <= 2)
        fail(c_, kv.first, key_path(k),
             fmt::format("unknown key '{}' (line {}): did you mean '{}'?", key_path(k), line_of(kv.first), key_path(known)));
    if (unknown.empty()) first = kv.first;
    unknown.push_back(fmt::format("'{}' (line {})", key_path(k), line_of(kv.first)));
  }
  if (unknown.empty()) return;
  std::string list;
  for (const auto& u : unknown) list += (list.empty() ? "" : ", ") + u;
  if (c_.strict) fail(c_, first, path_, "unknown key(s) " + list);
  if (c_.warnings) c_.warnings->push_back(c_.file + ": unknown key(s) ignored: " + list);
}

}  // namespace apr::qa::yamlr
