// apr-qa qa: loading one untrusted YAML document (a playbook) safely.
//
// yaml-cpp keeps aliases as shared nodes, so a document can hold a cycle (`self: &a [*a]`) or
// expand exponentially (billion laughs) when walked. load_document parses the text and walks the
// tree once, expanding aliases, before anything else reads it:
//   * exactly one document (a second `---` document is an error naming its line);
//   * no node that contains itself (alias cycle), nesting at most kMaxYamlDepth;
//   * at most kMaxYamlNodes nodes after alias expansion;
//   * no duplicate key in any mapping (an error naming both lines; PyYAML would keep the last
//     value, yaml-cpp the first, serde_yaml rejects it).
// Every failure is a validation or parse Error at "file:line:column".
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "qa/yaml_reader.hpp"

namespace apr::qa::yamlr {

inline constexpr int kMaxYamlDepth = 64;
inline constexpr std::size_t kMaxYamlNodes = 100'000;  // real playbooks and gate files: < 3,000

YAML::Node load_document(const Ctx& c, const std::string& text);

}  // namespace apr::qa::yamlr
