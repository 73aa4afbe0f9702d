#include "qa/evidence.hpp"

#include "engine/cuda/gpu_forward.hpp"

#include <cstring>

#include "core/build_info.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/file_read.hpp"

namespace apr::qa {

using nlohmann::json;

json to_json(const ArtifactRef& a) {
  return {{"path", a.path}, {"format", a.format}, {"sha256", a.sha256}, {"bytes", a.bytes}};
}
ArtifactRef artifact_from_json(const json& j) {
  return {j.at("path").get<std::string>(), j.at("format").get<std::string>(),
          j.at("sha256").get<std::string>(), j.at("bytes").get<std::uint64_t>()};
}

json file_digest_to_json(const FileDigest& d) {
  return {{"path", d.path},         {"sha256", d.sha256},     {"bytes", d.bytes},         {"dev", d.dev},
          {"ino", d.ino},           {"mtime_ns", d.mtime_ns}, {"ctime_ns", d.ctime_ns},   {"hashed_ns", d.hashed_ns},
          {"stable", d.stable}};
}

FileDigest file_digest_from_json(const json& j) {
  FileDigest d;
  try {
    d.path = j.at("path").get<std::string>();
    d.sha256 = j.at("sha256").get<std::string>();
    d.bytes = j.at("bytes").get<std::uint64_t>();
    d.dev = j.at("dev").get<std::uint64_t>();
    d.ino = j.at("ino").get<std::uint64_t>();
    d.mtime_ns = j.at("mtime_ns").get<std::int64_t>();
    d.ctime_ns = j.at("ctime_ns").get<std::int64_t>();
    d.hashed_ns = j.at("hashed_ns").get<std::int64_t>();
    d.stable = j.at("stable").get<bool>();
  } catch (const json::exception&) {
    d = FileDigest{};  // stable == false: never current
  }
  return d;
}

HostInfo HostInfo::current() {
  HostInfo h;
  char buf[256] = {0};
  if (gethostname(buf, sizeof buf - 1) == 0) h.hostname = buf;
  h.apr_version = build_id();
  static const engine::gpu::DeviceInfo gpu = engine::gpu_device();
  if (gpu.available) h.gpu = gpu.name;
  std::ifstream cpuinfo("/proc/cpuinfo");
  for (std::string line; std::getline(cpuinfo, line);) {
    if (line.rfind("model name", 0) == 0) {
      auto p = line.find(':');
      if (p != std::string::npos) h.cpu = line.substr(p + 2);
      break;
    }
  }
  return h;
}

template <typename T>
static json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json to_json(const Evidence& e) {
  const auto& s = e.scenario;
  json scen{{"id", s.id},
            {"model", {{"org", s.org}, {"name", s.name}, {"variant", nullptr}}},
            {"modality", s.modality},
            {"backend", s.backend},
            {"format", s.format},
            {"prompt", s.prompt},
            {"temperature", s.temperature},
            {"max_tokens", s.max_tokens},
            {"seed", s.seed},
            {"trace_level", s.trace_level},
            {"oracle_type", s.oracle_type}};
  json metrics{{"tokens_per_second", opt(e.metrics.tokens_per_second)},
               {"time_to_first_token_ms", opt(e.metrics.time_to_first_token_ms)},
               {"total_tokens", opt(e.metrics.total_tokens)},
               {"memory_peak_mb", opt(e.metrics.memory_peak_mb)},
               {"duration_ms", e.metrics.duration_ms}};
  json host{{"hostname", e.host.hostname}, {"os", e.host.os},     {"cpu", e.host.cpu},
            {"gpu", opt(e.host.gpu)},      {"apr_version", e.host.apr_version}};
  json ms = json::array(), arts = json::array();
  for (const auto& m : e.measurements) ms.push_back(to_json(m));
  for (const auto& a : e.artifacts) arts.push_back(to_json(a));
  json j{{"id", e.id},
              {"gate_id", e.gate_id},
              {"scenario", scen},
              {"outcome", to_string(e.outcome)},
              {"reason", e.reason},
              {"output", e.output},
              {"stderr", opt(e.stderr_text)},
              {"exit_code", opt(e.exit_code)},
              {"metrics", metrics},
              {"timestamp", e.timestamp},
              {"host", host},
              {"metadata", e.metadata},
              {"measurements", ms},
              {"artifacts", arts},
              {"severity", e.severity},
              {"category", e.category},
              {"node", e.node},
              {"provenance", e.provenance}};
  if (!e.details.empty()) j["details"] = e.details;
  return j;
}

template <typename T>
static std::optional<T> get_opt(const json& j, const char* k) {
  if (!j.contains(k) || j[k].is_null()) return std::nullopt;
  return j[k].get<T>();
}

Evidence evidence_from_json(const json& j) {
  try {
    Evidence e;
    e.id = j.at("id").get<std::string>();
    e.gate_id = j.at("gate_id").get<std::string>();
    const auto& s = j.at("scenario");
    e.scenario.id = s.at("id").get<std::string>();
    e.scenario.org = s.at("model").at("org").get<std::string>();
    e.scenario.name = s.at("model").at("name").get<std::string>();
    e.scenario.modality = s.at("modality").get<std::string>();
    e.scenario.backend = s.at("backend").get<std::string>();
    e.scenario.format = s.at("format").get<std::string>();
    e.scenario.prompt = s.at("prompt").get<std::string>();
    e.scenario.temperature = s.value("temperature", 0.0);
    e.scenario.max_tokens = s.value("max_tokens", 32);
    e.scenario.seed = s.value("seed", std::uint64_t{0});
    e.scenario.trace_level = s.value("trace_level", "none");
    e.scenario.oracle_type = s.value("oracle_type", "garbage");
    auto o = outcome_from_string(j.at("outcome").get<std::string>());
    if (!o) throw validation_error("unknown outcome '" + j.at("outcome").get<std::string>() + "'");
    e.outcome = *o;
    e.reason = j.value("reason", "");
    e.output = j.value("output", "");
    e.stderr_text = get_opt<std::string>(j, "stderr");
    e.exit_code = get_opt<int>(j, "exit_code");
    if (j.contains("metrics")) {
      const auto& m = j["metrics"];
      e.metrics.tokens_per_second = get_opt<double>(m, "tokens_per_second");
      e.metrics.time_to_first_token_ms = get_opt<double>(m, "time_to_first_token_ms");
      e.metrics.memory_peak_mb = get_opt<double>(m, "memory_peak_mb");
      e.metrics.total_tokens = get_opt<std::int64_t>(m, "total_tokens");
      e.metrics.duration_ms = m.value("duration_ms", std::int64_t{0});
    }
    e.timestamp = j.value("timestamp", "");
    if (j.contains("host")) {
      const auto& h = j["host"];
      e.host.hostname = h.value("hostname", "");
      e.host.os = h.value("os", "linux");
      e.host.cpu = h.value("cpu", "unknown");
      e.host.gpu = get_opt<std::string>(h, "gpu");
      e.host.apr_version = h.value("apr_version", "unknown");
    }
    if (j.contains("metadata") && j["metadata"].is_object())
      for (auto& [k, v] : j["metadata"].items())
        e.metadata[k] = v.is_string() ? v.get<std::string>() : v.dump();
    if (j.contains("measurements"))
      for (const auto& m : j["measurements"]) e.measurements.push_back(measurement_from_json(m));
    if (j.contains("artifacts"))
      for (const auto& a : j["artifacts"]) e.artifacts.push_back(artifact_from_json(a));
    e.severity = j.value("severity", "P1");
    e.category = j.value("category", "");
    e.node = j.value("node", "");
    if (j.contains("provenance") && j["provenance"].is_object()) e.provenance = j["provenance"];
    if (j.contains("details") && j["details"].is_object()) e.details = j["details"];
    return e;
  } catch (const json::exception& ex) {
    throw validation_error(std::string("evidence entry: ") + ex.what());
  }
}

std::string new_evidence_id() {
  static std::atomic<std::int64_t> last{0};
  std::int64_t ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
  std::int64_t prev = last.load();
  while (true) {
    std::int64_t next = ns > prev ? ns : prev + 1;
    if (last.compare_exchange_weak(prev, next)) {
      ns = next;
      break;
    }
  }
  return fmt::format("{:016x}{:016x}", 0, static_cast<std::uint64_t>(ns));
}

std::string utc_timestamp_now() {
  auto now = std::chrono::system_clock::now();
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ns / 1000000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:09}Z", tm.tm_year + 1900,
                     tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     ns % 1000000000);
}

Journal::Journal(std::filesystem::path path, bool truncate) : path_(std::move(path)) {
  int flags = O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | (truncate ? O_TRUNC : 0);
  fd_ = ::open(path_.c_str(), flags, 0644);
  if (fd_ < 0) throw io_error("cannot open journal for appending").at_path(path_.string());
}
Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

void Journal::append(const json& record) {
  std::string line = record.dump(-1, ' ', false, json::error_handler_t::replace) + "\n";
  const char* p = line.data();
  std::size_t left = line.size();
  while (left > 0) {
    ssize_t n = ::write(fd_, p, left);
    if (n < 0) {
      const int e = errno;
      if (e == EINTR) continue;
      throw io_error(std::string("journal write failed: ") + std::strerror(e)).at_path(path_.string()).with_errno(e);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  ::fsync(fd_);
}

std::vector<json> Journal::read(const std::filesystem::path& path, bool* torn) {
  std::vector<json> out;
  if (torn) *torn = false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return out;
  std::stringstream ss;
  ss << in.rdbuf();
  std::string all = ss.str();
  std::size_t pos = 0;
  while (pos < all.size()) {
    auto nl = all.find('\n', pos);
    if (nl == std::string::npos) {  // no newline: torn by a kill inside write
      if (torn) *torn = true;
      break;
    }
    std::string line = all.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) continue;
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded()) {
      if (torn) *torn = true;
      continue;
    }
    out.push_back(std::move(j));
  }
  return out;
}

void write_evidence_file(const std::filesystem::path& path, const std::vector<Evidence>& entries) {
  json arr = json::array();
  for (const auto& e : entries) arr.push_back(to_json(e));
  write_file_atomic(path, arr.dump(2, ' ', false, json::error_handler_t::replace) + "\n");
}

std::vector<Evidence> read_evidence_file(const std::filesystem::path& path) {
  // A regular file only: a directory or a FIFO given by mistake is named as such (exit 2/3).
  std::string text = read_regular_file(path, "an evidence file (evidence.json)", 1ull << 32);
  json j = json::parse(text, nullptr, false);
  if (j.is_discarded()) throw parse_error("evidence file is not valid JSON").at_path(path.string());
  if (!j.is_array())
    throw validation_error("expected a JSON array of entries, found " + std::string(j.type_name()))
        .at_path(path.string());
  std::vector<Evidence> out;
  for (std::size_t i = 0; i < j.size(); ++i) {
    try {
      out.push_back(evidence_from_json(j[i]));
    } catch (Error& e) {
      throw std::move(e.at_path(path.string()).at_key("[" + std::to_string(i) + "]"));
    }
  }
  return out;
}

}  // namespace apr::qa
