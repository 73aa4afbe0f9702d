// apr-qa qa: typed reading of YAML documents with file:line:column errors and key bookkeeping.
//
// A MapReader wraps one YAML mapping: take("k") marks a key as known and returns its node;
// finish() reports every key that was never taken (warning, or error when strict). Scalar
// readers follow YAML 1.1 core resolution as PyYAML applies it, so what this loader accepts is
// what a JSON Schema validator sees after PyYAML parsing: numbers and booleans must be plain
// scalars; a string field given a plain number/boolean/null is rejected ("quote it").
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>
#include <yaml-cpp/yaml.h>

namespace apr::qa::yamlr {

enum class PlainType { null, boolean, integer, floating, string };
// How YAML 1.1 (PyYAML) resolves a scalar; quoted scalars are always strings.
PlainType resolve_scalar(const YAML::Node& n);

struct Ctx {
  std::string file;
  bool strict = false;
  std::vector<std::string>* warnings = nullptr;
};

[[noreturn]] void fail(const Ctx& c, const YAML::Node& n, const std::string& key,
                       const std::string& msg);
std::string describe(const YAML::Node& n);  // "a mapping", "the number 12", "the string 'x'"

std::string as_string(const Ctx& c, const YAML::Node& n, const std::string& key);
bool as_bool(const Ctx& c, const YAML::Node& n, const std::string& key);  // YAML bool or "true"/"yes"/...
std::int64_t as_int(const Ctx& c, const YAML::Node& n, const std::string& key, std::int64_t lo,
                    std::int64_t hi);
double as_number(const Ctx& c, const YAML::Node& n, const std::string& key);
std::vector<std::string> as_string_list(const Ctx& c, const YAML::Node& n, const std::string& key);
std::string as_enum(const Ctx& c, const YAML::Node& n, const std::string& key,
                    const std::vector<std::string>& allowed);
nlohmann::json to_json(const YAML::Node& n, int depth = 0);  // typed as PyYAML would

class MapReader {
 public:
  MapReader(const Ctx& c, const YAML::Node& n, std::string path);  // fails if n is not a map
  // The node of `key` if present (marks it known); else an undefined node.
  YAML::Node take(const std::string& key);
  YAML::Node require(const std::string& key);  // fails naming the missing key
  std::string key_path(const std::string& key) const;
  // Unknown keys: within edit distance 2 of a known key of this mapping, an error "did you mean"
  // in every mode; otherwise a warning "unknown key 'a.b' (line L)" or, when strict, an error.
  // require() of a missing key names a present key within two edits of it.
  void finish();
  const YAML::Node& node() const { return n_; }

 private:
  const Ctx& c_;
  YAML::Node n_;
  std::string path_;
  std::vector<std::string> taken_;
};

int line_of(const YAML::Node& n);    // 1-based
int column_of(const YAML::Node& n);  // 1-based

}  // namespace apr::qa::yamlr
