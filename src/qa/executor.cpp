// Plan execution; see executor.hpp for the contract.
#include "qa/executor.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <memory>
#include <thread>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/printable.hpp"
#include "core/switches.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "qa/content_reuse.hpp"
#include "qa/early_release.hpp"
#include "qa/judge.hpp"
#include "qa/process.hpp"
#include "qa/shard.hpp"
#include "qa/worker.hpp"
#include "qa/worker_result.hpp"

namespace apr::qa {

using nlohmann::json;

static std::atomic<bool> g_interrupt{false};
static void on_signal(int) { g_interrupt = true; }

std::optional<FailurePolicy> failure_policy_from_string(const std::string& s0) {
  std::string s = s0;
  std::replace(s.begin(), s.end(), '_', '-');
  if (s == "stop-on-first") return FailurePolicy::stop_on_first;
  if (s == "stop-on-p0") return FailurePolicy::stop_on_p0;
  if (s == "collect-all") return FailurePolicy::collect_all;
  if (s == "fail-fast") return FailurePolicy::fail_fast;
  return std::nullopt;
}
const char* to_string(FailurePolicy p) noexcept {
  switch (p) {
    case FailurePolicy::stop_on_first: return "stop-on-first";
    case FailurePolicy::stop_on_p0: return "stop-on-p0";
    case FailurePolicy::collect_all: return "collect-all";
    case FailurePolicy::fail_fast: return "fail-fast";
  }
  return "stop-on-p0";
}

namespace {

// Every environment switch's effective value (core/switches), as evidence records it.
json switch_settings() {
  json j = json::object();
  for (const auto& [k, v] : describe_switches(switches())) j[k] = v;
  return j;
}

struct Record {
  Outcome outcome = Outcome::skipped;
  std::string reason;
  std::vector<Evidence> evidence;
  json artifacts = json::array();
  bool journaled = false;
  bool environment = false;  // the worker hit an environment error: not journaled, rerun on --resume
};

struct Runner {
  Runner(const Plan& p, const GateCatalogue& c, const ExecOptions& o) : plan(p), cat(c), opts(o) {}
  const Plan& plan;
  const GateCatalogue& cat;
  const ExecOptions& opts;
  std::unique_ptr<Journal> journal;
  HostInfo host = HostInfo::current();
  json settings = switch_settings();
  std::vector<Record> records;
  std::vector<int> state;  // 0 pending, 1 running, 2 done
  std::map<std::size_t, std::unique_ptr<ChildProcess>> running;
  std::optional<std::string> stop_reason;
  ExecSummary summary;
  // The first environment error (disk full, no permission): the run stops, nothing more is started.
  void environment_failure(std::string line) {
    if (!summary.environment_error) summary.environment_error = std::move(line);
  }
  std::size_t done = 0, total = 0;  // total: the nodes this run owns (all, or a shard's)
  // Content reuse (content_reuse.hpp): content key -> the node computing or having computed it.
  std::map<std::string, std::size_t> by_content;
  std::map<std::size_t, std::optional<std::string>> content_ids;  // artifact node -> content id (cached)
  // Scheduling: a ready node with the longest estimated path to the end of the DAG starts first.
  std::vector<double> priority;
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
  // Removal during the run (early_release.hpp): producer -> its files' artifacts.json entries,
  // moved to the summary once the background thread has removed the folder.
  std::optional<ReleasePlanner> releaser;
  std::unique_ptr<BackgroundRemover> remover;
  std::map<std::size_t, std::vector<json>> releasing;

  std::filesystem::path node_dir(const Node& n) const { return plan.out_dir / "nodes" / n.id; }

  // The catalogue's process gates (inputs type process), emitted for a worker's exit status.
  std::string failed_gate() const { return cat.process_gate("failed")->id; }
  std::string crashed_gate() const { return cat.process_gate("crashed")->id; }

  Evidence base_evidence(const Node& n, const std::string& gate) const {
    Evidence e;
    e.id = new_evidence_id();
    e.gate_id = gate;
    e.scenario = n.scenario;
    e.timestamp = utc_timestamp_now();
    e.host = host;
    e.node = n.id;
    e.metadata["node"] = n.id;
    e.metadata["node_kind"] = n.kind == NodeKind::check ? n.check : to_string(n.kind);
    e.provenance["settings"] = settings;
    if (const GateDef* g = cat.find(gate)) {
      e.severity = g->severity;
      e.category = g->category;
      // Provenance: the gate as this run resolved it (catalogue source and bound thresholds).
      json def = {{"kind", g->kind}, {"inputs", g->inputs.type}, {"source", g->source}};
      if (auto it = n.require.find(gate); it != n.require.end())
        for (const auto& r : it->second)
          def["require"][r.name] = {{"comparator", to_string(r.comparator)}, {"threshold", r.threshold}, {"expr", r.expr}};
      e.provenance["gate"] = def;
    } else {
      e.category = "QUAL";
    }
    return e;
  }

  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }

  void emit(const std::string& type, const Node& n, const Record* r) {
    if (!opts.progress) return;
    ProgressEvent ev;
    ev.type = type;
    ev.node = &n;
    if (r) {
      ev.outcome = to_string(r->outcome);
      ev.reason = r->reason;
    }
    ev.done = done;
    ev.total = total;
    for (auto& [i, p] : running) ev.running.push_back(plan.nodes[i].id);
    ev.elapsed_s = elapsed();
    opts.progress(ev);
  }

  // Records the outcome of node i; journals it unless `journal_it` is false.
  void complete(std::size_t i, Record r, bool journal_it) {
    const Node& n = plan.nodes[i];
    if (journal_it && !r.environment) {
      json ev = json::array();
      for (const auto& e : r.evidence) ev.push_back(to_json(e));
      journal->append({{"type", "node"}, {"node", n.id}, {"outcome", to_string(r.outcome)},
                       {"reason", r.reason}, {"evidence", ev}, {"artifacts", r.artifacts}});
      r.journaled = true;
    }
    summary.node_outcomes[n.id] = to_string(r.outcome);
    records[i] = std::move(r);
    state[i] = 2;
    ++done;
    check_policy(records[i]);
    emit("finish", n, &records[i]);
  }

  void check_policy(const Record& r) {
    if (stop_reason) return;
    for (const auto& e : r.evidence) {
      if (!is_failure(e.outcome)) continue;
      bool stop = opts.policy == FailurePolicy::stop_on_first || opts.policy == FailurePolicy::fail_fast ||
                  (opts.policy == FailurePolicy::stop_on_p0 && e.severity == "P0");
      if (stop) {
        stop_reason = fmt::format("not run: {} after {} was {}", to_string(opts.policy), e.gate_id, to_string(e.outcome));
        return;
      }
    }
  }

  // Same outcome for every gate of a node (or a process-gate entry for an intermediate node).
  Record uniform(const Node& n, Outcome o, const std::string& reason, const std::string& process_gate = "") {
    Record r;
    r.outcome = o;
    r.reason = reason;
    std::vector<std::string> gates = n.gates;
    if (!process_gate.empty() && (gates.empty() || n.check == "inference")) gates = {process_gate};
    for (const auto& g : gates) {
      Evidence e = base_evidence(n, g);
      e.outcome = o;
      e.reason = reason;
      if (g != (n.gates.empty() ? "" : n.gates.front()) && !n.gates.empty()) e.metadata["gate"] = n.gates.front();
      r.evidence.push_back(std::move(e));
    }
    return r;
  }

  // A node whose dependencies are done but did not all succeed: no process is started.
  std::optional<Record> derived(std::size_t i) {
    const Node& n = plan.nodes[i];
    for (const auto& d : n.deps) {
      const Record& dr = records[plan.index_of(d)];
      if (dr.outcome == Outcome::skipped) return uniform(n, Outcome::skipped, dr.reason);
      // Upstream that could not be evaluated leaves this node unevaluated too (Error); an upstream
      // failure of the model (Falsified, Timeout, Crashed) is a failure here.
      if (dr.outcome == Outcome::error)
        return uniform(n, Outcome::error, fmt::format("could not evaluate: upstream {} was Error: {}", d, dr.reason));
      if (dr.outcome != Outcome::corroborated)
        return uniform(n, Outcome::falsified, fmt::format("upstream {} was {}: {}", d, to_string(dr.outcome), dr.reason));
    }
    if (n.skip_reason) return uniform(n, Outcome::skipped, *n.skip_reason);
    return std::nullopt;
  }

  void start(std::size_t i) {
    const Node& n = plan.nodes[i];
    auto dir = node_dir(n);
    std::filesystem::create_directories(dir);
    json spec = {{"node", n.id}, {"kind", to_string(n.kind)}, {"check", n.check}, {"gates", n.gates},
                 {"params", n.params}, {"artifact", n.artifact}, {"format", n.format}, {"key", n.key}};
    json require = json::object();
    for (const auto& [g, reqs] : n.require)
      for (const auto& r : reqs) require[g][r.name] = fmt::format("{} {}", to_string(r.comparator), r.threshold);
    spec["require"] = require;
    if (!plan.input_digests.empty()) {
      json kd = json::array();
      for (const auto& d : plan.input_digests) kd.push_back(file_digest_to_json(d));
      spec["known_digests"] = kd;
    }
    std::filesystem::remove(dir / "result.json");
    write_file_atomic_json(dir / "spec.json", spec);
    std::vector<std::string> argv = opts.worker;
    if (argv.empty()) argv = {"/proc/self/exe", "__node"};
    for (const char* a : {"--spec"}) argv.push_back(a);
    argv.push_back((dir / "spec.json").string());
    argv.push_back("--result");
    argv.push_back((dir / "result.json").string());
    state[i] = 1;
    running[i] = std::make_unique<ChildProcess>(argv, dir / "stdout.log", dir / "stderr.log", opts.timeout_ms);
    emit("start", n, nullptr);
  }

  static void write_file_atomic_json(const std::filesystem::path& p, const json& j) {
    write_file_atomic(p, j.dump(2));  // throws an io Error (with errno) when the disk refuses
  }

  Record finished(std::size_t i, const ProcessEnd& end) {
    const Node& n = plan.nodes[i];
    auto dir = node_dir(n);
    std::string err_tail = file_tail(dir / "stderr.log");
    std::string key = n.kind == NodeKind::check ? n.check : to_string(n.kind);
    summary.seconds_by_kind[key] += end.duration_ms / 1000.0;
    summary.nodes_by_kind[key] += 1;
    summary.cpu_seconds_by_kind[key] += end.cpu_seconds;
    ++summary.nodes_run;
    auto finish_common = [&](Record r, std::optional<int> code) {
      for (auto& e : r.evidence) {
        e.metrics.duration_ms = end.duration_ms;
        if (!err_tail.empty()) e.stderr_text = err_tail;
        e.exit_code = code;
      }
      return r;
    };
    switch (end.how) {
      case ProcessEnd::How::timed_out:
        return finish_common(uniform(n, Outcome::timeout, fmt::format("Timed out after {}ms", opts.timeout_ms)), std::nullopt);
      case ProcessEnd::How::signaled:
        return finish_common(uniform(n, Outcome::crashed,
                                     fmt::format("Process crashed with signal {} ({})", end.signal, signal_name(end.signal)),
                                     crashed_gate()),
                             -end.signal);
      case ProcessEnd::How::killed:
        return uniform(n, Outcome::skipped, std::string(kNotRunInterrupted));
      case ProcessEnd::How::exited: break;
    }
    // Exit 2 is the worker's "bad input": the model (or artifact) was rejected — a judgement on
    // the model (Falsified; the process gate for a matrix cell or an artifact producer). Any other
    // non-zero exit (3 environment, 4 internal error) means the gate could not be evaluated: Error,
    // kept apart from Falsified and named in the summary.
    // The machine refused (disk full, no permission, read-only file system): not a judgement on
    // the model. The run stops; this node is not journaled, so --resume runs it again.
    if (end.exit_code == kWorkerEnvironmentExit) {
      std::string line = last_line(err_tail);
      const std::string prefix = "apr-qa __node: error: ";
      if (line.rfind(prefix, 0) == 0) line = line.substr(prefix.size());
      if (line.empty()) line = fmt::format("worker of node {} reported an environment error", n.id);
      environment_failure(line);
      Record r = uniform(n, Outcome::skipped, std::string(kNotRunEnvironment) + ": " + line);
      r.environment = true;
      return r;
    }
    if (end.exit_code == 2)
      return finish_common(uniform(n, Outcome::falsified,
                                   fmt::format("Command failed (exit {}): {}", end.exit_code, last_line(err_tail)), failed_gate()),
                           end.exit_code);
    if (end.exit_code != 0)
      return finish_common(uniform(n, Outcome::error,
                                   fmt::format("could not evaluate (worker exit {}): {}", end.exit_code, last_line(err_tail)),
                                   n.gates.empty() ? failed_gate() : ""),
                           end.exit_code);
    std::ifstream in(dir / "result.json");
    json res = in ? json::parse(in, nullptr, false) : json();
    if (res.is_discarded() || !res.is_object())
      return finish_common(uniform(n, Outcome::error, "could not evaluate: the worker exited 0 but wrote no valid result.json",
                                   n.gates.empty() ? failed_gate() : ""),
                           0);
    if (res.contains("skip") && res["skip"].is_string())
      return finish_common(uniform(n, Outcome::skipped, res["skip"].get<std::string>()), 0);
    json dep_arts = json::array();
    for (const auto& d : n.deps)
      for (const auto& a : records[plan.index_of(d)].artifacts) dep_arts.push_back(a);
    NodeJudgement j = judge_worker_result(n, res, dep_arts, failed_gate(),
                                          [this](const Node& m, const std::string& g) { return base_evidence(m, g); });
    Record r;
    r.outcome = j.outcome;
    r.reason = std::move(j.reason);
    r.artifacts = std::move(j.artifacts);
    r.evidence = std::move(j.evidence);
    return finish_common(std::move(r), 0);
  }

  // The content key of pending node i whose dependencies are done, or nullopt (never reused).
  std::optional<std::string> reuse_key(std::size_t i) {
    const Node& n = plan.nodes[i];
    if ((n.kind != NodeKind::convert && n.kind != NodeKind::infer) || !single_input(n)) return std::nullopt;
    const std::size_t j = plan.index_of(n.deps.front());
    if (j >= plan.nodes.size() || records[j].outcome != Outcome::corroborated) return std::nullopt;
    auto it = content_ids.find(j);
    if (it == content_ids.end()) it = content_ids.emplace(j, artifact_content_id(plan.nodes[j], records[j].artifacts)).first;
    if (!it->second) return std::nullopt;
    return content_key(n, plan.nodes[j], *it->second);
  }

  // Node i gets twin's output files (same content key): recorded, not run.
  Record reused(std::size_t i, std::size_t twin) {
    const Node& n = plan.nodes[i];
    const Node& t = plan.nodes[twin];
    Record r;
    r.outcome = Outcome::corroborated;
    r.artifacts = reuse_outputs(t, n, records[twin].artifacts);
    r.reason = fmt::format("same input bytes and parameters as {}: its output reused (hard link), not computed again", t.id);
    auto dir = node_dir(n);
    std::filesystem::create_directories(dir);
    write_file_atomic(dir / "stdout.log", r.reason + "\n");
    summary.reused_by_kind[to_string(n.kind)] += 1;
    return r;
  }

  // The artifact file of a journaled node is there with the size and sha256 its record names
  // (a record without the file's sha256, e.g. a shared run's, is checked for presence only).
  static bool artifact_intact(const Node& n, const Record& r) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(n.artifact, ec)) return false;
    const std::string abs = std::filesystem::absolute(n.artifact).string();
    for (const auto& a : r.artifacts) {
      if (!a.is_object() || a.value("path", "") != abs) continue;
      if (std::filesystem::file_size(n.artifact, ec) != a.value("bytes", std::uint64_t{0}) || ec) return false;
      auto h = sha256_file(n.artifact);
      return h.ok() && *h == a.value("sha256", "");
    }
    return true;
  }

  void load_resume() {
    auto path = plan.out_dir / "evidence.jsonl";
    bool torn = false;
    auto recs = Journal::read(path, &torn);
    bool header_ok = false;
    for (const auto& j : recs) {
      if (j.value("type", "") == "header") {
        if (j.value("signature", "") != journal_signature(plan, opts.shard))
          throw validation_error(opts.shard.empty() || j.value("shard", "") == opts.shard
                                     ? "journal was written for a different plan (playbook, model or gates changed); run without --resume"
                                     : "journal was written for shard " + j.value("shard", std::string("(none)")) +
                                           ", not " + opts.shard + "; run without --resume")
              .at_path(path.string());
        header_ok = true;
        continue;
      }
      if (!header_ok || j.value("type", "") != "node") continue;
      std::size_t i = plan.index_of(j.value("node", ""));
      if (i >= plan.nodes.size() || state[i] != 0) continue;  // unknown, another shard's, or a duplicate
      Record r;
      r.outcome = outcome_from_string(j.value("outcome", "")).value_or(Outcome::falsified);
      r.reason = j.value("reason", "");
      for (const auto& e : j["evidence"]) r.evidence.push_back(evidence_from_json(e));
      r.artifacts = j.value("artifacts", json::array());
      r.journaled = true;
      summary.node_outcomes[plan.nodes[i].id] = to_string(r.outcome);
      records[i] = std::move(r);
      state[i] = 2;
      ++done;
      ++summary.nodes_resumed;
    }
    // A journaled conversion or shared run whose file is gone (`run --keep-artifacts` removed it)
    // or no longer has the bytes its record names (converted models are scratch files, never
    // forced to the disk: a crash can leave one short or stale) runs again when a pending node
    // needs it.
    for (bool changed = true; changed;) {
      changed = false;
      for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        if (state[i] != 0) continue;
        for (const auto& d : plan.nodes[i].deps) {
          const std::size_t j = plan.index_of(d);
          if (j >= plan.nodes.size()) continue;
          const Node& dn = plan.nodes[j];
          if (state[j] != 2 || !records[j].journaled || dn.artifact.empty() ||
              (dn.kind != NodeKind::convert && dn.kind != NodeKind::infer))
            continue;
          if (artifact_intact(dn, records[j])) continue;
          records[j] = Record{};
          state[j] = 0;
          --done;
          --summary.nodes_resumed;
          summary.node_outcomes.erase(dn.id);
          changed = true;
        }
      }
    }
    if (torn) {
      // Rewrite the journal without the torn tail so appends start on a clean line.
      std::string clean;
      for (const auto& j : recs) clean += j.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
      std::ofstream(path, std::ios::binary | std::ios::trunc) << clean;
    }
    if (!header_ok && !recs.empty())
      throw validation_error("journal has no header record; run without --resume").at_path(path.string());
  }

  void run() {
    std::filesystem::create_directories(plan.out_dir / "nodes");
    records.resize(plan.nodes.size());
    state.assign(plan.nodes.size(), 0);
    total = plan.nodes.size();
    if (!opts.only.empty()) {
      // Nodes of other shards: done before the start, with no record and no journal line.
      state.assign(plan.nodes.size(), 2);
      for (std::size_t i : opts.only) state.at(i) = 0;
      total = opts.only.size();
    }
    auto jpath = plan.out_dir / "evidence.jsonl";
    bool fresh = !opts.resume || !std::filesystem::exists(jpath);
    if (!fresh) load_resume();
    journal = std::make_unique<Journal>(jpath, fresh);
    if (fresh) {
      json header = {{"type", "header"}, {"signature", journal_signature(plan, opts.shard)}, {"playbook", plan.playbook_name},
                     {"nodes", total}, {"started", utc_timestamp_now()}, {"provenance", provenance(plan, cat)}};
      if (!opts.shard.empty()) header["shard"] = opts.shard;
      journal->append(header);
    }
    int jobs = std::max(1, opts.jobs);
    priority = schedule_priority(plan);
    if (opts.release_during_run && *opts.release_during_run != KeepArtifacts::all && opts.only.empty())
      releaser.emplace(plan);
    while (done < total) {
      if (g_interrupt || summary.environment_error) {
        summary.interrupted = g_interrupt;
        for (auto& [i, p] : running) p->kill_now();
        running.clear();
        break;
      }
      try {
        step(jobs);
      } catch (const Error& e) {
        if (!is_environment_error(e)) throw;
        environment_failure(e.what());
      } catch (const std::filesystem::filesystem_error& e) {
        if (!is_environment_errno(e.code().value())) throw;
        environment_failure(printable(e.path1().string(), 1024) + ": " + e.code().message());
      }
    }
    finish_releases();
    const std::string not_run(summary.environment_error ? kNotRunEnvironment : kNotRunInterrupted);
    for (std::size_t i = 0; i < plan.nodes.size(); ++i)
      if (state[i] != 2) records[i] = uniform(plan.nodes[i], Outcome::skipped, not_run);
    for (const auto& r : records) {
      for (const auto& e : r.evidence) summary.evidence.push_back(e);
      for (const auto& a : r.artifacts) summary.produced.push_back(artifact_from_json(a));
    }
    write_evidence_file(plan.out_dir / "evidence.json", summary.evidence);
  }

  // Hands the folders nothing can need any more to the background remover.
  void release_finished() {
    if (!releaser || g_interrupt) return;
    const bool keep_failed = *opts.release_during_run == KeepArtifacts::failed;
    auto done = [&](std::size_t i) { return state[i] == 2; };
    auto keep = [&](std::size_t i) {
      if (!keep_failed) return false;
      for (const auto& e : records[i].evidence)
        if (is_failure(e.outcome)) return true;
      return false;
    };
    for (std::size_t p : releaser->releasable(done, keep)) {
      try {
        std::map<std::filesystem::path, ArtifactRef> known;
        for (const auto& a : records[p].artifacts) {
          ArtifactRef ref = artifact_from_json(a);
          known.emplace(normal_absolute(ref.path), ref);
        }
        releasing[p] = unit_entries(releaser->unit(p), known, false);
      } catch (const std::exception&) {
        continue;  // left to the final retention, which lists it (or reports why it cannot)
      }
      if (!remover) remover = std::make_unique<BackgroundRemover>();
      remover->remove(releaser->unit(p), p);
    }
  }

  // Waits for the background removals; their entries go to the summary. A folder that could not be
  // removed stays on disk and the final retention lists (and retries) it.
  void finish_releases() {
    if (!remover) return;
    auto [removed, error] = remover->finish();
    remover.reset();
    std::sort(removed.begin(), removed.end());
    for (std::size_t p : removed)
      for (auto& e : releasing[p]) summary.released.push_back(std::move(e));
    if (error) log::warn("could not remove an artifact folder during the run: " + *error);
  }

  // One scheduling pass: collect finished workers, complete derived nodes, start ready ones.
  void step(int jobs) {
    {
      bool progressed = false;
      for (auto it = running.begin(); it != running.end();) {
        auto end = it->second->poll();
        if (!end) { ++it; continue; }
        std::size_t i = it->first;
        it = running.erase(it);
        complete(i, finished(i, *end), true);
        progressed = true;
      }
      if (summary.environment_error) return;  // start nothing more: the run stops
      std::vector<std::size_t> ready;
      for (std::size_t i = 0; i < plan.nodes.size(); ++i) {
        if (state[i] != 0) continue;
        bool deps_done = true;
        for (const auto& d : plan.nodes[i].deps) deps_done = deps_done && state[plan.index_of(d)] == 2;
        if (!deps_done) continue;
        if (auto r = derived(i)) {
          complete(i, std::move(*r), true);
          progressed = true;
          continue;
        }
        if (stop_reason) {
          complete(i, uniform(plan.nodes[i], Outcome::skipped, *stop_reason), false);
          progressed = true;
          continue;
        }
        ready.push_back(i);
      }
      // Longest estimated path to the end first (ties: plan order), so that long chains and long
      // nodes overlap with the short ones instead of trailing at the end.
      std::stable_sort(ready.begin(), ready.end(), [&](std::size_t a, std::size_t b) { return priority[a] > priority[b]; });
      for (std::size_t i : ready) {
        auto ck = reuse_key(i);
        if (ck) {
          if (auto it = by_content.find(*ck); it != by_content.end() && it->second != i) {
            if (state[it->second] == 1) continue;  // its twin is being computed: wait for it
            if (state[it->second] == 2 && records[it->second].outcome == Outcome::corroborated) {
              complete(i, reused(i, it->second), true);
              progressed = true;
              continue;
            }
          }
        }
        if (static_cast<int>(running.size()) >= jobs) continue;
        start(i);
        if (ck) by_content[*ck] = i;
        progressed = true;
      }
      if (progressed) release_finished();
      if (!progressed) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
};

}  // namespace

std::string journal_signature(const Plan& plan, const std::string& shard) {
  return shard.empty() ? plan.signature() : plan.signature() + " shard " + shard;
}

nlohmann::json provenance(const Plan& plan, const GateCatalogue& cat) {
  json settings = switch_settings();
  settings["reuse_artifacts"] = plan.reuse_artifacts;
  json gates = json::object();
  for (const auto& id : plan.gate_ids())
    if (const GateDef* g = cat.find(id)) gates[id] = to_json(*g);
  for (const auto& [id, why] : plan.unplanned) gates[id] = {{"planned", false}, {"why", why}};
  return {{"apr_version", build_version()}, {"git_hash", build_git_hash()}, {"build", build_id()},
          {"settings", settings}, {"failure_policy", plan.failure_policy}, {"timeout_ms", plan.timeout_ms},
          {"gates", gates}};
}

ExecSummary execute_plan(const Plan& plan, const GateCatalogue& cat, const ExecOptions& opts) {
  g_interrupt = false;
  struct sigaction sa{}, old_int{}, old_term{};
  sa.sa_handler = on_signal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);
  Runner r(plan, cat, opts);
  try {
    r.run();
  } catch (...) {
    sigaction(SIGINT, &old_int, nullptr);
    sigaction(SIGTERM, &old_term, nullptr);
    throw;
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return std::move(r.summary);
}

}  // namespace apr::qa
