// apr-qa qa: one YAML document, checked before use (see yaml_document.hpp).
#include "qa/yaml_document.hpp"

#include <sstream>
#include <unordered_map>
#include <vector>

#include <yaml-cpp/eventhandler.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/printable.hpp"

namespace apr::qa::yamlr {
namespace {

class Walker {
 public:
  explicit Walker(const Ctx& c) : c_(c) {}

  // The dotted path of a node ("a.b[3].c") is only built for an error: a billion-laughs file
  // expands to a million nodes, and formatting each one's path cost 1.4 s under ASan (found by
  // fuzz_gate_catalogue). path_ holds one segment per level instead.
  void walk(const YAML::Node& n) {
    if (++visited_ > kMaxYamlNodes)
      fail(c_, n, path(), fmt::format("expected at most {} YAML nodes after expanding aliases, found more "
                                      "(an alias repeating a large anchor?)", kMaxYamlNodes));
    if (!n.IsMap() && !n.IsSequence()) return;
    for (const auto& anc : stack_)
      if (anc.is(n)) fail(c_, n, path(), "self-referential YAML alias: this node contains itself");
    if (static_cast<int>(stack_.size()) >= kMaxYamlDepth)
      fail(c_, n, path(), fmt::format("expected YAML nested at most {} levels deep, found deeper", kMaxYamlDepth));
    stack_.push_back(n);
    if (n.IsSequence()) {
      path_.push_back(Segment{std::string(), 0, true});
      for (const auto& v : n) {
        walk(v);
        ++path_.back().index;
      }
      path_.pop_back();
    } else {
      std::unordered_map<std::string, int> lines;  // key -> line of its first occurrence
      path_.push_back(Segment{});
      for (const auto& kv : n) {
        path_.back().key = kv.first.IsScalar() ? kv.first.Scalar() : std::string();
        if (kv.first.IsScalar()) {
          auto [it, fresh] = lines.emplace(path_.back().key, line_of(kv.first));
          if (!fresh) {
            const std::string kp = path();
            fail(c_, kv.first, kp,
                 fmt::format("duplicate key '{}': first at line {}, again at line {} (remove one)", kp, it->second,
                             line_of(kv.first)));
          }
        } else {
          walk(kv.first);
        }
        walk(kv.second);
      }
      path_.pop_back();
    }
    stack_.pop_back();
  }

 private:
  struct Segment {
    std::string key;        // a mapping's key
    std::size_t index = 0;  // a sequence's position
    bool is_index = false;
  };

  std::string path() const {
    std::string p;
    for (const auto& s : path_) {
      if (s.is_index) p += fmt::format("[{}]", s.index);
      else p += (p.empty() ? "" : ".") + s.key;
    }
    return p;
  }

  std::vector<Segment> path_;
  const Ctx& c_;
  std::size_t visited_ = 0;
  std::vector<YAML::Node> stack_;
};

// Records where each document starts and where its first node is; builds nothing.
class DocumentStarts : public YAML::EventHandler {
 public:
  std::vector<YAML::Mark> starts, first_nodes;
  void OnDocumentStart(const YAML::Mark& m) override {
    starts.push_back(m);
    first_nodes.push_back(m);
    fresh_ = true;
  }
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnAlias(const YAML::Mark& m, YAML::anchor_t) override { node(m); }
  void OnScalar(const YAML::Mark& m, const std::string&, YAML::anchor_t, const std::string&) override { node(m); }
  void OnSequenceStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnSequenceEnd() override {}
  void OnMapStart(const YAML::Mark& m, const std::string&, YAML::anchor_t, YAML::EmitterStyle::value) override {
    node(m);
  }
  void OnMapEnd() override {}

 private:
  void node(const YAML::Mark& m) {
    if (fresh_) first_nodes.back() = m;
    fresh_ = false;
  }
  bool fresh_ = false;
};

// Where each document of the text starts. yaml-cpp 0.7 does not consume a ',' outside a flow
// collection at the top level: its parser then returns the same empty document at the same place
// forever (YAML::LoadAll on "," allocates until memory runs out). A document starting where the
// previous one started is that case: a syntax error there.
DocumentStarts document_starts(const Ctx& c, const std::string& text) {
  std::istringstream in(text);
  YAML::Parser parser(in);
  DocumentStarts h;
  while (parser.HandleNextDocument(h)) {
    const std::size_t n = h.starts.size();
    if (n >= 2 && h.starts[n - 1].pos <= h.starts[n - 2].pos) {
      const YAML::Mark& m = h.starts[n - 1];
      const auto pos = static_cast<std::size_t>(m.pos);
      std::string found = pos < text.size() ? "'" + printable(text.substr(pos, 1)) + "'" : "the end of the text";
      throw parse_error("YAML syntax error: unexpected " + found +
                        " outside a flow collection (a ',' belongs inside [...] or {...})")
          .at_path(fmt::format("{}:{}:{}", c.file, m.line + 1, m.column + 1));
    }
  }
  return h;
}

}  // namespace

YAML::Node load_document(const Ctx& c, const std::string& text) {
  YAML::Node root;
  try {
    const auto docs = document_starts(c, text);
    const auto& starts = docs.starts;
    if (starts.size() > 1)
      throw validation_error(fmt::format("expected one YAML document, found {} (a second document after '---' "
                                         "would be ignored; remove it or split the file)",
                                         starts.size()))
          .at_path(fmt::format("{}:{}", c.file, docs.first_nodes[1].line + 1));
    if (starts.size() == 1) root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw parse_error("YAML syntax error: " + e.msg)
        .at_path(fmt::format("{}:{}:{}", c.file, e.mark.line + 1, e.mark.column + 1));
  }
  Walker(c).walk(root);
  return root;
}

}  // namespace apr::qa::yamlr
