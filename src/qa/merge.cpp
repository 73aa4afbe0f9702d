// Merging a sharded run's folders into one record; see merge.hpp for the contract.
#include "qa/merge.hpp"

#include <cstdio>
#include <fstream>
#include <map>
#include <set>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "qa/report.hpp"
#include "qa/run.hpp"
#include "qa/verdict.hpp"

namespace apr::qa {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

json read_json(const fs::path& p) {
  std::ifstream in(p);
  if (!in) return json();
  json j = json::parse(in, nullptr, false);
  return j.is_discarded() ? json() : j;
}

struct Shard {
  fs::path dir;
  json manifest;
  std::map<std::string, json> journaled;                   // node id -> journal record
  std::map<std::string, std::vector<json>> policy_skipped;  // node id -> evidence.json entries ("not run: …")
  std::string problem;                                      // why nothing could be read, if so
};

void load_records(Shard& s) {
  auto path = s.dir / "evidence.jsonl";
  std::string want = s.manifest.value("shard", "");
  bool header_ok = false;
  for (const auto& j : Journal::read(path)) {
    if (j.value("type", "") == "header") {
      header_ok = j.value("shard", "") == want;
      continue;
    }
    if (header_ok && j.value("type", "") == "node") s.journaled.emplace(j.value("node", ""), j);
  }
  if (!fs::exists(path)) s.problem = "no journal (evidence.jsonl)";
  else if (!header_ok) s.problem = "its journal's header is not shard " + want + "'s";
  // Nodes the shard's failure policy did not run are in evidence.json, not in the journal.
  json ev = read_json(s.dir / "evidence.json");
  if (ev.is_array())
    for (const auto& e : ev)
      if (e.is_object() && e.value("reason", "").rfind("not run: ", 0) == 0) s.policy_skipped[e.value("node", "")].push_back(e);
}

}  // namespace

MergeResult merge_shards(const MergeOptions& o) {
  MergeResult r;
  std::vector<Shard> present;
  std::vector<std::string> unreadable;
  for (const auto& d : o.shard_dirs) {
    json m = read_json(d / "shard.json");
    if (!m.is_object() || !m.contains("k") || !m.contains("nodes")) {
      unreadable.push_back(d.string() + (fs::is_directory(d) ? " (no readable shard.json)" : " (missing)"));
      continue;
    }
    present.push_back({d, m, {}, {}, {}});
  }
  if (present.empty())
    throw io_error("no shard folder holds a shard.json (written by `apr-qa run --shard K/N`): " +
                   (unreadable.empty() ? std::string("none given") : unreadable.front()));
  const json& ref = present.front().manifest;
  const int n = ref.value("n", 0);
  std::map<int, Shard*> by_k;
  for (auto& s : present) {
    for (const char* f : {"plan_identity", "n", "build"})
      if (s.manifest.value(f, json()) != ref.value(f, json()))
        throw validation_error(fmt::format("shards of different runs: {} differs between {} and {} (same playbook, model, "
                                           "build and N for every shard)", f, present.front().dir.string(), s.dir.string()));
    int k = s.manifest.value("k", 0);
    if (!by_k.emplace(k, &s).second)
      throw validation_error(fmt::format("shard {}/{} given twice: {} and {}", k, n, by_k[k]->dir.string(), s.dir.string()));
    load_records(s);
  }

  json missing = json::array(), shards = json::array();
  std::map<int, int> owned, recorded;
  for (const auto& node : ref["nodes"]) {
    const std::string id = node.value("id", "");
    const int owner = node.value("shard", 0);  // 0: every shard
    std::vector<json> entries;
    bool found = false;
    for (auto& [k, s] : by_k) {
      if (owner != 0 && owner != k) continue;
      if (auto it = s->journaled.find(id); it != s->journaled.end()) {
        for (const auto& e : it->second.value("evidence", json::array())) entries.push_back(e);
        found = true;
      } else if (auto ps = s->policy_skipped.find(id); ps != s->policy_skipped.end()) {
        entries = ps->second;
        found = true;
      }
      if (found) break;
    }
    if (owner != 0) ++owned[owner];
    if (found && owner != 0) ++recorded[owner];
    if (!found) {
      std::string where = owner == 0 ? "any shard" : fmt::format("shard {}/{}", owner, n);
      std::string why = owner != 0 && !by_k.count(owner) ? "its folder is missing" : "not in its journal";
      missing.push_back({{"node", id}, {"shard", owner}, {"gates", node.value("gates", json::array())}, {"why", why}});
      for (json e : node.value("if_missing", json::array())) {
        e["reason"] = fmt::format("not measured: {} did not record node {} ({})", where, id, why);
        e["timestamp"] = utc_timestamp_now();
        entries.push_back(e);
      }
    }
    for (const auto& e : entries) r.evidence.push_back(evidence_from_json(e));
  }
  std::map<std::string, double> seconds_by_kind;
  double max_wall = 0;
  for (int k = 1; k <= n; ++k) {
    json sj = {{"k", k}, {"owned_nodes", owned[k]}, {"recorded_nodes", recorded[k]}};
    if (auto it = by_k.find(k); it != by_k.end()) {
      sj["dir"] = fs::absolute(it->second->dir).string();
      if (!it->second->problem.empty()) sj["problem"] = it->second->problem;
      json t = read_json(it->second->dir / "timing.json");
      if (t.is_object()) {
        sj["wall_s"] = t.value("wall_s", 0.0);
        max_wall = std::max(max_wall, t.value("wall_s", 0.0));
        const json secs = t.value("worker_seconds_by_kind", json::object());
        for (const auto& [kind, v] : secs.items())
          if (v.is_number()) seconds_by_kind[kind] += v.get<double>();
      }
    } else {
      sj["dir"] = nullptr;
      sj["problem"] = "missing";
    }
    shards.push_back(sj);
  }
  r.complete = missing.empty();
  r.manifest = {{"complete", r.complete},   {"shards_expected", n}, {"shards_present", by_k.size()},
                {"playbook", ref.value("playbook", "")}, {"model", ref.value("model", "")},
                {"model_path", ref.value("model_path", "")}, {"tier", ref.value("tier", "")},
                {"plan_identity", ref.value("plan_identity", "")}, {"build", ref.value("build", "")},
                {"missing", missing},     {"shards", shards},      {"unreadable_folders", unreadable},
                {"merged", utc_timestamp_now()}};

  fs::create_directories(o.out_dir);
  write_evidence_file(o.out_dir / "evidence.json", r.evidence);
  write_file_atomic(o.out_dir / "merge.json", r.manifest.dump(2) + "\n");
  if (fs::exists(present.front().dir / "provenance.json"))
    write_file_atomic(o.out_dir / "provenance.json", read_json(present.front().dir / "provenance.json").dump(2) + "\n");
  write_file_atomic(o.out_dir / "timing.json",
                    json({{"wall_s_max_shard", max_wall}, {"shards", n}, {"worker_seconds_by_kind", seconds_by_kind}}).dump(2) + "\n");
  ReportInput ri;
  ri.model_id = ref.value("model", model_id_of(r.evidence));
  ri.playbook = ref.value("playbook_name", "");
  ri.evidence = r.evidence;
  ri.verdict = compute_verdict(r.evidence, ref.value("tier", ""));
  ri.mqs = compute_mqs(ri.model_id, r.evidence);
  ri.cert = certify(ri.mqs, ref.value("tier", ""));
  ri.seconds_by_kind = seconds_by_kind;
  write_reports(o.out_dir, ri);

  if (o.print_summary) {
    if (!r.complete) {
      std::map<int, std::vector<std::string>> per;
      for (const auto& m : missing) {
        std::string gates;
        for (const auto& g : m["gates"]) gates += (gates.empty() ? "" : ",") + g.get<std::string>();
        per[m["shard"].get<int>()].push_back(m["node"].get<std::string>() + (gates.empty() ? "" : " [" + gates + "]"));
      }
      std::printf("INCOMPLETE: %zu node%s not recorded\n", missing.size(), missing.size() == 1 ? "" : "s");
      for (const auto& [k, ids] : per) {
        std::printf("  shard %d/%d (%s): %zu node%s missing:", k, n,
                    by_k.count(k) ? by_k[k]->dir.c_str() : "folder missing", ids.size(), ids.size() == 1 ? "" : "s");
        for (std::size_t i = 0; i < ids.size() && i < 12; ++i) std::printf(" %s", ids[i].c_str());
        std::printf("%s\n", ids.size() > 12 ? " ..." : "");
        std::printf("    complete it: apr-qa run %s --model-path %s --shard %d/%d -o %s --resume\n",
                    ref.value("playbook", "").c_str(), ref.value("model_path", "").c_str(), k, n,
                    by_k.count(k) ? by_k[k]->dir.c_str() : "SHARD_DIR");
      }
    }
    std::fputs(run_summary(r.evidence, headline(ri.verdict), (o.out_dir / "evidence.json").string(),
                           (o.out_dir / "report.html").string())
                   .c_str(),
               stdout);
    std::printf("merge: %s (%s, %zu/%d shards)\n", (o.out_dir / "merge.json").c_str(), r.complete ? "complete" : "INCOMPLETE",
                by_k.size(), n);
    std::fflush(stdout);
  }
  const auto& v = ri.verdict;
  r.exit_code = !r.complete ? 3 : (v.failed + v.errors + v.timeouts + v.crashes > 0 || v.passed == 0) ? 1 : 0;
  return r;
}

}  // namespace apr::qa
