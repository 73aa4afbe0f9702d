// apr-qa merge OUT SHARD_DIR…: one evidence.json, mqs.json and reports from the shard folders of a
// sharded run (`run --shard K/N`); qa/merge.hpp, docs/scale-out.md.
#include "command.hpp"
#include "core/output_dir.hpp"
#include "qa/merge.hpp"

namespace {

struct MergeArgs {
  std::string out;
  std::vector<std::string> shards;
  bool quiet = false;
};

const bool registered = apr::cli::register_command({
    "merge",
    "Merge the shard folders of `run --shard K/N` into one evidence.json, mqs.json and reports",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto a = std::make_shared<MergeArgs>();
      sub.add_option("out", a->out, "Output folder: evidence.json, mqs.json, junit.xml, summary.md, report.html, merge.json")
          ->required();
      sub.add_option("shards", a->shards, "The shard folders (each run's -o, holding shard.json and evidence.jsonl)")->required();
      sub.add_flag("-q,--quiet", a->quiet, "Print nothing");
      sub.footer(
          "Every node of the plan is taken, in plan order, from the journal of the shard that owns it. A missing shard\n"
          "folder or a journal lacking nodes makes the record incomplete: merge.json \"complete\": false lists the\n"
          "nodes and gates, those gates are Error entries, exit 3; `apr-qa run ... --shard K/N -o DIR --resume`\n"
          "completes the shard. Exit: 0 complete and passed, 1 complete with a failed gate, 2 usage (shards of\n"
          "different plans, a shard twice), 3 incomplete.");
      return [a]() {
        apr::check_output_dir(a->out, "OUT", true);  // a file: exit 2; cannot be created or written: exit 3
        apr::qa::MergeOptions o;
        o.out_dir = a->out;
        for (const auto& s : a->shards) o.shard_dirs.emplace_back(s);
        o.print_summary = !a->quiet;
        return apr::qa::merge_shards(o).exit_code;
      };
    }});

}  // namespace
