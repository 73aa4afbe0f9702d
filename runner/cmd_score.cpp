// apr-qa score EVIDENCE: MQS and certification status of an evidence.json.
#include <cstdio>

#include "command.hpp"
#include "qa/evidence.hpp"
#include "qa/mqs.hpp"
#include "qa/run.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "score",
    "Compute the MQS (anchor's formula; Skipped is not a pass) and certification status of evidence.json",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto file = std::make_shared<std::string>();
      auto model = std::make_shared<std::string>();
      auto tier = std::make_shared<std::string>();
      auto json = std::make_shared<bool>(false);
      sub.add_option("evidence", *file, "evidence.json (a JSON array of entries)")->required();
      sub.add_option("-m,--model", *model, "Model id for mqs.json (default: org/name of the first entry)");
      sub.add_option("--tier", *tier, "Certification tier: mvp uses the MVP thresholds, anything else FULL");
      sub.add_flag("--json", *json, "Print mqs.json (with a certification object) instead of text");
      return [file, model, tier, json]() {
        auto ev = apr::qa::read_evidence_file(*file);
        std::string id = model->empty() ? apr::qa::model_id_of(ev) : *model;
        auto m = apr::qa::compute_mqs(id, ev);
        auto c = apr::qa::certify(m, *tier);
        if (*json) {
          auto j = apr::qa::to_json(m);
          j["certification"] = apr::qa::to_json(c);
          std::printf("%s\n", j.dump(2).c_str());
        } else {
          std::printf("%s: MQS %d/1000, normalized %.1f, grade %s, gateways %s\n", id.c_str(), m.raw_score, m.normalized_score,
                      m.grade.c_str(), m.gateways_passed ? "passed" : "FAILED");
          for (const auto& cs : m.categories)
            std::printf("  %s %d/%d (%d/%d passed, %d skipped)\n", cs.name.c_str(), cs.score, cs.max, cs.passed, cs.total, cs.skipped);
          for (const auto& p : m.penalties) std::printf("  penalty %s -%d: %s\n", p.code.c_str(), p.points, p.description.c_str());
          std::printf("certification: %s (%s tier, score %d, grade %s, pass rate %.1f%%)\n", c.status.c_str(), c.tier.c_str(), c.score,
                      c.grade.c_str(), c.pass_rate);
        }
        return apr::cli::kExitOk;
      };
    }});

}  // namespace
