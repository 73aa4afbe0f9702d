// Loader of the anchor's playbook format; see playbook.hpp for the contract. The optional
// blocks (differential_tests, profile_ci, trace_payload, ...) are read in playbook_blocks.cpp.
#include <span>
#include <string_view>

#include <fmt/format.h>

#include "core/error.hpp"
#include "core/file_read.hpp"
#include "formats/detect.hpp"
#include "qa/playbook.hpp"
#include "qa/playbook_internal.hpp"
#include "qa/playbook_values.hpp"
#include "qa/yaml_document.hpp"

namespace apr::qa {

using namespace yamlr;

// Far above any real playbook (the largest anchor playbook is ~10 KB).
constexpr std::uint64_t kMaxPlaybookBytes = 16u << 20;
// Indexed by ModelFormat (gguf, safetensors, apr).
constexpr const char* kModelNames[] = {"a GGUF", "a SafeTensors", "an APR"};

void note(PbCtx& pc, const YAML::Node& n, const std::string& key, const std::string& effect) {
  pc.pb->keys.push_back({key, false, effect, line_of(n), column_of(n)});
}
void ignored(PbCtx& pc, const YAML::Node& n, const std::string& key, const std::string& why) {
  pc.pb->keys.push_back({key, true, why, line_of(n), column_of(n)});
}

// Hand-written matchers (no std::regex on user text: libstdc++'s recursive matcher overflows the
// stack on a 20k-character scalar). A "${VAR}" is '$', '{', [A-Z_], [A-Z0-9_]*, '}'.
static std::size_t template_var_at(std::string_view s, std::size_t i) {
  if (i + 3 >= s.size() || s[i] != '$' || s[i + 1] != '{') return 0;
  auto up = [](char c) { return (c >= 'A' && c <= 'Z') || c == '_'; };
  if (!up(s[i + 2])) return 0;
  std::size_t j = i + 3;
  while (j < s.size() && (up(s[j]) || (s[j] >= '0' && s[j] <= '9'))) ++j;
  return j < s.size() && s[j] == '}' ? j + 1 - i : 0;
}
static bool has_template_var(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i)
    if (template_var_at(s, i)) return true;
  return false;
}
// Non-empty, and every part either a character `ok` accepts or a ${VAR}.
template <typename Ok>
static bool chars_or_vars(std::string_view s, Ok ok) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size();) {
    if (ok(s[i])) {
      ++i;
    } else if (std::size_t n = template_var_at(s, i)) {
      i += n;
    } else {
      return false;
    }
  }
  return true;
}
static bool alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
// ^([A-Za-z0-9_-]|${VAR})+/([A-Za-z0-9._-]|${VAR})+$  or  ^${VAR}$
static bool valid_repo(std::string_view s) {
  if (template_var_at(s, 0) == s.size() && !s.empty()) return true;
  auto slash = s.find('/');
  if (slash == std::string_view::npos) return false;
  return chars_or_vars(s.substr(0, slash), [](char c) { return alnum(c) || c == '_' || c == '-'; }) &&
         chars_or_vars(s.substr(slash + 1), [](char c) { return alnum(c) || c == '.' || c == '_' || c == '-'; });
}
// ^([a-z0-9.-]|${VAR})+$
static bool valid_name(std::string_view s) {
  return chars_or_vars(s, [](char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-'; });
}
// ^[0-9]+\.[0-9]+\.[0-9]+([-+][0-9A-Za-z.-]+)?$
static bool valid_semver(std::string_view s) {
  std::size_t i = 0;
  for (int part = 0; part < 3; ++part) {
    if (part && (i >= s.size() || s[i++] != '.')) return false;
    const std::size_t b = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == b) return false;
  }
  if (i == s.size()) return true;
  if (s[i] != '-' && s[i] != '+') return false;
  ++i;
  if (i == s.size()) return false;
  for (; i < s.size(); ++i)
    if (!alnum(s[i]) && s[i] != '.' && s[i] != '-') return false;
  return true;
}
// Scalars quoted in messages stay short.
static std::string shown(const std::string& s) { return s.size() > 80 ? s.substr(0, 80) + "..." : s; }

static void read_model(PbCtx& pc, const YAML::Node& n) {
  auto& m = pc.pb->model;
  MapReader r(pc.c, n, "model");
  auto hf = r.require("hf_repo");
  m.hf_repo = as_string(pc.c, hf, "model.hf_repo");
  if (m.hf_repo.size() > 256 || !valid_repo(m.hf_repo))
    fail(pc.c, hf, "model.hf_repo", "expected 'org/name' (at most 256 characters), found '" + shown(m.hf_repo) + "'");
  if (has_template_var(m.hf_repo)) pc.pb->is_template = true;
  auto slash = m.hf_repo.find('/');
  m.org = slash == std::string::npos ? m.hf_repo : m.hf_repo.substr(0, slash);
  m.repo_name = slash == std::string::npos ? m.hf_repo : m.hf_repo.substr(slash + 1);
  note(pc, hf, "model.hf_repo", "model id in evidence (scenario.model) and reports");

  if (auto f = r.take("formats"); f.IsDefined()) {
    if (!f.IsSequence() || f.size() == 0) fail(pc.c, f, "model.formats", "expected a non-empty list of formats, found " + describe(f));
    m.formats.clear();
    for (std::size_t i = 0; i < f.size(); ++i)
      m.formats.push_back(as_enum(pc.c, f[i], fmt::format("model.formats[{}]", i), {"gguf", "safetensors", "apr"}));
    note(pc, f, "model.formats", "formats of the inference matrix, in order");
  }
  if (auto q = r.take("quantizations"); q.IsDefined()) {
    if (!q.IsSequence()) fail(pc.c, q, "model.quantizations", "expected a list, found " + describe(q));
    m.quantizations.clear();
    for (std::size_t i = 0; i < q.size(); ++i)
      m.quantizations.push_back(as_enum(pc.c, q[i], fmt::format("model.quantizations[{}]", i),
          playbook_quantizations()));
    m.quantizations_given = true;
    note(pc, q, "model.quantizations", "each variant is made from the source and judged against it by the quantization gates (docs/quantization.md)");
  }
  if (auto s = r.take("size_category"); s.IsDefined()) {
    m.size_category = as_enum(pc.c, s, "model.size_category", {"tiny", "small", "medium", "large", "xlarge", "huge", "auto"});
    note(pc, s, "model.size_category", "caps the default --jobs (tiny/small 4, medium 2, larger 1; auto: the core count)");
  }
  if (auto p = r.take("local_path"); p.IsDefined()) {
    m.local_path = as_string(pc.c, p, "model.local_path");
    note(pc, p, "model.local_path", "model input when --model-path is not given");
  }
  if (auto f = r.take("family"); f.IsDefined()) {
    m.family = as_string(pc.c, f, "model.family");
    note(pc, f, "model.family", "architecture the G0 tensor template and integrity gates expect");
  }
  if (auto v = r.take("size_variant"); v.IsDefined()) {
    m.size_variant = as_string(pc.c, v, "model.size_variant");
    ignored(pc, v, "model.size_variant", "informational (dimensions come from expected_* keys)");
  }
  for (const char* k : {"hidden_dim", "num_layers", "num_heads", "num_kv_heads", "vocab_size", "intermediate_dim"}) {
    std::string key = std::string("expected_") + k;
    if (auto e = r.take(key); e.IsDefined()) {
      m.expected[k] = as_int(pc.c, e, "model." + key, 0, 4294967295LL);
      note(pc, e, "model." + key, "G0-INTEGRITY compares config.json against it");
    }
  }
  r.finish();
}

static void read_matrix(PbCtx& pc, const YAML::Node& n) {
  auto& t = pc.pb->test_matrix;
  MapReader r(pc.c, n, "test_matrix");
  auto enum_list = [&](const char* key, const std::vector<std::string>& allowed, std::vector<std::string>& out) {
    if (auto v = r.take(key); v.IsDefined()) {
      std::string k = std::string("test_matrix.") + key;
      if (!v.IsSequence() || v.size() == 0) fail(pc.c, v, k, "expected a non-empty list, found " + describe(v));
      out.clear();
      for (std::size_t i = 0; i < v.size(); ++i) out.push_back(as_enum(pc.c, v[i], fmt::format("{}[{}]", k, i), allowed));
      note(pc, v, k, std::string("matrix ") + key + " (modality × backend × format × scenario)");
    }
  };
  enum_list("modalities", {"run", "chat", "serve"}, t.modalities);
  enum_list("backends", {"cpu", "gpu"}, t.backends);
  if (auto v = r.take("scenario_count"); v.IsDefined()) {
    t.scenario_count = static_cast<int>(as_int(pc.c, v, "test_matrix.scenario_count", 1, 1000));
    note(pc, v, "test_matrix.scenario_count", "scenarios per matrix cell");
  }
  if (auto v = r.take("prompts"); v.IsDefined()) {
    t.prompts = as_string_list(pc.c, v, "test_matrix.prompts");
    if (t.prompts.empty()) fail(pc.c, v, "test_matrix.prompts", "expected at least one prompt, found an empty list");
    note(pc, v, "test_matrix.prompts", "scenario i uses prompts[i mod n]");
  }
  if (auto v = r.take("seed"); v.IsDefined()) {
    t.seed = static_cast<std::uint64_t>(as_int(pc.c, v, "test_matrix.seed", 0, INT64_MAX));
    note(pc, v, "test_matrix.seed", "first scenario seed (scenario seeds count up from it)");
  }
  if (auto v = r.take("timeout_ms"); v.IsDefined()) {
    t.timeout_ms = as_int(pc.c, v, "test_matrix.timeout_ms", 1000, 600000);
    note(pc, v, "test_matrix.timeout_ms", "per-node timeout: the worker process is killed and the node recorded as Timeout");
  }
  r.finish();
}

static void read_gates(PbCtx& pc, const YAML::Node& n) {
  MapReader r(pc.c, n, "gates");
  auto& g = pc.pb->gates;
  struct K { const char* key; bool* dst; const char* effect; };
  K ks[] = {{"g1_model_loads", &g.g1_model_loads, "false: G0 preflight gates are Skipped"},
            {"g2_basic_inference", &g.g2_basic_inference, "false: F-A* matrix inference gates are Skipped"},
            {"g3_no_crashes", &g.g3_no_crashes, "crashes are always recorded; false only adds a warning"},
            {"g4_output_quality", &g.g4_output_quality, "false: matrix outputs are not judged by oracles (exit status and token count only)"}};
  for (auto& k : ks) {
    if (auto v = r.take(k.key); v.IsDefined()) {
      *k.dst = as_bool(pc.c, v, std::string("gates.") + k.key);
      note(pc, v, std::string("gates.") + k.key, k.effect);
    }
  }
  if (!g.g3_no_crashes) pc.pb->warnings.push_back(pc.c.file + ": gates.g3_no_crashes=false has no effect: a crash is always Crashed (the catalogue gate of process event 'crashed')");
  r.finish();
}

static void read_oracles(PbCtx& pc, const YAML::Node& n) {
  if (!n.IsSequence()) fail(pc.c, n, "oracles", "expected a list of {type, config}, found " + describe(n));
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string k = fmt::format("oracles[{}]", i);
    MapReader r(pc.c, n[i], k);
    OracleSpec o;
    auto t = r.require("type");
    o.type = as_enum(pc.c, t, k + ".type", {"arithmetic", "garbage", "code_syntax", "response", "composite"});
    if (auto c = r.take("config"); c.IsDefined()) {
      if (!c.IsMap()) fail(pc.c, c, k + ".config", "expected a mapping, found " + describe(c));
      o.config = to_json(c);
      for (const auto& kv : c) {
        std::string ck = kv.first.Scalar();
        bool used = (o.type == "garbage" && (ck == "max_repetition_ratio" || ck == "min_unique_chars"));
        if (used) note(pc, kv.second, k + ".config." + ck, "threshold of the garbage oracle");
        else ignored(pc, kv.second, k + ".config." + ck, "no effect on the " + o.type + " oracle");
      }
    }
    r.finish();
    if (o.type == "response" || o.type == "composite")
      ignored(pc, n[i], k, o.type + " oracle is not implemented (the anchor documents it only); prompts fall back to the garbage oracle");
    else
      note(pc, n[i], k, "enables the " + o.type + " oracle for matrix outputs");
    pc.pb->oracles.push_back(std::move(o));
  }
}

static void read_property_tests(PbCtx& pc, const YAML::Node& n) {
  if (!n.IsSequence()) fail(pc.c, n, "property_tests", "expected a list of {name, generator, oracle, count}, found " + describe(n));
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string k = fmt::format("property_tests[{}]", i);
    MapReader r(pc.c, n[i], k);
    PropertyTest p;
    p.name = as_string(pc.c, r.require("name"), k + ".name");
    if (auto g = r.take("generator"); g.IsDefined()) p.generator = as_string(pc.c, g, k + ".generator");
    if (auto o = r.take("oracle"); o.IsDefined()) p.oracle = as_string(pc.c, o, k + ".oracle");
    if (auto c = r.take("count"); c.IsDefined()) p.count = static_cast<int>(as_int(pc.c, c, k + ".count", 0, 100000));
    r.finish();
    pc.pb->property_tests.push_back(p);
  }
  ignored(pc, n, "property_tests", "generators and oracles are free text (as in the anchor); nothing executable");
}

static void read_falsification_gates(PbCtx& pc, const YAML::Node& n) {
  if (!n.IsSequence()) fail(pc.c, n, "falsification_gates", "expected a list of {id, description, condition, severity}, found " + describe(n));
  for (std::size_t i = 0; i < n.size(); ++i) {
    std::string k = fmt::format("falsification_gates[{}]", i);
    MapReader r(pc.c, n[i], k);
    FalsificationGate g;
    g.id = as_string(pc.c, r.require("id"), k + ".id");
    if (auto v = r.take("description"); v.IsDefined()) g.description = as_string(pc.c, v, k + ".description");
    if (auto v = r.take("condition"); v.IsDefined()) g.condition = as_string(pc.c, v, k + ".condition");
    if (auto v = r.take("severity"); v.IsDefined()) g.severity = as_enum(pc.c, v, k + ".severity", {"P0", "P1", "P2", "P3"});
    r.finish();
    pc.pb->falsification_gates.push_back(g);
  }
  ignored(pc, n, "falsification_gates", "conditions are free text; gate criteria come from the catalogue (apr-qa gates)");
}

static Playbook parse_root(const YAML::Node& root, PbCtx& pc) {
  Playbook& pb = *pc.pb;
  MapReader r(pc.c, root, "");
  auto nm = r.require("name");
  pb.name = as_string(pc.c, nm, "name");
  if (pb.name.size() > 64 || !valid_name(pb.name))
    fail(pc.c, nm, "name", "expected lower-case letters, digits, '.' and '-' (at most 64), found '" + shown(pb.name) + "'");
  if (has_template_var(pb.name)) pb.is_template = true;
  note(pc, nm, "name", "scenario ids and report titles");
  auto ver = r.require("version");
  pb.version = as_string(pc.c, ver, "version");
  if (pb.version.size() > 64 || !valid_semver(pb.version))
    fail(pc.c, ver, "version", "expected a semantic version string like \"1.0.0\" (at most 64 characters), found '" +
                                   shown(pb.version) + "'");
  note(pc, ver, "version", "recorded in reports");
  if (auto d = r.take("description"); d.IsDefined()) {
    pb.description = as_string(pc.c, d, "description");
    if (pb.description.size() > 500) fail(pc.c, d, "description", "expected at most 500 characters, found " + std::to_string(pb.description.size()));
    note(pc, d, "description", "shown in reports");
  }
  read_model(pc, r.require("model"));
  read_matrix(pc, r.require("test_matrix"));
  if (auto v = r.take("gates"); v.IsDefined()) read_gates(pc, v);
  if (auto v = r.take("oracles"); v.IsDefined()) read_oracles(pc, v);
  if (auto v = r.take("failure_policy"); v.IsDefined()) {
    auto s = as_enum(pc.c, v, "failure_policy", {"stop_on_first", "stop_on_p0", "collect_all", "fail_fast"});
    std::replace(s.begin(), s.end(), '_', '-');
    pb.failure_policy = s;
    note(pc, v, "failure_policy", "failure policy unless --failure-policy is given");
  }
  if (auto v = r.take("property_tests"); v.IsDefined()) read_property_tests(pc, v);
  if (auto v = r.take("falsification_gates"); v.IsDefined()) read_falsification_gates(pc, v);
  read_optional_blocks(pc, r);
  if (auto v = r.take("metadata"); v.IsDefined()) {
    if (!v.IsMap()) fail(pc.c, v, "metadata", "expected a mapping, found " + describe(v));
    pb.metadata = to_json(v);
    if (pb.metadata.contains("tier") && pb.metadata["tier"].is_string()) {
      pb.tier = pb.metadata["tier"].get<std::string>();
      note(pc, v["tier"], "metadata.tier", "certification tier (mvp ⇒ MVP thresholds, else FULL)");
    }
    note(pc, v, "metadata", "copied into reports");
  }
  r.finish();
  if (pb.tier.empty()) {
    for (const char* t : {"smoke", "quick", "mvp", "ci", "full", "nightly", "release", "standard", "deep"}) {
      std::string suf = std::string("-") + t;
      if (pb.name.size() > suf.size() && pb.name.compare(pb.name.size() - suf.size(), suf.size(), suf) == 0) pb.tier = t;
    }
  }
  return pb;
}

Result<Playbook> parse_playbook(const std::string& text, const std::string& display_name,
                                const LoadOptions& opts) {
  return capture([&]() -> Playbook {
    Playbook pb;
    pb.file = display_name;
    PbCtx pc{{display_name, opts.strict, &pb.warnings}, &pb};
    // One document, no alias cycles, bounded expansion and depth, no duplicate keys.
    YAML::Node root = load_document(pc.c, text);
    if (!root.IsDefined() || root.IsNull())
      throw validation_error("expected a playbook mapping, found an empty document").at_path(display_name);
    return parse_root(root, pc);
  });
}

Result<Playbook> load_playbook(const std::filesystem::path& file, const LoadOptions& opts) {
  std::string text;
  try {
    // A regular file only: a FIFO is refused (never waited on), a directory named as such.
    text = read_regular_file(file, "a playbook (a YAML file)", kMaxPlaybookBytes);
  } catch (const Error& e) {
    return e;
  }
  // A model file given by mistake: say so instead of a YAML syntax error.
  if (auto f = detect_format(std::as_bytes(std::span(text.data(), std::min<std::size_t>(text.size(), 16)))))
    return validation_error(std::string("this is ") + kModelNames[static_cast<int>(*f)] +
                            " model, not a playbook (expected a YAML playbook; the model goes in --model-path)")
        .at_path(file.string());
  return parse_playbook(text, file.string(), opts);
}

}  // namespace apr::qa
