// apr-qa qa: the six outcomes of a scheduled node and the measurement → verdict rule.
//
// Five outcome strings are the anchor's (anchor-spec §4): Corroborated, Falsified, Skipped,
// Timeout, Crashed. apr-qa adds Error (as lit's UNRESOLVED): the gate could not be evaluated —
// the worker threw, a tool failed, the environment is missing something — which is not the same
// as a measurement that violated its threshold (Falsified). Error counts as a failure wherever the
// anchor counts failures (`is_failure`), and is named separately in summaries and reports.
// pass = Corroborated only (unlike the anchor, Skipped is not a pass; it is counted and
// reported separately). A Measurement is one number measured by a check, with the threshold and
// comparator it is judged by; `judge` turns measurements into a verdict and never passes on an
// empty list or a missing required measurement.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace apr::qa {

enum class Outcome { corroborated, falsified, skipped, timeout, crashed, error };
const char* to_string(Outcome o) noexcept;                    // "Corroborated", ..., "Error"
std::optional<Outcome> outcome_from_string(std::string_view s) noexcept;  // exact strings only
const std::vector<Outcome>& all_outcomes();                   // the six, in declaration order
// Anchor semantics: a failure is anything but Corroborated and Skipped (Error included).
inline bool is_failure(Outcome o) {
  return o == Outcome::falsified || o == Outcome::timeout || o == Outcome::crashed || o == Outcome::error;
}
// The gate was not evaluated although it was meant to run: Error, Timeout or Crashed. Such a
// gate has no measurement verdict, and it blocks certification (qa/verdict.hpp).
inline bool is_unevaluated(Outcome o) {
  return o == Outcome::error || o == Outcome::timeout || o == Outcome::crashed;
}

// The reasons of a Skipped entry whose gate was meant to run when the run stopped first (an
// interrupt, an environment error; qa/executor.cpp). Unlike a planned skip ("no CUDA device"),
// such an entry blocks certification (qa/verdict.hpp): the run did not measure what it planned.
inline constexpr std::string_view kNotRunInterrupted = "run interrupted";
inline constexpr std::string_view kNotRunEnvironment = "not run: environment error";
inline bool is_cut_short(std::string_view skip_reason) {
  return skip_reason == kNotRunInterrupted || skip_reason.starts_with(kNotRunEnvironment);
}

enum class Comparator { le, lt, ge, gt, eq };
const char* to_string(Comparator c) noexcept;  // "<=", "<", ">=", ">", "=="
std::optional<Comparator> comparator_from_string(std::string_view s) noexcept;  // also le/lt/ge/gt/eq

struct Measurement {
  std::string name;                 // e.g. "diff", "tensor_max_abs_diff", "tokens_per_second"
  double value = 0;
  std::optional<double> threshold;  // none = recorded only, not judged
  Comparator comparator = Comparator::le;
  std::string unit;                 // "", "ratio", "tok/s", "ms", ...
  // Set when the check could not measure (value NaN): why, e.g. "not measured: the converted
  // model does not load: <error>". A NaN value never passes; the note goes into the verdict.
  std::string note;
  bool passes() const;              // true iff no threshold, or value <cmp> threshold (NaN fails)
};
nlohmann::json to_json(const Measurement& m);
Measurement measurement_from_json(const nlohmann::json& j);

struct Verdict {
  Outcome outcome = Outcome::falsified;
  std::string reason;
};

// Corroborated iff at least one judged measurement exists, every name in `required` is present,
// and every thresholded measurement passes. A Falsified reason lists every violated measurement
// first, in measurement order, each as "name = value violates <cmp> threshold" (with its note
// when it could not be measured), joined by "; ", then every missing required measurement
// ("no measurement 'x' was produced"); it never names a passing measurement. A Corroborated
// reason lists up to three judged measurements ("measured a=1 (>= 1) …").
Verdict judge(const std::vector<Measurement>& ms, const std::vector<std::string>& required);

}  // namespace apr::qa
