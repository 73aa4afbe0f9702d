// apr-qa __node (hidden): the worker process of one DAG node, started by `apr-qa run`.
#include <cstdio>
#include <filesystem>

#include "command.hpp"
#include "core/error.hpp"
#include "core/printable.hpp"
#include "qa/worker.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "__node",
    "",
    [](CLI::App& sub) -> apr::cli::RunFn {
      sub.group("");  // hidden from --help
      auto spec = std::make_shared<std::string>();
      auto result = std::make_shared<std::string>();
      sub.add_option("--spec", *spec, "Node spec JSON written by the executor")->required();
      sub.add_option("--result", *result, "Where to write the node's result JSON")->required();
      return [spec, result]() {
        // Disk full, no permission, read-only file system: the machine refused, not the model.
        // Exit kWorkerEnvironmentExit so the executor stops the run instead of scoring the node.
        try {
          return apr::qa::run_node(*spec, *result);
        } catch (const apr::Error& e) {
          if (!apr::is_environment_error(e)) throw;
          std::fprintf(stderr, "apr-qa __node: error: %s\n", e.what());
          return apr::qa::kWorkerEnvironmentExit;
        } catch (const std::filesystem::filesystem_error& e) {
          if (!apr::is_environment_errno(e.code().value())) throw;
          std::fprintf(stderr, "apr-qa __node: error: %s: %s\n", apr::printable(e.path1().string(), 1024).c_str(),
                       e.code().message().c_str());
          return apr::qa::kWorkerEnvironmentExit;
        }
      };
    }});

}  // namespace
