// apr-qa report EVIDENCE -o DIR: JUnit XML, Markdown summary, HTML report and mqs.json.
#include <cstdio>

#include "command.hpp"
#include "core/output_dir.hpp"
#include "qa/evidence.hpp"
#include "qa/report.hpp"
#include "qa/run.hpp"
#include "qa/verdict.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "report",
    "Write junit.xml, summary.md, report.html (self-contained) and mqs.json from evidence.json",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto file = std::make_shared<std::string>();
      auto out = std::make_shared<std::string>("report");
      auto model = std::make_shared<std::string>();
      auto tier = std::make_shared<std::string>();
      auto gates_dir = std::make_shared<std::string>();
      sub.add_option("evidence", *file, "evidence.json (a JSON array of entries)")->required();
      sub.add_option("-o,--output", *out, "Directory to write the reports into")->capture_default_str();
      sub.add_option("-m,--model", *model, "Model id (default: org/name of the first entry)");
      sub.add_option("--tier", *tier,
                     "The playbook's tier, shown in the verdict; for the anchor's certification in anchor_mqs, mvp selects "
                     "the MVP thresholds, anything else FULL");
      sub.add_option("--gates-dir", *gates_dir,
                     "Gate catalogue giving each gate's severity (P0 failures block certification; default: the built-in one)");
      return [file, out, model, tier, gates_dir]() {
        apr::qa::ReportInput ri;
        ri.evidence = apr::qa::read_evidence_file(*file);
        ri.model_id = model->empty() ? apr::qa::model_id_of(ri.evidence) : *model;
        auto cat = apr::qa::load_catalogue(gates_dir->empty() ? std::nullopt : std::optional<std::string>(*gates_dir));
        ri.verdict = apr::qa::compute_verdict(ri.evidence, *tier, [&cat](const std::string& g) {
          const auto* d = cat.find(g);
          return d ? d->severity : std::string();
        });
        ri.mqs = apr::qa::compute_mqs(ri.model_id, ri.evidence);
        ri.cert = apr::qa::certify(ri.mqs, *tier);
        apr::check_output_dir(*out, "-o/--output", true);  // a file: exit 2; not writable: exit 3
        apr::qa::write_reports(*out, ri);
        std::printf("%s\nwrote %s/{junit.xml,summary.md,report.html,mqs.json}\n", apr::qa::headline(ri.verdict).c_str(), out->c_str());
        return apr::cli::kExitOk;
      };
    }});

}  // namespace
