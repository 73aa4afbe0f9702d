// Scenario DAG construction; see plan.hpp. The gate families are planned in plan_gates.cpp.
#include "qa/plan.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <set>

#include <fmt/format.h>

#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "formats/resolve.hpp"
#include "qa/plan_builder.hpp"
#include "qa/scratch.hpp"
#include "qa/playbook_values.hpp"

namespace apr::qa {

const char* to_string(NodeKind k) noexcept {
  switch (k) {
    case NodeKind::resolve: return "resolve";
    case NodeKind::convert: return "convert";
    case NodeKind::infer: return "infer";
    case NodeKind::check: return "check";
  }
  return "check";
}

std::string more_severe(const std::string& a, const std::string& b) { return a <= b ? a : b; }

const Node* Plan::find(const std::string& id) const {
  for (const auto& n : nodes)
    if (n.id == id) return &n;
  return nullptr;
}
std::size_t Plan::index_of(const std::string& id) const {
  for (std::size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].id == id) return i;
  return nodes.size();
}
std::vector<std::string> Plan::gate_ids() const {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const auto& n : nodes)
    for (const auto& g : n.gates)
      if (seen.insert(g).second) out.push_back(g);
  return out;
}

void rebase_path(std::string& s, const std::string& from, const std::string& to) {
  if (s == from)
    s = to;
  else if (s.size() > from.size() && s.compare(0, from.size(), from) == 0 && s[from.size()] == '/')
    s = to + s.substr(from.size());
}

void rebase_paths(nlohmann::json& j, const std::string& from, const std::string& to) {
  if (j.is_string()) {
    rebase_path(j.get_ref<std::string&>(), from, to);
  } else if (j.is_structured()) {
    for (auto& v : j) rebase_paths(v, from, to);
  }
}

std::string Plan::signature() const {
  std::string s;
  const std::string work = work_dir.string(), out = out_dir.string();
  for (const auto& n : nodes) {
    std::string params;
    if (!work.empty() && work != out) {
      nlohmann::json p = n.params;
      rebase_paths(p, work, out);
      params = p.dump();
    } else {
      params = n.params.dump();
    }
    s += n.id + "|" + params + "|" + n.key;
    for (const auto& [g, reqs] : n.require)
      for (const auto& r : reqs) s += fmt::format("|{}:{}{}{}", g, r.name, to_string(r.comparator), r.threshold);
    s += "\n";
  }
  return sha256_hex(std::as_bytes(std::span(s.data(), s.size())));
}

std::string Plan::dot() const {
  std::string d = "digraph apr_qa {\n  rankdir=LR;\n  node [fontname=\"monospace\", fontsize=10];\n";
  for (const auto& n : nodes) {
    std::string label = n.id;
    if (!n.gates.empty()) {
      label += "\\n";
      for (std::size_t i = 0; i < n.gates.size(); ++i) label += (i ? "," : "") + n.gates[i];
    }
    if (!n.artifact.empty()) label += "\\nmodel." + n.format;
    const char* shape = n.kind == NodeKind::check     ? "box"
                        : n.kind == NodeKind::convert ? "ellipse"
                        : n.kind == NodeKind::infer   ? "hexagon"
                                                      : "diamond";
    const char* style = n.skip_reason ? ", style=dashed" : "";
    d += fmt::format("  \"{}\" [shape={}, label=\"{}\"{}];\n", n.id, shape, label, style);
    for (const auto& dep : n.deps) d += fmt::format("  \"{}\" -> \"{}\";\n", dep, n.id);
  }
  return d + "}\n";
}

std::string Plan::text() const {
  std::string t = fmt::format("plan for {} ({} input: {})\n", playbook_name, input_mode, input.empty() ? "-" : input);
  std::size_t checks = 0, converts = 0, infers = 0, skipped = 0;
  for (const auto& n : nodes) {
    if (n.kind == NodeKind::check) ++checks;
    if (n.kind == NodeKind::convert) ++converts;
    if (n.kind == NodeKind::infer) ++infers;
    if (n.skip_reason) ++skipped;
  }
  t += fmt::format("{} nodes: {} conversions, {} shared inference runs, {} checks, {} planned Skipped; {} gates; timeout {} ms; policy {}\n",
                   nodes.size(), converts, infers, checks, skipped, gate_ids().size(), timeout_ms, failure_policy);
  for (const auto& n : nodes) {
    t += fmt::format("  {:<28} {:<8}", n.id, to_string(n.kind));
    if (!n.deps.empty()) {
      t += " <- ";
      for (std::size_t i = 0; i < n.deps.size(); ++i) t += (i ? "," : "") + n.deps[i];
    }
    if (!n.gates.empty()) {
      t += "  [";
      for (std::size_t i = 0; i < n.gates.size(); ++i) t += (i ? " " : "") + n.gates[i];
      t += fmt::format("] {}/{}/{}", n.scenario.modality, n.scenario.backend, n.scenario.format);
    }
    if (!n.artifact.empty()) t += "  -> " + n.artifact;
    if (n.skip_reason) t += "  (Skipped: " + *n.skip_reason + ")";
    t += "\n";
  }
  for (const auto& [g, why] : unplanned) t += "not planned: " + g + " (" + why + ")\n";
  for (const auto& w : warnings) t += "warning: " + w + "\n";
  return t;
}

// ---- builder ----

// The resolve node's key: the files' sha256 (or, for --dry-run, names and sizes only). The digests
// go to every worker (`known_digests` in its spec), so the resolve node and the readers of the
// input name its bytes without reading 1 GB again while the file is unchanged.
static std::string hash_files(const std::vector<std::filesystem::path>& files, bool quick,
                              std::vector<FileDigest>& digests) {
  std::string acc;
  for (const auto& f : files) {
    if (quick) {
      std::error_code ec;
      acc += f.string() + ":" + std::to_string(std::filesystem::file_size(f, ec)) + ";";
    } else {
      auto d = digest_file(f);
      if (!d) throw d.error();
      acc += d->sha256 + ";";
      digests.push_back(std::move(*d));
    }
  }
  return sha256_hex(std::as_bytes(std::span(acc.data(), acc.size())));
}

std::string PlanBuilder::add(Node n, const std::string& suffix) {
  n.id = fmt::format("n{:04}-{}", plan.nodes.size(), suffix);
  for (const auto& g : n.gates) {
    const GateDef* gd = cat.find(g);
    if (gd) n.severity = more_severe(n.severity, gd->severity);
  }
  plan.nodes.push_back(std::move(n));
  return plan.nodes.back().id;
}

ScenarioInfo PlanBuilder::scenario(const std::string& modality, const std::string& backend,
                                   const std::string& format, const std::string& prompt,
                                   std::uint64_t seed) const {
  ScenarioInfo s;
  s.org = pb.model.org;
  s.name = pb.model.repo_name;
  s.modality = modality;
  s.backend = backend;
  s.format = format;
  s.prompt = prompt;
  s.seed = seed;
  s.id = fmt::format("{}_{}_{}_{}_{:016x}", s.name, modality, backend, format, seed);
  return s;
}

std::string PlanBuilder::artifact_of(const std::string& format) {
  if (format == source_format) return resolve_id;
  return convert(resolve_id, format, 0);
}

std::string PlanBuilder::convert(const std::string& parent_id, const std::string& target, int replica) {
  const Node& parent = *plan.find(parent_id);
  std::string raw = parent.key + "|" + target + "|" + std::to_string(replica) + "|" + build_id();
  std::string key = sha256_hex(std::as_bytes(std::span(raw.data(), raw.size())));
  if (auto it = by_key.find(key); it != by_key.end()) return it->second;
  Node n;
  n.kind = NodeKind::convert;
  n.deps = {parent_id};
  n.key = key;
  n.format = target;
  std::string ext = target;
  n.artifact = (plan.work_dir / "artifacts" / key.substr(0, 20) / ("model." + ext)).string();
  n.params = {{"source", parent.artifact}, {"source_format", parent.format}, {"target", target},
              {"output", n.artifact}, {"replica", replica}};
  n.scenario = scenario("run", "cpu", target, fmt::format("Convert {} to {}", parent.format, target), 0);
  n.params["inspect"] = !opts.shared_runs;
  n.params["reuse"] = opts.reuse_artifacts;  // a gate judged on this node sets it too (plan_gates.cpp)
  std::string id = add(std::move(n), "convert-" + target);
  by_key[key] = id;
  return id;
}

void PlanBuilder::use_run(nlohmann::json& params, std::vector<std::string>& deps, const std::string& key,
                          const std::string& artifact_id, const std::string& prompt, bool chat) {
  if (!opts.shared_runs) return;
  std::string id = infer(artifact_id, prompt, chat);
  params[key] = node(id).artifact;
  if (std::find(deps.begin(), deps.end(), id) == deps.end()) deps.push_back(id);
}

std::string PlanBuilder::infer(const std::string& artifact_id, const std::string& prompt, bool chat) {
  const Node& parent = *plan.find(artifact_id);
  const std::string rk = run_key(artifact_id, prompt, chat);
  auto mt = infer_tokens.find(rk);
  const int max_tokens = mt == infer_tokens.end() ? 8 : mt->second;
  auto ml = infer_logits.find(rk);
  const bool logits = ml == infer_logits.end() || ml->second;
  std::string raw = parent.key + "|infer|" + prompt + "|" + std::to_string(max_tokens) + (chat ? "|chat" : "") +
                    (logits ? "" : "|no-logits");
  std::string key = sha256_hex(std::as_bytes(std::span(raw.data(), raw.size())));
  if (auto it = infer_by_key.find(key); it != infer_by_key.end()) return it->second;
  Node n;
  n.kind = NodeKind::infer;
  n.deps = {artifact_id};
  n.key = key;
  n.format = "run";
  n.artifact = (plan.work_dir / "runs" / key.substr(0, 20) / "run.json").string();
  n.params = {{"model", parent.artifact}, {"format", parent.format}, {"prompt", prompt},
              {"max_tokens", max_tokens}, {"output", n.artifact}, {"chat", chat}, {"logits", logits}};
  n.scenario = scenario(chat ? "chat" : "run", "cpu", parent.format, prompt, 0);
  std::string id = add(std::move(n), "infer-" + parent.format);
  infer_by_key[key] = id;
  return id;
}

void PlanBuilder::assign_drafts() {
  if (resolve_id.empty() || !opts.drafts) return;
  for (auto& n : plan.nodes) {
    if (n.kind != NodeKind::infer || n.deps.size() != 1 || n.deps.front() == resolve_id) continue;
    const std::string prompt = n.params.value("prompt", std::string());
    const bool chat = n.params.value("chat", false);
    if (!n.params.value("logits", true) || cell_runs.count(run_key(n.deps.front(), prompt, chat))) continue;
    const Node* src = nullptr;
    for (const auto& s : plan.nodes)
      if (s.kind == NodeKind::infer && s.deps.size() == 1 && s.deps.front() == resolve_id &&
          s.params.value("prompt", std::string()) == prompt && s.params.value("chat", false) == chat)
        src = &s;
    if (!src || src->params.value("max_tokens", 0) < n.params.value("max_tokens", 0)) continue;
    n.params["draft_run"] = src->artifact;
    n.deps.push_back(src->id);
  }
}

std::string PlanBuilder::chain(const std::vector<std::string>& formats, int replica) {
  std::string cur = artifact_of(formats.at(0));
  for (std::size_t i = 1; i < formats.size(); ++i) cur = convert(cur, formats[i], i == 1 ? replica : 0);
  return cur;
}

Result<Plan> build_plan(const Playbook& pb, const GateCatalogue& cat, const PlanOptions& opts) {
  return capture([&]() -> Plan {
    Plan plan;
    plan.playbook_name = pb.name;
    plan.model_org = pb.model.org;
    plan.model_name = pb.model.repo_name;
    plan.tier = pb.tier;
    plan.out_dir = std::filesystem::absolute(opts.out_dir);
    plan.work_dir = opts.scratch_dir ? work_dir_for(*opts.scratch_dir, plan.out_dir) : plan.out_dir;
    plan.timeout_ms = pb.test_matrix.timeout_ms;
    plan.failure_policy = pb.failure_policy.value_or("stop-on-p0");
    plan.size_category = pb.model.size_category;
    plan.reuse_artifacts = opts.reuse_artifacts;
    PlanBuilder b{plan, pb, cat, opts};

    std::string input = opts.model_path.value_or(pb.model.local_path.value_or(""));
    std::vector<std::filesystem::path> files;
    std::filesystem::path model_file;
    std::error_code ec;
    if (input.empty()) {
      if (!opts.dry_run)
        throw io_error("no model given: pass --model-path (or set model.local_path)").at_path(pb.file.string());
      plan.input_mode = "none";
      b.source_format = pb.model.formats.front();
      model_file = "<model>." + b.source_format;
    } else {
      // The one resolver (formats/resolve): a model file, an HF snapshot folder, a folder with one
      // .gguf/.apr, or an HF repo id in the HF cache. A missing input is an error even for --dry-run.
      auto rs = resolve_artifact(input);
      if (!rs) throw rs.error();
      model_file = rs->model_file;
      b.source_format = to_string(rs->format);
      bool snapshot = rs->format == ModelFormat::safetensors && !std::filesystem::is_regular_file(input, ec) &&
                      (rs->config_json || rs->tokenizer_json);
      if (snapshot) {
        // An HF snapshot (a folder or a repo id): the conversion suite runs from it.
        plan.input_mode = "directory";
        b.directory_mode = true;
        input = model_file.parent_path().string();
        files.push_back(model_file);
        for (const auto& side : {rs->config_json, rs->tokenizer_json, rs->tokenizer_config_json})
          if (side) files.push_back(*side);
      } else {
        plan.input_mode = "file";
        input = model_file.string();
        files.push_back(model_file);
      }
    }
    plan.input = input;

    Node r;
    r.kind = NodeKind::resolve;
    r.format = b.source_format;
    r.artifact = files.empty() ? model_file.string() : std::filesystem::absolute(model_file).string();
    r.key = files.empty() ? std::string(64, '0') : hash_files(files, opts.dry_run, plan.input_digests);
    r.params = {{"input", input}, {"expect_format", b.source_format}, {"model_file", r.artifact}};
    r.scenario = b.scenario("run", "cpu", b.source_format, "Resolve model input", 0);
    b.resolve_id = b.add(std::move(r), "resolve");

    b.values = playbook_values(pb, plan.input_mode);
    plan_catalogue(b);
    b.assign_drafts();
    return plan;
  });
}

}  // namespace apr::qa
