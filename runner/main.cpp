// apr-qa: qualification runner for LLM model files. Thin CLI: parse, dispatch, report errors.
#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>

#include "command.hpp"
#include "core/printable.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/suggest.hpp"
#include "core/switches.hpp"
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

// The only place that reads apr-qa's environment switches (core/switches.hpp); `run` records them.
static void read_switches() {
  auto on = [](const char* name) {
    const char* v = std::getenv(name);
    return v && *v && std::strcmp(v, "0") != 0;
  };
  auto& s = apr::switches();
  s.engine_no_avx512 = std::getenv("APR_ENGINE_NO_AVX512") != nullptr;  // set at all = AVX2 kernels, as before
  s.engine_no_amx = on("APR_ENGINE_NO_AMX");
  s.no_copy_file_range = on("APR_QA_NO_COPY_FILE_RANGE");
  s.no_shared_runs = on("APR_QA_NO_SHARED_RUNS");
  s.no_drafts = on("APR_QA_NO_DRAFTS");
  if (const char* v = std::getenv("APR_QA_SERVE_EXE"); v && *v) s.serve_exe = v;
  if (const char* v = std::getenv("APR_QA_PYTHON"); v && *v) s.python = v;
  if (const char* v = std::getenv("APR_QA_FAULT"); v && *v) {
    const auto& names = apr::planted_fault_names();
    if (std::find(names.begin(), names.end(), std::string(v)) == names.end()) {
      std::string list;
      for (const auto& n : names) list += (list.empty() ? "" : ", ") + n;
      throw apr::validation_error(std::string("APR_QA_FAULT (a test-only hook): expected one of ") + list + "; found '" +
                                  std::string(v).substr(0, 40) + "'");
    }
    s.fault = v;
  }
  if (const char* v = std::getenv("APR_QA_TEST_FREE_BYTES"); v && *v) {
    char* end = nullptr;
    errno = 0;
    unsigned long long x = std::strtoull(v, &end, 10);
    if (*end != '\0' || errno != 0 || *v == '-')
      throw apr::validation_error(std::string("APR_QA_TEST_FREE_BYTES: expected a number of bytes, found '") +
                                  std::string(v).substr(0, 40) + "'");
    s.test_free_bytes = x;
  }
  if (const char* v = std::getenv("APR_QA_SERVE_HEALTH_TIMEOUT_MS"); v && *v) {
    char* end = nullptr;
    long long x = std::strtoll(v, &end, 10);
    if (*end != '\0' || x <= 0)
      throw apr::validation_error(std::string("APR_QA_SERVE_HEALTH_TIMEOUT_MS: expected a positive integer (ms), found '") +
                                  std::string(v).substr(0, 40) + "'");
    s.serve_health_timeout_ms = x;
  }
}

}  // namespace apr::cli

int main(int argc, char** argv) {
  using namespace apr::cli;
  try {
    read_switches();
  } catch (const apr::Error& e) {
    std::fprintf(stderr, "apr-qa: %s\n", e.what());
    return kExitUsage;
  }
  CLI::App app{
      "apr-qa: qualification runner for LLM model files (GGUF, SafeTensors, APR).\n"
      "Converts between formats losslessly, runs an embedded inference engine, and turns\n"
      "playbooks of falsifiable gates into evidence.json, an MQS score and reports.",
      "apr-qa"};  // the program name in --help, never the build path from argv[0]
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

  // An unknown command is named as such (CLI11 would say "A subcommand is required").
  if (argc > 1 && argv[1][0] != '-') {
    std::vector<std::string> names;
    for (const auto& spec : specs) names.push_back(spec.name);
    if (std::find(names.begin(), names.end(), argv[1]) == names.end()) {
      auto near = apr::closest_name(argv[1], names);
      std::string list;
      for (const auto& n : names)
        if (n.rfind("__", 0) != 0) list += (list.empty() ? "" : ", ") + n;
      std::fprintf(stderr, "apr-qa: unknown command '%s'%s (commands: %s; see apr-qa --help)\n", apr::printable(argv[1]).c_str(),
                   near.empty() ? "" : ("; did you mean '" + near + "'?").c_str(), list.c_str());
      return kExitUsage;
    }
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
        if (apr::log::format() == apr::log::Format::json)  // --log-format json: every stderr line is JSON
          apr::log::error(std::string("apr-qa ") + sub->get_name() + ": error: " + e.what(),
                          {{"category", apr::to_string(e.category())}, {"path", e.path()}});
        else
          std::fprintf(stderr, "apr-qa %s: error: %s\n", sub->get_name().c_str(), e.what());
        return exit_code_for(e);
      } catch (const std::filesystem::filesystem_error& e) {
        // The file system refused (no permission, not a directory, disk full): an environment error.
        std::fprintf(stderr, "apr-qa %s: error: %s: %s\n", sub->get_name().c_str(), apr::printable(e.path1().string(), 1024).c_str(),
                     e.code().message().c_str());
        return kExitEnvironment;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "apr-qa %s: internal error: %s\n", sub->get_name().c_str(), apr::printable(e.what(), 4096).c_str());
        return 4;
      }
    }
  }
  return kExitUsage;
}
