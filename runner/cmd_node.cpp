// apr-qa __node (hidden): the worker process of one DAG node, started by `apr-qa run`.
#include "command.hpp"
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
      return [spec, result]() { return apr::qa::run_node(*spec, *result); };
    }});

}  // namespace
