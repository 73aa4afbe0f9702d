// apr-qa: qualification runner for LLM model files. Thin CLI: parse, dispatch, report errors.
#include <algorithm>
#include <cstdio>
#include <map>

#include "command.hpp"
#include "core/error.hpp"
#include "version.hpp"

namespace apr::cli {

std::vector<CommandSpec>& mutable_registry() {
  static std::vector<CommandSpec> r;
  return r;
}
bool register_command(CommandSpec spec) {
  mutable_registry().push_back(std::move(spec));
  return true;
}
const std::vector<CommandSpec>& registered_commands() { return mutable_registry(); }

int exit_code_for(const apr::Error& e) {
  switch (e.category()) {
    case ErrorCategory::io: return kExitEnvironment;
    case ErrorCategory::parse:
    case ErrorCategory::validation:
    case ErrorCategory::unsupported: return kExitUsage;
    case ErrorCategory::internal: return 4;
  }
  return 4;
}

}  // namespace apr::cli

int main(int argc, char** argv) {
  using namespace apr::cli;
  CLI::App app{
      "apr-qa: qualification runner for LLM model files (GGUF, SafeTensors, APR).\n"
      "Converts between formats losslessly, runs an embedded inference engine, and turns\n"
      "playbooks of falsifiable gates into evidence.json, an MQS score and reports."};
  app.set_version_flag("--version", std::string("apr-qa ") + APR_QA_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  auto specs = registered_commands();
  std::sort(specs.begin(), specs.end(), [](auto& a, auto& b) { return a.name < b.name; });
  std::map<CLI::App*, RunFn> runs;
  for (auto& spec : specs) {
    CLI::App* sub = app.add_subcommand(spec.name, spec.description);
    runs[sub] = spec.setup(*sub);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : kExitUsage;
  }

  for (auto& [sub, run] : runs) {
    if (sub->parsed()) {
      try {
        return run();
      } catch (const apr::Error& e) {
        std::fprintf(stderr, "apr-qa %s: error: %s\n", sub->get_name().c_str(), e.what());
        return exit_code_for(e);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "apr-qa %s: internal error: %s\n", sub->get_name().c_str(), e.what());
        return 4;
      }
    }
  }
  return kExitUsage;
}
