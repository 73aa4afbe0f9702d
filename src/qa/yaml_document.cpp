// apr-qa qa: one YAML document, checked before use (see yaml_document.hpp).
#include "qa/yaml_document.hpp"

#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "core/error.hpp"

namespace apr::qa::yamlr {
namespace {

class Walker {
 public:
  explicit Walker(const Ctx& c) : c_(c) {}

  void walk(const YAML::Node& n, const std::string& path) {
    if (++visited_ > kMaxYamlNodes)
      fail(c_, n, path, fmt::format("expected at most {} YAML nodes after expanding aliases, found more "
                                    "(an alias repeating a large anchor?)", kMaxYamlNodes));
    if (!n.IsMap() && !n.IsSequence()) return;
    for (const auto& anc : stack_)
      if (anc.is(n)) fail(c_, n, path, "self-referential YAML alias: this node contains itself");
    if (static_cast<int>(stack_.size()) >= kMaxYamlDepth)
      fail(c_, n, path, fmt::format("expected YAML nested at most {} levels deep, found deeper", kMaxYamlDepth));
    stack_.push_back(n);
    if (n.IsSequence()) {
      std::size_t i = 0;
      for (const auto& v : n) walk(v, fmt::format("{}[{}]", path, i++));
    } else {
      std::unordered_map<std::string, int> lines;  // key -> line of its first occurrence
      for (const auto& kv : n) {
        std::string key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        std::string kp = path.empty() ? key : path + "." + key;
        if (kv.first.IsScalar()) {
          auto [it, fresh] = lines.emplace(key, line_of(kv.first));
          if (!fresh)
            fail(c_, kv.first, kp,
                 fmt::format("duplicate key '{}': first at line {}, again at line {} (remove one)", kp, it->second,
                             line_of(kv.first)));
        } else {
          walk(kv.first, kp);
        }
        walk(kv.second, kp);
      }
    }
    stack_.pop_back();
  }

 private:
  const Ctx& c_;
  std::size_t visited_ = 0;
  std::vector<YAML::Node> stack_;
};

}  // namespace

YAML::Node load_document(const Ctx& c, const std::string& text) {
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(text);
  } catch (const YAML::Exception& e) {
    throw parse_error("YAML syntax error: " + e.msg)
        .at_path(fmt::format("{}:{}:{}", c.file, e.mark.line + 1, e.mark.column + 1));
  }
  if (docs.size() > 1) {
    const auto& second = docs[1];
    std::string where = c.file;
    if (second.IsDefined() && second.Mark().line >= 0) where += fmt::format(":{}", line_of(second));
    throw validation_error(fmt::format("expected one YAML document, found {} (a second document after '---' "
                                       "would be ignored; remove it or split the file)",
                                       docs.size()))
        .at_path(where);
  }
  YAML::Node root = docs.empty() ? YAML::Node() : docs[0];
  Walker(c).walk(root, "");
  return root;
}

}  // namespace apr::qa::yamlr
