// apr-qa cert: what changed between two records (`apr-qa compare OLD NEW`).
//
// Entries are matched by gate id and scenario id (the n-th repeat of a pair by position). A
// regression is anything that makes NEW worse than OLD:
//   * an entry that passed (Corroborated) no longer passes: Falsified, Error, Timeout, Crashed,
//     Skipped, or gone from NEW;
//   * an entry that fails in NEW and did not fail in OLD (Skipped before, or new);
//   * a judged measurement (one with a threshold) of an entry measured on both sides that drifted
//     the wrong way: it was exactly 0 under a "<="/"<" requirement and is no longer 0, or it moved
//     in the worse direction (up for "<="/"<", down for ">="/">", any move for "==") by more than
//     its band — relative to |OLD| — taken from `--band NAME=X`, else the gate's `drift:` in the
//     catalogue, else kDefaultBand.
// Improvements (a failure that now passes) and neutral changes (an entry that appeared, a failure
// whose outcome changed) are listed but are not regressions.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"

namespace apr::cert {

inline constexpr double kDefaultBand = 0.01;

struct Change {
  std::string kind;      // verdict | removed | added | drift
  std::string gate_id, scenario;
  std::string old_outcome, new_outcome;  // "" when absent on that side
  std::string measurement;               // drift
  double old_value = 0, new_value = 0, band = 0;
  std::string comparator;                // drift: the requirement's comparator
  bool regression = false, improvement = false;
  std::string text;                      // one line, as printed
};

struct Comparison {
  std::string label;  // "HuggingFaceTB/SmolLM2-135M-Instruct quick", or the NEW path
  std::vector<Change> changes;
  std::size_t old_entries = 0, new_entries = 0;
  std::size_t regressions() const;
  std::size_t improvements() const;
};

// Band of a judged measurement of a gate: nullopt = no catalogue rule (kDefaultBand applies).
using BandLookup = std::function<std::optional<double>(const std::string& gate_id, const std::string& measurement)>;

Comparison compare_evidence(const std::vector<qa::Evidence>& old_entries, const std::vector<qa::Evidence>& new_entries,
                            const BandLookup& catalogue_band, const std::map<std::string, double>& band_overrides);

// Markdown and JSON renderings of several comparisons (one per record pair).
std::string comparisons_markdown(const std::vector<Comparison>& cs);
nlohmann::json comparisons_json(const std::vector<Comparison>& cs);
// A record present on one side only: OLD only is a regression (a certification stopped).
Comparison unmatched_record(const std::string& label, bool in_old);

}  // namespace apr::cert
