// apr-qa run PLAYBOOK: plan the playbook into a scenario DAG, execute it in worker processes,
// write evidence.json, mqs.json and the reports, and print the summary (qa/run.hpp run_summary:
// failed gates, the verdict line of qa/verdict.hpp, paths).
#include "command.hpp"
#include "core/log.hpp"
#include "engine/cuda/gpu_forward.hpp"
#include "qa/run.hpp"

namespace {

struct RunArgs {
  apr::qa::RunOptions o;
  std::string policy, log_format = "text";
  bool verbose = false, quiet = false;
  long long timeout = 0;
  std::string worker;
  std::string model_path, dot, shard, scratch;
};

const bool registered = apr::cli::register_command({
    "run",
    "Run a playbook: plan, execute every gate in isolated workers, write evidence, MQS and reports",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto a = std::make_shared<RunArgs>();
      sub.add_option("playbook", a->o.playbook, "Playbook YAML (the anchor's format; see docs/playbooks.md)")->required();
      sub.add_option("--model-path", a->model_path,
                     "Model input: a .gguf/.apr/.safetensors file or an HF snapshot directory. A directory also runs the "
                     "conversion suite (G0-FORMAT, F-CONV-*, golden rule, contracts). Default: the playbook's model.local_path");
      sub.add_option("-o,--output", a->o.out_dir,
                     "Output directory: evidence.jsonl (journal), evidence.json, mqs.json, junit.xml, summary.md, report.html, "
                     "timing.json (worker wall and CPU seconds by node kind), artifacts.json, artifacts/<hash>/model.<ext>, "
                     "runs/<hash>/run.json (shared teacher-forced runs), nodes/<id>/ (worker logs)")->capture_default_str();
      sub.add_option("-j,--jobs", a->o.jobs, "Parallel worker processes, 1-256 (default: cores, capped 4/4/2/1/1/1 by model.size_category)")
          ->check(CLI::Range(1, 256));
      sub.add_flag("--dry-run", a->o.dry_run, "Print the DAG (nodes, dependencies, gates, artifact paths) and exit; runs nothing");
      sub.add_option("--dot", a->dot, "Write the DAG as Graphviz to this file");
      sub.add_option("--shard", a->shard,
                     "K/N: run only shard K of N (1-based): whole conversion groups, balanced by estimated cost; the "
                     "resolve node runs in every shard. Writes <output>/shard.json; combine with `apr-qa merge` "
                     "(docs/scale-out.md). With --dry-run: print the shard");
      sub.add_flag("--resume", a->o.resume, "Continue from <output>/evidence.jsonl: journaled nodes are not rerun");
      sub.add_flag("--reuse-artifacts", a->o.reuse_artifacts,
                   "Reuse artifact files already at their content-keyed paths under <output>/artifacts instead of converting "
                   "again (default: every run converts; tests use this to plant a corrupted artifact)");
      sub.add_option("--keep-artifacts", a->o.keep_artifacts,
                     "all | failed (keep only the artifact files under <output>/artifacts and <output>/runs that a "
                     "failed or unevaluated gate used) | none. With failed/none a folder is removed as soon as "
                     "nothing in the run can need it, the rest after the run. <output>/artifacts.json lists every "
                     "artifact file (path, sha256, bytes, kept) either way; an interrupted run removes nothing more")
          ->check(CLI::IsMember({"all", "failed", "none"}))
          ->capture_default_str();
      sub.add_option("--scratch", a->scratch,
                     "Write converted models and shared runs under DIR/apr-qa-<hash of -o>/ instead of <output>: on a "
                     "tmpfs (e.g. /dev/shm) the short-lived artifacts are never written back to the disk (seed playbook: "
                     "about 15 % faster). If DIR has less room than the run may write (one input-sized file per "
                     "conversion; on a tmpfs also at most the memory available), a warning says so and <output> is "
                     "used. Kept artifacts (--keep-artifacts) are moved into <output> at the end and the folder is "
                     "removed; evidence.json names the paths artifacts were measured at, artifacts.json where they are "
                     "now. An interrupted run leaves them there for --resume (same --scratch). Not with --shard; "
                     "unused with --keep-artifacts all")
          ->check(CLI::ExistingDirectory);
      sub.add_option("--failure-policy", a->policy,
                     "stop-on-first | stop-on-p0 (stop after a failing P0 gate) | collect-all | fail-fast "
                     "(default: the playbook's failure_policy, else stop-on-p0). Nodes not run are Skipped with the reason");
      sub.add_flag("--strict", a->o.strict, "Unknown playbook keys are errors instead of warnings");
      sub.add_option("--timeout", a->timeout, "Per-node timeout in ms, at least 1 (default: test_matrix.timeout_ms, else 60000); the worker is killed and the node is Timeout")
          ->check(CLI::Range(1LL, 86400000LL));
      sub.add_option("--gates-dir", a->o.gates_dir, "Use the gate catalogue in this directory instead of the built-in one");
      sub.add_flag("-v,--verbose", a->verbose, "Also log node starts (and, on a terminal, every finished node)");
      sub.add_flag("-q,--quiet", a->quiet,
                   "No progress: only the final summary (failed gates with the measurements that violated their "
                   "thresholds, the verdict line, the evidence and report paths)");
      sub.add_option("--log-format", a->log_format,
                     "Log lines on stderr (warnings, node events, notes; not the summary on stdout): text, or json: one "
                     "JSON object per line with time, level, message and fields (node, gates, outcome, ...). Levels "
                     "follow -q (warnings and errors) and -v (also node starts and notes)")
          ->check(CLI::IsMember({"text", "json"}))
          ->capture_default_str();
      sub.add_option("--worker", a->worker, "Testing: run nodes with this executable instead of `apr-qa __node`")->group("");
      sub.footer(
          "Logit-comparing gates (conversion, round trip, commutativity, golden rule, rosetta) and cpu run/chat matrix\n"
          "cells share one run per artifact and prompt (DAG nodes of kind infer, recomputed in every run). A conversion\n"
          "or shared run whose input bytes and parameters equal a finished node's reuses its files (hard links) instead\n"
          "of computing them again (never IDEM replicas or gate-carrying nodes). Environment: APR_QA_NO_SHARED_RUNS=1\n"
          "plans no shared run: every gate and cell runs its models itself (same measurements, more work; for A/B\n"
          "benchmarks, see bench/run_seed.sh).");
      return [a]() {
        auto& o = a->o;
        if (!a->model_path.empty()) o.model_path = a->model_path;
        if (!a->dot.empty()) o.dot_file = a->dot;
        if (!a->shard.empty()) o.shard = a->shard;
        if (!a->scratch.empty()) o.scratch = a->scratch;
        if (!a->policy.empty()) o.failure_policy = a->policy;
        if (a->timeout > 0) o.timeout_ms = a->timeout;
        if (!a->worker.empty()) o.worker = {a->worker};
        o.log_format = a->log_format;
        o.verbosity = a->quiet ? -1 : (a->verbose ? 1 : 0);
        // For the whole command, so that an error ending it is a JSON line too (main.cpp).
        apr::log::configure(o.verbosity, o.log_format == "json" ? apr::log::Format::json : apr::log::Format::text);
        o.has_cuda = apr::engine::gpu_device().available;  // else gpu cells are Skipped "no CUDA device"
        return apr::qa::run_playbook(o);
      };
    }});

}  // namespace
