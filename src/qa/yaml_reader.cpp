#include "qa/yaml_reader.hpp"

#include <algorithm>
#include <regex>

#include <fmt/format.h>

#include "core/error.hpp"

namespace apr::qa::yamlr {

int line_of(const YAML::Node& n) { return n.Mark().line + 1; }
int column_of(const YAML::Node& n) { return n.Mark().column + 1; }

PlainType resolve_scalar(const YAML::Node& n) {
  if (n.IsNull()) return PlainType::null;
  if (!n.IsScalar()) return PlainType::string;
  if (n.Tag() == "!") return PlainType::string;  // quoted
  const std::string& s = n.Scalar();
  static const std::regex null_re("^(~|null|Null|NULL|)$");
  static const std::regex bool_re("^(yes|Yes|YES|no|No|NO|true|True|TRUE|false|False|FALSE|on|On|ON|off|Off|OFF)$");
  static const std::regex int_re("^([-+]?0b[0-1_]+|[-+]?0[0-7_]+|[-+]?(0|[1-9][0-9_]*)|[-+]?0x[0-9a-fA-F_]+)$");
  // PyYAML's float plus the exponent-without-dot form (1e-5) that YAML 1.2 and our tests accept.
  static const std::regex float_re(
      "^([-+]?([0-9][0-9_]*)?\\.[0-9_]*([eE][-+]?[0-9]+)?|[-+]?[0-9][0-9_]*[eE][-+]?[0-9]+|[-+]?\\.(inf|Inf|INF)|\\.(nan|NaN|NAN))$");
  if (std::regex_match(s, null_re)) return PlainType::null;
  if (std::regex_match(s, bool_re)) return PlainType::boolean;
  if (std::regex_match(s, int_re)) return PlainType::integer;
  if (s != "." && std::regex_match(s, float_re)) return PlainType::floating;
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

nlohmann::json to_json(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return nullptr;
  if (n.IsMap()) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& kv : n) j[kv.first.Scalar()] = to_json(kv.second);
    return j;
  }
  if (n.IsSequence()) {
    nlohmann::json j = nlohmann::json::array();
    for (const auto& v : n) j.push_back(to_json(v));
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
  if (!v.IsDefined()) fail(c_, n_, key_path(key), "required key '" + key + "' is missing");
  return v;
}

void MapReader::finish() {
  std::vector<std::string> unknown;
  YAML::Node first;
  for (const auto& kv : n_) {
    std::string k = kv.first.Scalar();
    if (std::find(taken_.begin(), taken_.end(), k) != taken_.end()) continue;
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
