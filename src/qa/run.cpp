#include "qa/run.hpp"

#include <dlfcn.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstdio>
#include <thread>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "qa/executor.hpp"
#include "qa/plan.hpp"
#include "qa/playbook.hpp"
#include "qa/report.hpp"
#include "core/switches.hpp"

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

bool cuda_available() {
  if (access("/dev/nvidia0", F_OK) != 0) return false;
  void* h = dlopen("libcuda.so.1", RTLD_LAZY | RTLD_LOCAL);
  if (!h) return false;
  dlclose(h);
  return true;  // no CUDA backend is built into the engine yet; callers also check that
}

static int default_jobs(const std::string& size) {
  int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  int cap = size == "auto" ? cores : (size == "tiny" || size == "small") ? 4 : (size == "medium" ? 2 : 1);
  return std::max(1, std::min(cores, cap));
}

namespace {
struct Progress {
  const RunOptions& o;
  bool tty = isatty(2) != 0;
  void operator()(const ProgressEvent& ev) const {
    if (o.log_format == "json") {
      nlohmann::json j{{"event", ev.type}, {"node", ev.node->id}, {"gates", ev.node->gates}, {"done", ev.done},
                       {"total", ev.total}, {"elapsed_s", ev.elapsed_s}};
      if (ev.type == "finish") { j["outcome"] = ev.outcome; j["reason"] = ev.reason; }
      std::fprintf(stderr, "%s\n", j.dump().c_str());
      return;
    }
    if (o.verbosity < 0) return;
    std::string gates;
    for (const auto& g : ev.node->gates) gates += (gates.empty() ? "" : ",") + g;
    if (tty) {
      double eta = ev.done ? ev.elapsed_s / ev.done * (ev.total - ev.done) : 0;
      std::string run;
      for (std::size_t i = 0; i < ev.running.size() && i < 3; ++i) run += (i ? " " : "") + ev.running[i];
      if (ev.type == "finish" && (ev.outcome == "Falsified" || ev.outcome == "Crashed" || ev.outcome == "Timeout" || o.verbosity > 0))
        std::fprintf(stderr, "\r\x1b[K%s %s %s: %s\n", ev.node->id.c_str(), gates.c_str(), ev.outcome.c_str(), ev.reason.c_str());
      std::fprintf(stderr, "\r\x1b[K[%zu/%zu] %.0fs, ETA %.0fs | running: %s", ev.done, ev.total, ev.elapsed_s, eta, run.c_str());
      std::fflush(stderr);
      return;
    }
    if (ev.type == "start") {
      if (o.verbosity > 0) std::fprintf(stderr, "start %s %s\n", ev.node->id.c_str(), gates.c_str());
      return;
    }
    std::fprintf(stderr, "[%zu/%zu] %s %s %s: %s\n", ev.done, ev.total, ev.node->id.c_str(), gates.c_str(), ev.outcome.c_str(),
                 ev.reason.c_str());
  }
};
}  // namespace

int run_playbook(const RunOptions& o) {
  LoadOptions lo;
  lo.strict = o.strict;
  auto pb = load_playbook(o.playbook, lo);
  if (!pb) throw pb.error();
  for (const auto& w : pb->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  if (pb->is_template && !o.dry_run)
    throw validation_error("playbook is a template (holds ${VAR} placeholders): fill them in before running").at_path(o.playbook);
  GateCatalogue cat = load_catalogue(o.gates_dir);
  PlanOptions po;
  po.model_path = o.model_path;
  po.out_dir = o.out_dir;
  po.has_cuda = o.has_cuda;
  po.dry_run = o.dry_run;
  po.reuse_artifacts = o.reuse_artifacts;
  if (switches().no_shared_runs) po.shared_runs = false;
  auto plan = build_plan(*pb, cat, po);
  if (!plan) throw plan.error();
  if (o.failure_policy) plan->failure_policy = *o.failure_policy;
  if (o.timeout_ms) plan->timeout_ms = *o.timeout_ms;
  auto policy = failure_policy_from_string(plan->failure_policy);
  if (!policy) throw validation_error("unknown failure policy '" + plan->failure_policy + "' (stop-on-first, stop-on-p0, collect-all, fail-fast)");
  if (o.dot_file) write_file_atomic(*o.dot_file, plan->dot());
  if (o.dry_run) {
    std::fputs(plan->text().c_str(), stdout);
    return 0;
  }
  for (const auto& w : plan->warnings) std::fprintf(stderr, "warning: %s\n", w.c_str());
  ExecOptions eo;
  eo.jobs = o.jobs > 0 ? o.jobs : default_jobs(plan->size_category);
  eo.timeout_ms = plan->timeout_ms;
  eo.policy = *policy;
  eo.worker = o.worker;
  eo.resume = o.resume;
  Progress prog{o};
  eo.progress = [&prog](const ProgressEvent& ev) { prog(ev); };
  auto wall0 = std::chrono::steady_clock::now();
  std::filesystem::create_directories(plan->out_dir);
  write_file_atomic(plan->out_dir / "provenance.json", provenance(*plan, cat).dump(2) + "\n");
  ExecSummary s = execute_plan(*plan, cat, eo);
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  nlohmann::json timing{{"wall_s", wall}, {"jobs", eo.jobs}, {"nodes_run", s.nodes_run},
                        {"nodes_resumed", s.nodes_resumed}, {"worker_seconds_by_kind", s.seconds_by_kind},
                        {"worker_nodes_by_kind", s.nodes_by_kind}, {"worker_cpu_seconds_by_kind", s.cpu_seconds_by_kind}};
  write_file_atomic(plan->out_dir / "timing.json", timing.dump(2) + "\n");
  if (prog.tty && o.log_format != "json" && o.verbosity >= 0) std::fprintf(stderr, "\n");

  ReportInput ri;
  ri.model_id = plan->model_org + "/" + plan->model_name;
  ri.playbook = plan->playbook_name;
  ri.evidence = s.evidence;
  ri.mqs = compute_mqs(ri.model_id, s.evidence);
  ri.cert = certify(ri.mqs, plan->tier);
  ri.seconds_by_kind = s.seconds_by_kind;
  write_reports(plan->out_dir, ri);
  if (o.verbosity >= 0 || o.log_format == "json") {
    std::printf("MQS %d/1000 (normalized %.1f, grade %s) | certification %s (%s, %d, %s) | %d passed, %d failed, %d skipped\n",
                ri.mqs.raw_score, ri.mqs.normalized_score, ri.mqs.grade.c_str(), ri.cert.status.c_str(), ri.cert.tier.c_str(),
                ri.cert.score, ri.cert.grade.c_str(), ri.mqs.tests_passed, ri.mqs.tests_failed, ri.mqs.tests_skipped);
    std::printf("evidence: %s\nreport: %s\n", (plan->out_dir / "evidence.json").c_str(), (plan->out_dir / "report.html").c_str());
  }
  if (s.interrupted) return 130;
  if (ri.mqs.tests_failed > 0) return 1;
  if (ri.mqs.tests_passed == 0) {
    std::fprintf(stderr, "apr-qa run: no gate was measured (every entry Skipped): nothing passed\n");
    return 1;
  }
  return 0;
}

}  // namespace apr::qa
