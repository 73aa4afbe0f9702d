// apr-qa CLI: command registry. Each runner/cmd_<name>.cpp registers one subcommand with a
// static initializer; main.cpp knows none of them. A command's setup adds its options to the
// CLI11 subcommand and returns the function to run after parsing (returning the exit code).
#pragma once

#include <functional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace apr {
class Error;
}

namespace apr::cli {

// Exit codes shared by every command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;       // a check/gate/diff failed
inline constexpr int kExitUsage = 2;        // bad input: usage, playbook, malformed model file
inline constexpr int kExitEnvironment = 3;  // missing file/model/dependency
inline constexpr int kExitInterrupted = 130;

using RunFn = std::function<int()>;

struct CommandSpec {
  std::string name;
  std::string description;
  // Adds options/positionals to `sub` and returns what to run when this subcommand is chosen.
  std::function<RunFn(CLI::App& sub)> setup;
};

bool register_command(CommandSpec spec);
// The exit code of an error that ends a command (io 3, parse/validation/unsupported 2, internal 4).
int exit_code_for(const apr::Error& e);
const std::vector<CommandSpec>& registered_commands();

}  // namespace apr::cli
