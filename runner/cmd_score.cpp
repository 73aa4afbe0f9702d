// apr-qa score EVIDENCE: the verdict of an evidence.json (docs/scoring.md), plus the anchor's MQS
// in --json (mqs.json layout: {model_id, verdict, anchor_mqs}).
#include <cstdio>

#include "command.hpp"
#include "qa/evidence.hpp"
#include "qa/mqs.hpp"
#include "qa/run.hpp"
#include "qa/verdict.hpp"

namespace {

struct ScoreArgs {
  std::string file, model, tier, gates_dir;
  bool json = false;
};

const bool registered = apr::cli::register_command({
    "score",
    "The verdict of evidence.json: status, score over the measured categories, grade, coverage (docs/scoring.md)",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto a = std::make_shared<ScoreArgs>();
      sub.add_option("evidence", a->file, "evidence.json (a JSON array of entries)")->required();
      sub.add_option("-m,--model", a->model, "Model id for mqs.json (default: org/name of the first entry)");
      sub.add_option("--tier", a->tier,
                     "The playbook's tier, shown in the verdict (evidence does not record it); for the anchor's "
                     "certification in anchor_mqs, mvp selects the MVP thresholds, anything else FULL");
      sub.add_option("--gates-dir", a->gates_dir,
                     "Gate catalogue giving each gate's severity (P0 failures block certification; default: the built-in one)");
      sub.add_flag("--json", a->json, "Print mqs.json ({model_id, verdict, anchor_mqs}) instead of text");
      return [a]() {
        auto ev = apr::qa::read_evidence_file(a->file);
        std::string id = a->model.empty() ? apr::qa::model_id_of(ev) : a->model;
        auto cat = apr::qa::load_catalogue(a->gates_dir.empty() ? std::nullopt : std::optional<std::string>(a->gates_dir));
        auto v = apr::qa::compute_verdict(ev, a->tier, [&cat](const std::string& g) {
          const auto* d = cat.find(g);
          return d ? d->severity : std::string();
        });
        auto m = apr::qa::compute_mqs(id, ev);
        auto c = apr::qa::certify(m, a->tier);
        if (a->json) {
          std::printf("%s\n", apr::qa::mqs_file_json(id, v, m, c).dump(2).c_str());
          return apr::cli::kExitOk;
        }
        std::printf("%s: %s\n", id.c_str(), apr::qa::headline(v).c_str());
        for (const auto& cs : v.categories) {
          if (cs.measured())
            std::printf("  %s %d/%d (%d/%d passed, %d skipped)\n", cs.name.c_str(), cs.score, cs.max, cs.passed, cs.counted,
                        cs.skipped);
          else
            std::printf("  %s not measured (%d skipped)\n", cs.name.c_str(), cs.skipped);
        }
        for (const auto& l : apr::qa::failure_lines(ev, 20)) std::printf("  %s\n", l.c_str());
        return apr::cli::kExitOk;
      };
    }});

}  // namespace
