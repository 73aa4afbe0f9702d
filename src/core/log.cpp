#include "core/log.hpp"

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <memory>
#include <mutex>

namespace apr::log {

namespace {

struct State {
  std::shared_ptr<spdlog::logger> logger;
  Format format = Format::text;
  int verbosity = 0;
};

State& state() {
  static State s = [] {
    State st;
    st.logger = std::make_shared<spdlog::logger>("apr-qa", std::make_shared<spdlog::sinks::stderr_sink_mt>());
    st.logger->set_pattern("%v");
    st.logger->set_level(spdlog::level::info);
    st.logger->flush_on(spdlog::level::trace);  // every line reaches stderr at once (workers, pipes)
    return st;
  }();
  return s;
}

spdlog::level::level_enum to_spd(Level l) {
  switch (l) {
    case Level::debug: return spdlog::level::debug;
    case Level::info: return spdlog::level::info;
    case Level::warn: return spdlog::level::warn;
    case Level::error: return spdlog::level::err;
  }
  return spdlog::level::info;
}

const char* level_name(Level l) {
  switch (l) {
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warn: return "warning";
    case Level::error: return "error";
  }
  return "info";
}

}  // namespace

void configure(int verbosity, Format f) {
  auto& s = state();
  s.format = f;
  s.verbosity = verbosity;
  s.logger->set_level(verbosity < 0 ? spdlog::level::warn : verbosity > 0 ? spdlog::level::debug : spdlog::level::info);
  // json: spdlog writes the time (local time with its UTC offset, milliseconds); the rest of the
  // object is rendered by write() as the message.
  s.logger->set_pattern(f == Format::json ? R"({"time":"%Y-%m-%dT%H:%M:%S.%e%z",%v})" : "%v");
}

Format format() { return state().format; }
int verbosity() { return state().verbosity; }

bool enabled(Level l) { return state().logger->should_log(to_spd(l)); }

void write(Level l, std::string_view message, const nlohmann::json& fields) {
  auto& s = state();
  if (!s.logger->should_log(to_spd(l))) return;
  std::string line;
  if (s.format == Format::json) {
    // Members after "time": level, message, then the fields (invalid UTF-8 replaced, not thrown).
    nlohmann::json head{{"level", level_name(l)}, {"message", std::string(message)}};
    line = head.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    line = line.substr(1, line.size() - 2);  // drop the braces: the pattern supplies them
    if (fields.is_object())
      for (const auto& [k, v] : fields.items()) {
        if (k == "time" || k == "level" || k == "message") continue;
        line += "," + nlohmann::json(k).dump() + ":" + v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      }
  } else {
    line = l == Level::warn ? "warning: " : l == Level::error ? "error: " : "";
    line += message;
  }
  s.logger->log(to_spd(l), "{}", line);
}

}  // namespace apr::log
