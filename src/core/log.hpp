// apr-qa core: the runner's log lines (warnings, node events, notes), on spdlog.
//
// One process-wide logger writing to stderr. Its level follows the command's -q/-v
// (configure(verbosity): -1 warnings and errors only, 0 also info, 1 also debug) and its format
// --log-format: text (warn "warning: MESSAGE", error "error: MESSAGE", info/debug "MESSAGE") or
// json (one object per line: {"time": ISO 8601 with ms and UTC offset, "level": "debug"|"info"|
// "warning"|"error", "message": MESSAGE, FIELD: VALUE...}). Fields are extra structured data
// (node, gates, outcome, ...); text mode prints only the message. A command's primary output (a
// summary, a verdict, a table) is not a log line: it goes to stdout as before.
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace apr::log {

enum class Format { text, json };
enum class Level { debug, info, warn, error };

// Sets the level from -q/-v (verbosity -1, 0, 1) and the format. Callable more than once.
void configure(int verbosity, Format format);
Format format();
int verbosity();
bool enabled(Level level);
// configure() for a scope (e.g. one run inside `certify`); the previous settings come back after.
class ScopedConfig {
 public:
  ScopedConfig(int verbosity, Format format) : verbosity_(log::verbosity()), format_(log::format()) {
    configure(verbosity, format);
  }
  ~ScopedConfig() { configure(verbosity_, format_); }
  ScopedConfig(const ScopedConfig&) = delete;
  ScopedConfig& operator=(const ScopedConfig&) = delete;

 private:
  int verbosity_;
  Format format_;
};

// `fields` must be a JSON object (or null); its members follow "message" in json lines.
void write(Level level, std::string_view message, const nlohmann::json& fields = nullptr);
inline void debug(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::debug, m, f); }
inline void info(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::info, m, f); }
inline void warn(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::warn, m, f); }
inline void error(std::string_view m, const nlohmann::json& f = nullptr) { write(Level::error, m, f); }

}  // namespace apr::log
