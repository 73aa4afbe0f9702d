// apr-qa cert: the committed certification record (docs/certification.md).
//
//   <root>/<org>/<name>/<tier>/   evidence.json   the run's entries, as written by `run`
//                                 mqs.json, summary.md, report.html, junit.xml   derived from it
//                                 history.jsonl   one line per certification, oldest first
//   <root>/models.csv             one row per registered model with a record (the anchor's columns)
//   <root>/README.md              the records table between the markers below
// Everything but evidence.json and history.jsonl is derived, and `apr-qa certify --check`
// re-derives it and reports any difference: the committed record cannot drift from the code.
// A record folder is replaced whole: built in a temporary sibling, then renamed over the old one,
// so a failed certification leaves the previous record intact.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cert/registry.hpp"
#include "qa/evidence.hpp"

namespace apr::cert {

inline constexpr const char* kTableBegin = "<!-- apr-qa certify: records table (generated; do not edit) -->";
inline constexpr const char* kTableEnd = "<!-- apr-qa certify: end of records table -->";

std::filesystem::path record_dir(const std::filesystem::path& root, const std::string& model_id, const std::string& tier);

// Numbers a night is judged by, from the entries: median judged tokens_per_second per
// "format/backend", and perplexity / bits per byte per format.
struct KeyNumbers {
  std::map<std::string, double> throughput, perplexity, bits_per_byte;
};
KeyNumbers key_numbers(const std::vector<qa::Evidence>& entries);

struct RecordContext {
  const RegisteredModel* model = nullptr;
  std::string tier;
  std::string date;           // RFC 3339 UTC
  std::string model_sha256;   // of the model file, "" for a directory
  bool sha256_verified = false;
};

// The history.jsonl line of a certification: date, apr-qa version and git hash, host, the model's
// source, verdict, scores, per-gate outcomes and the key measurements.
nlohmann::json history_entry(const RecordContext& ctx, const std::vector<qa::Evidence>& entries);
std::vector<nlohmann::json> read_history(const std::filesystem::path& file);  // throws on a bad line

// Writes the derived files of a record folder (mqs.json, summary.md, report.html with the history
// charts, junit.xml) from its evidence and history.
void write_derived(const std::filesystem::path& dir, const std::string& model_id, const std::string& tier,
                   const std::vector<qa::Evidence>& entries, const std::vector<nlohmann::json>& history);

// Replaces <root>/<org>/<name>/<tier>/ with a record of `run_evidence` (appending to the previous
// history), atomically (temporary sibling + rename). Returns the record folder.
std::filesystem::path write_record(const std::filesystem::path& root, const RecordContext& ctx,
                                   const std::filesystem::path& run_evidence);

// models.csv and the README table, from the registry and the records under root.
std::string models_csv(const Registry& reg, const std::filesystem::path& root);
std::string records_table(const Registry& reg, const std::filesystem::path& root);
// `readme` with the text between the markers replaced by `table` (markers appended when absent).
std::string with_table(const std::string& readme, const std::string& table);
void write_index(const Registry& reg, const std::filesystem::path& root);

// Re-derives mqs.json of every record, models.csv and the README table and lists every file whose
// committed content differs (empty: the record is consistent).
std::vector<std::string> check_records(const Registry& reg, const std::filesystem::path& root);

}  // namespace apr::cert
