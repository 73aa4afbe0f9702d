// apr-qa validate PLAYBOOK...: load each playbook and say what it expands to.
#include <cstdio>
#include <map>

#include "command.hpp"
#include "core/printable.hpp"
#include "qa/plan.hpp"
#include "qa/playbook.hpp"
#include "qa/run.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "validate",
    "Check playbooks and report the scenarios and gates each expands to, and every key's effect",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto files = std::make_shared<std::vector<std::string>>();
      auto strict = std::make_shared<bool>(false);
      auto model = std::make_shared<std::string>();
      auto keys = std::make_shared<bool>(false);
      auto gates_dir = std::make_shared<std::string>();
      sub.add_option("playbooks", *files, "Playbook YAML files")->required();
      sub.add_flag("--strict", *strict, "Unknown keys are errors (as schemas/playbook.schema.json states)");
      sub.add_option("--model-path", *model, "Expand as `run --model-path` would (a directory adds the conversion suite)");
      sub.add_flag("--keys", *keys, "List every accepted key with its effect (ignored keys are always listed)");
      sub.add_option("--gates-dir", *gates_dir, "Plan with the gate catalogue in this directory instead of the built-in one");
      return [files, strict, model, keys, gates_dir]() {
        auto cat = apr::qa::load_catalogue(gates_dir->empty() ? std::nullopt : std::optional<std::string>(*gates_dir));
        int rc = apr::cli::kExitOk;
        for (const auto& f : *files) {
          apr::qa::LoadOptions lo;
          lo.strict = *strict;
          auto pb = apr::qa::load_playbook(f, lo);
          if (!pb) {  // a missing file is an environment error (3), as in `run`; a bad playbook 2
            std::fprintf(stderr, "apr-qa validate: error: %s\n", pb.error().what());
            rc = std::max(rc, apr::cli::exit_code_for(pb.error()));
            continue;
          }
          apr::qa::PlanOptions po;
          po.dry_run = true;
          po.out_dir = "output";
          if (!model->empty()) po.model_path = *model;
          auto plan = apr::qa::build_plan(*pb, cat, po);
          if (!plan) {
            std::fprintf(stderr, "apr-qa validate: error: %s\n", plan.error().what());
            rc = std::max(rc, apr::cli::exit_code_for(plan.error()));
            continue;
          }
          std::map<std::string, int> per_gate;
          std::size_t checks = 0, skipped = 0;
          for (const auto& n : plan->nodes) {
            if (n.kind != apr::qa::NodeKind::check) continue;
            ++checks;
            skipped += n.skip_reason ? 1 : 0;
            for (const auto& g : n.gates) per_gate[g]++;
          }
          std::printf("%s: OK — %s v%s%s, tier %s\n", f.c_str(), pb->name.c_str(), pb->version.c_str(),
                      pb->is_template ? " (template)" : "", pb->tier.empty() ? "-" : pb->tier.c_str());
          std::printf("  %zu check nodes (%zu Skipped as planned: no CUDA device or disabled), %zu gates, input %s\n", checks,
                      skipped, per_gate.size(), plan->input_mode.c_str());
          for (const auto& [g, n] : per_gate) std::printf("    %-24s x%d\n", g.c_str(), n);
          for (const auto& k : pb->keys)
            if (k.ignored || *keys)
              std::printf("  %s %s (line %d): %s\n", k.ignored ? "ignored" : "key    ", apr::printable(k.key).c_str(), k.line,
                          apr::printable(k.note, 4096).c_str());
          for (const auto& w : pb->warnings) std::printf("  warning: %s\n", apr::printable(w, 4096).c_str());
          // Catalogue gates this playbook does not reach, grouped by the reason.
          std::map<std::string, std::string> unplanned;
          for (const auto& [g, why] : plan->unplanned) {
            std::string& ids = unplanned[why];
            ids += (ids.empty() ? "" : ", ") + g;
          }
          for (const auto& [why, ids] : unplanned) std::printf("  not planned (%s): %s\n", why.c_str(), ids.c_str());
          for (const auto& w : plan->warnings) std::printf("  warning: %s\n", apr::printable(w, 4096).c_str());
        }
        return rc;
      };
    }});

}  // namespace
