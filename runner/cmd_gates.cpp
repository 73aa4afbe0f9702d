// apr-qa gates: list the gate catalogue (text, JSON or the Markdown of docs/gates.md).
#include <cstdio>

#include "command.hpp"
#include "qa/check_kinds.hpp"
#include "qa/gate.hpp"
#include "qa/run.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "gates",
    "List the gate catalogue: id, severity, MQS category, check kind, criterion",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto json = std::make_shared<bool>(false);
      auto md = std::make_shared<bool>(false);
      auto dir = std::make_shared<std::string>();
      auto kinds = std::make_shared<bool>(false);
      sub.add_flag("--json", *json, "Print the catalogue as a JSON array (every field of every gate)");
      sub.add_flag("--markdown", *md, "Print the catalogue as Markdown (this is docs/gates.md)");
      sub.add_flag("--kinds", *kinds, "List the check kinds a gate can use (kind, what it measures, the inputs it takes)");
      sub.add_option("--gates-dir", *dir, "Read gates/*.yaml from this directory instead of the built-in catalogue");
      return [json, md, dir, kinds]() {
        if (*kinds) {
          for (const auto& k : apr::qa::check_kinds())
            std::printf("%-26s %-12s %s%s\n", k.name, k.shape, k.what, k.shared_runs ? " (shared runs)" : "");
          return apr::cli::kExitOk;
        }
        auto cat = apr::qa::load_catalogue(dir->empty() ? std::nullopt : std::optional<std::string>(*dir));
        if (*json) {
          nlohmann::json arr = nlohmann::json::array();
          for (const auto& g : cat.gates()) arr.push_back(apr::qa::to_json(g));
          std::printf("%s\n", arr.dump(2).c_str());
        } else if (*md) {
          std::fputs(cat.markdown().c_str(), stdout);
        } else {
          for (const auto& g : cat.gates())
            std::printf("%-24s %s %s %-24s %s\n", g.id.c_str(), g.severity.c_str(), g.category.c_str(),
                        g.kind.c_str(), g.title.c_str());
          std::printf("%zu gates\n", cat.gates().size());
        }
        return apr::cli::kExitOk;
      };
    }});

}  // namespace
