#include "qa/run.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/output_dir.hpp"
#include "core/printable.hpp"
#include "core/switches.hpp"
#include "qa/executor.hpp"
#include "qa/plan.hpp"
#include "qa/playbook.hpp"
#include "qa/report.hpp"
#include "qa/retention.hpp"
#include "qa/scratch.hpp"
#include "qa/shard.hpp"
#include "qa/verdict.hpp"

namespace apr::qa {

GateCatalogue load_catalogue(const std::optional<std::string>& dir) {
  auto c = dir ? GateCatalogue::from_dir(*dir) : GateCatalogue::builtin();
  if (!c) throw c.error();
  return std::move(*c);
}

std::string model_id_of(const std::vector<Evidence>& ev) {
  for (const auto& e : ev)
    if (!e.scenario.org.empty()) return e.scenario.org + "/" + e.scenario.name;
  return "unknown/unknown";
}

static int default_jobs(const std::string& size) {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int cap = size == "auto" ? cores : (size == "tiny" || size == "small") ? 4 : (size == "medium" ? 2 : 1);
  return std::max(1, std::min(cores, cap));
}

int terminal_columns(int fd) {
  struct winsize ws {};
  if (ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  if (const char* c = std::getenv("COLUMNS"); c && *c) {
    int n = std::atoi(c);
    if (n > 0) return n;
  }
  return 80;
}

std::string fit_columns(const std::string& s, int columns) {
  std::size_t limit = columns > 1 ? static_cast<std::size_t>(columns - 1) : 1;
  std::vector<std::size_t> starts;  // byte offset of each code point
  for (std::size_t i = 0; i < s.size(); ++i)
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) starts.push_back(i);
  if (starts.size() <= limit) return s;
  if (limit <= 3) return s.substr(0, starts[limit]);
  return s.substr(0, starts[limit - 3]) + "...";
}

std::string progress_line(std::size_t done, std::size_t total, double elapsed_s, const std::vector<std::string>& running,
                          int columns) {
  double eta = done ? elapsed_s / static_cast<double>(done) * static_cast<double>(total - done) : 0;
  std::string line = fmt::format("[{}/{}] {:.0f}s, ETA {:.0f}s", done, total, elapsed_s, eta);
  if (!running.empty()) {
    line += " | running:";
    for (const auto& r : running) line += " " + r;
  }
  return fit_columns(line, columns);
}

std::string run_summary(const std::vector<Evidence>& entries, const std::string& headline, const std::string& evidence_path,
                        const std::string& report_path) {
  std::string s;
  auto lines = failure_lines(entries, 20);
  std::size_t failing = 0;
  for (const auto& e : entries) failing += is_failure(e.outcome);
  if (failing > 0) {
    s += fmt::format("{} gate result{} failed or could not be evaluated:\n", failing, failing == 1 ? "" : "s");
    for (const auto& l : lines) s += "  " + l + "\n";
  }
  s += headline + "\n";
  s += "evidence: " + evidence_path + "\nreport: " + report_path + "\n";
  return s;
}

namespace {
struct Progress {
  const RunOptions& o;
  // The live line needs a terminal on both streams: stdout carries the summary, stderr the line.
  bool live = o.log_format == "text" && o.verbosity >= 0 && isatty(1) != 0 && isatty(2) != 0;
  mutable bool drawn = false;
  void operator()(const ProgressEvent& ev) const {
    if (log::format() == log::Format::json) {  // node starts at debug (-v), finishes at info (not -q)
      nlohmann::json j{{"event", ev.type}, {"node", ev.node->id}, {"gates", ev.node->gates}, {"done", ev.done},
                       {"total", ev.total}, {"elapsed_s", ev.elapsed_s}};
      if (ev.type == "finish") { j["outcome"] = ev.outcome; j["reason"] = ev.reason; }
      if (ev.type == "finish")
        log::info("node finished", j);
      else
        log::debug("node started", j);
      return;
    }
    if (o.verbosity < 0) return;
    std::string gates;
    for (const auto& g : ev.node->gates) gates += (gates.empty() ? "" : ",") + g;
    bool failed = ev.type == "finish" && ev.outcome != "Corroborated" && ev.outcome != "Skipped";
    if (live) {
      if (failed || (ev.type == "finish" && o.verbosity > 0))
        std::fprintf(stderr, "\r\x1b[K%s %s %s: %s\n", ev.node->id.c_str(), gates.c_str(), ev.outcome.c_str(),
                     printable(ev.reason, 4096).c_str());
      auto line = progress_line(ev.done, ev.total, ev.elapsed_s, ev.running, terminal_columns(2));
      std::fprintf(stderr, "\r\x1b[K%s", line.c_str());
      std::fflush(stderr);
      drawn = true;
      return;
    }
    if (ev.type == "start") {
      log::debug(fmt::format("start {} {}", ev.node->id, gates));
      return;
    }
    log::info(fmt::format("[{}/{}] {} {} {}: {}", ev.done, ev.total, ev.node->id, gates, ev.outcome, printable(ev.reason, 4096)));
  }
  void clear() const {  // no stale progress line after the run
    if (!drawn) return;
    std::fputs("\r\x1b[K", stderr);
    std::fflush(stderr);
    drawn = false;
  }
};
}  // namespace

int run_playbook(const RunOptions& o) {
  LoadOptions lo;
  lo.strict = o.strict;
  auto pb = load_playbook(o.playbook, lo);
  if (!pb) throw pb.error();
  log::ScopedConfig log_config(o.verbosity, o.log_format == "json" ? log::Format::json : log::Format::text);
  for (const auto& w : pb->warnings) log::warn(printable(w, 4096), {{"playbook", o.playbook}});
  if (pb->is_template && !o.dry_run)
    throw validation_error("playbook is a template (holds ${VAR} placeholders): fill them in before running").at_path(o.playbook);
  GateCatalogue cat = load_catalogue(o.gates_dir);
  // -o: a file or a path below one is exit 2, an unwritable place exit 3 (evidence, reports and
  // artifacts go inside it; created when the run starts).
  check_output_dir(o.out_dir, "-o/--output", false);
  const auto keep = keep_artifacts_from_string(o.keep_artifacts);
  if (!keep) throw validation_error("--keep-artifacts must be all, failed or none, found '" + o.keep_artifacts + "'");
  PlanOptions po;
  po.model_path = o.model_path;
  po.out_dir = o.out_dir;
  po.has_cuda = o.has_cuda;
  po.dry_run = o.dry_run;
  po.reuse_artifacts = o.reuse_artifacts;
  std::optional<ScratchSpace> scratch_free;
  if (o.scratch) {
    if (o.shard)
      throw validation_error("--scratch cannot be used with --shard: the shards of a run share their artifacts through -o");
    scratch_free = scratch_space(*o.scratch);  // an existing, writable folder (else exit 3)
    if (*keep == KeepArtifacts::all) {
      // Every artifact ends up in -o anyway: writing it there directly saves a copy of each.
      log::warn("--scratch " + *o.scratch + " is not used with --keep-artifacts all: every artifact is kept, so each is "
                "written under -o directly", {{"scratch", *o.scratch}});
      scratch_free.reset();
    } else {
      po.scratch_dir = *o.scratch;
    }
  }
  if (switches().no_shared_runs) po.shared_runs = false;
  if (switches().no_drafts) po.drafts = false;
  auto plan = build_plan(*pb, cat, po);
  if (!plan) throw plan.error();
  if (o.failure_policy) plan->failure_policy = *o.failure_policy;
  if (o.timeout_ms) plan->timeout_ms = *o.timeout_ms;
  auto policy = failure_policy_from_string(plan->failure_policy);
  if (!policy) throw validation_error("unknown failure policy '" + plan->failure_policy + "' (stop-on-first, stop-on-p0, collect-all, fail-fast)");
  if (o.dot_file) write_file_atomic(*o.dot_file, plan->dot());
  std::optional<ShardSpec> shard;
  std::optional<Partition> part;
  if (o.shard) {
    shard = parse_shard(*o.shard);
    if (!shard) throw validation_error("--shard must be K/N with 1 <= K <= N (e.g. 2/3), found '" + *o.shard + "'");
    part = partition_plan(*plan, shard->n, model_bytes_of(*plan));
  }
  if (o.dry_run) {
    std::fputs(shard ? shard_text(*plan, *part, shard->k).c_str() : plan->text().c_str(), stdout);
    return 0;
  }
  for (const auto& w : plan->warnings) log::warn(printable(w, 4096), {{"playbook", o.playbook}});
  if (scratch_free) {
    const std::string why = plan_fits_scratch(*plan, input_model_bytes(*plan), *scratch_free, *o.scratch);
    if (!why.empty()) {
      log::warn(why, {{"scratch", *o.scratch}});
      relocate_work_dir(*plan, plan->out_dir);
    } else {
      // A fresh run starts from an empty folder: what an interrupted run into this -o left there
      // would otherwise linger (in memory, on a tmpfs) and be listed as this run's.
      if (!o.resume) {
        std::error_code ec;
        std::filesystem::remove_all(plan->work_dir, ec);
      }
      check_output_dir(plan->work_dir, "--scratch", true);
      std::error_code ec;
      std::filesystem::permissions(plan->work_dir, std::filesystem::perms::owner_all, ec);
      log::debug("artifacts go to the scratch folder " + plan->work_dir.string(), {{"scratch", plan->work_dir.string()}});
    }
  }
  ExecOptions eo;
  eo.jobs = o.jobs > 0 ? o.jobs : default_jobs(plan->size_category);
  eo.timeout_ms = plan->timeout_ms;
  eo.policy = *policy;
  eo.worker = o.worker;
  eo.resume = o.resume;
  eo.release_during_run = *keep;
  if (shard) {
    eo.only = shard_nodes(*part, shard->k);
    eo.shard = shard->str();
  }
  Progress prog{o};
  eo.progress = [&prog](const ProgressEvent& ev) { prog(ev); };
  auto wall0 = std::chrono::steady_clock::now();
  check_output_dir(plan->out_dir, "-o/--output", true);
  write_file_atomic(plan->out_dir / "provenance.json", provenance(*plan, cat).dump(2) + "\n");
  if (shard)
    write_file_atomic(plan->out_dir / "shard.json",
                      shard_manifest(*plan, *part, shard->k, cat, std::filesystem::absolute(o.playbook).string(),
                                     o.model_path.value_or(""))
                              .dump(2) +
                          "\n");
  ExecSummary s = execute_plan(*plan, cat, eo);
  // A run that stops early keeps every file still there; artifacts.json still lists the ones
  // removed during the run (nothing else would record them).
  auto record_released = [&] {
    if (!s.released.empty())
      (void)apply_artifact_retention(*plan, s.evidence, KeepArtifacts::all, s.produced, s.released, false);
    if (plan->work() != plan->out_dir)
      log::warn("the run did not finish: its artifacts stay in the scratch folder " + plan->work().string() +
                    " for --resume (with the same --scratch); remove that folder if you will not resume",
                {{"scratch", plan->work().string()}});
  };
  if (s.environment_error) {
    try {
      record_released();
    } catch (const Error&) {
    }
    // The machine refused a write: no verdict, no reports (a grade would score the disk, not the
    // model). evidence.json keeps the gates completed before it; --resume continues once fixed.
    prog.clear();
    std::size_t kept = 0;
    for (const auto& e : s.evidence) kept += e.outcome == Outcome::skipped ? 0 : 1;
    const auto line = fmt::format(
        "apr-qa run: error: environment: {} (run stopped, no verdict; {} completed gate results kept in {}; rerun with "
        "--resume once fixed)",
        *s.environment_error, kept, (plan->out_dir / "evidence.json").string());
    if (log::format() == log::Format::json)
      log::error(line, {{"kept", kept}, {"evidence", (plan->out_dir / "evidence.json").string()}});
    else
      std::fprintf(stderr, "%s\n", line.c_str());
    return 3;
  }
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  nlohmann::json timing{{"wall_s", wall}, {"jobs", eo.jobs}, {"nodes_run", s.nodes_run},
                        {"nodes_resumed", s.nodes_resumed}, {"worker_seconds_by_kind", s.seconds_by_kind},
                        {"worker_nodes_by_kind", s.nodes_by_kind}, {"worker_cpu_seconds_by_kind", s.cpu_seconds_by_kind},
                        {"reused_nodes_by_kind", s.reused_by_kind}};
  // Files removed during the run (qa/early_release.hpp), before the final retention.
  std::uint64_t released_bytes = 0;
  for (const auto& e : s.released) released_bytes += e.value("bytes", std::uint64_t{0});
  timing["released_during_run"] = {{"files", s.released.size()}, {"bytes", released_bytes}};
  write_file_atomic(plan->out_dir / "timing.json", timing.dump(2) + "\n");
  prog.clear();

  ReportInput ri;
  ri.model_id = plan->model_org + "/" + plan->model_name;
  ri.playbook = plan->playbook_name;
  ri.evidence = s.evidence;
  ri.verdict = compute_verdict(s.evidence, plan->tier);
  ri.mqs = compute_mqs(ri.model_id, s.evidence);
  ri.cert = certify(ri.mqs, plan->tier);
  ri.seconds_by_kind = s.seconds_by_kind;
  write_reports(plan->out_dir, ri);
  // An interrupted run keeps everything not yet removed: --resume continues from its artifacts.
  if (s.interrupted) record_released();
  if (!s.interrupted) {
    auto kept = apply_artifact_retention(*plan, s.evidence, *keep, s.produced, s.released);
    log::debug(fmt::format("artifacts (--keep-artifacts {}): kept {} files ({} bytes{}), removed {} ({} bytes); list: {}",
                           o.keep_artifacts, kept.files_kept, kept.bytes_kept,
                           kept.scratch_moved ? fmt::format(", {} folders moved from the scratch folder into -o", kept.scratch_moved) : "",
                           kept.files_removed, kept.bytes_removed, (plan->out_dir / "artifacts.json").string()),
               {{"files_kept", kept.files_kept}, {"bytes_kept", kept.bytes_kept}, {"files_removed", kept.files_removed},
                {"bytes_removed", kept.bytes_removed}});
  }
  // The summary is printed in every mode, -q included (-q only silences the progress).
  if (o.print_summary)
    std::fputs(run_summary(s.evidence, headline(ri.verdict), (plan->out_dir / "evidence.json").string(),
                           (plan->out_dir / "report.html").string())
                   .c_str(),
               stdout);
  std::fflush(stdout);
  if (s.interrupted) return 130;
  const auto& v = ri.verdict;
  if (v.failed + v.errors + v.timeouts + v.crashes > 0) return 1;
  if (v.passed == 0) {
    log::error("no gate was measured (every entry Skipped): nothing passed");
    return 1;
  }
  return 0;
}

}  // namespace apr::qa
