// apr-qa qa: evidence entries, the append-only journal and the atomic evidence.json.
//
// An Evidence entry carries every field the anchor's readers use (anchor-spec §5: id, gate_id,
// scenario{…}, outcome, reason, output, stderr, exit_code, metrics{…}, timestamp, host{…},
// metadata) — all always present — plus measurements, artifacts, severity, category and node.
// evidence.json is a bare JSON array (the anchor's real layout), written atomically (temp +
// rename), so a killed run leaves either no file or a complete one.
//
// The journal `evidence.jsonl` holds one JSON object per completed DAG node, written with a
// single write(2) and fsync'd before the next outcome is reported; a torn last line (the process
// was killed inside write) is dropped on read. `--resume` replays it.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/hash.hpp"

#include "qa/outcome.hpp"

namespace apr::qa {

struct ScenarioInfo {
  std::string id;
  std::string org, name;                  // model id
  std::string modality = "run", backend = "cpu", format = "safetensors";
  std::string prompt;
  double temperature = 0.0;
  int max_tokens = 32;
  std::uint64_t seed = 0;
  std::string trace_level = "none";
  std::string oracle_type = "garbage";
};

struct ArtifactRef {
  std::string path;     // absolute path of a regular file
  std::string format;   // gguf | safetensors | apr
  std::string sha256;
  std::uint64_t bytes = 0;
};
nlohmann::json to_json(const ArtifactRef& a);
ArtifactRef artifact_from_json(const nlohmann::json& j);
// A digest handed from the planner to the workers (node spec `known_digests`); a malformed entry
// reads as a digest that is never current.
nlohmann::json file_digest_to_json(const FileDigest& d);
FileDigest file_digest_from_json(const nlohmann::json& j);

struct Metrics {
  std::optional<double> tokens_per_second, time_to_first_token_ms, memory_peak_mb;
  std::optional<std::int64_t> total_tokens;
  std::int64_t duration_ms = 0;
};

struct HostInfo {
  std::string hostname, os = "linux", cpu = "unknown", apr_version = "unknown";
  std::optional<std::string> gpu;
  static HostInfo current();
};

struct Evidence {
  std::string id;        // 32 lower-case hex digits (ns since epoch, anchor layout)
  std::string gate_id;
  ScenarioInfo scenario;
  Outcome outcome = Outcome::falsified;
  std::string reason;
  std::string output;
  std::optional<std::string> stderr_text;
  std::optional<int> exit_code;
  Metrics metrics;
  std::string timestamp;  // RFC 3339 UTC with nanoseconds
  HostInfo host;
  std::map<std::string, std::string> metadata;
  std::vector<Measurement> measurements;
  std::vector<ArtifactRef> artifacts;
  std::string severity = "P1";   // P0..P3, from the gate catalogue
  std::string category = "QUAL"; // QUAL PERF STAB COMP EDGE REGR
  std::string node;              // DAG node id that produced it
  // How this entry was judged: {"gate": {kind, inputs, source, require: {name: {comparator,
  // threshold, expr}}}, "settings": {APR_* switch: value}} (apr-qa extension; may be empty).
  nlohmann::json provenance = nlohmann::json::object();
  // Everything else the check reported (apr-qa extension; may be empty): e.g. the corpus and its
  // sha256 of a perplexity gate, the quantizer's type per tensor of a quantization gate.
  nlohmann::json details = nlohmann::json::object();
};
nlohmann::json to_json(const Evidence& e);
Evidence evidence_from_json(const nlohmann::json& j);  // throws apr::Error on a wrong field

// "0000000000000000" + 16 hex of ns since epoch, unique within the process.
std::string new_evidence_id();
std::string utc_timestamp_now();

class Journal {
 public:
  // Opens (creating) `path` for appending. With truncate, starts empty.
  Journal(std::filesystem::path path, bool truncate);
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;
  void append(const nlohmann::json& record);  // one line, one write(2), fsync
  const std::filesystem::path& path() const { return path_; }

  // Complete records of a journal; a torn final line is ignored (and reported via `torn`).
  static std::vector<nlohmann::json> read(const std::filesystem::path& path, bool* torn = nullptr);

 private:
  std::filesystem::path path_;
  int fd_ = -1;
};

// Atomically writes the JSON array of entries to `path`.
void write_evidence_file(const std::filesystem::path& path, const std::vector<Evidence>& entries);
std::vector<Evidence> read_evidence_file(const std::filesystem::path& path);

}  // namespace apr::qa
