// apr-qa qa: the headline verdict of a run — one status, one score, one grade (docs/scoring.md).
//
// Status:
//   NOT CERTIFIED  a P0 gate failed (Falsified), a gate could not be evaluated (Error, Timeout,
//                  Crashed), or nothing was measured;
//   PROVISIONAL    otherwise, when a P1-P3 gate failed;
//   CERTIFIED      otherwise: every counted gate Corroborated.
// Score: per MQS category (QUAL 200, PERF 150, STAB 200, COMP 150, EDGE 150, REGR 150; the entry's
// catalogue category, else the anchor's id mapping) round(passed / counted · max), where counted
// = every entry that is not Skipped (an unevaluated gate counts and earns nothing). A category with
// no counted entry is "not measured": excluded from the score and from its maximum, and listed —
// never free points. score = Σ measured categories, out of Σ their maxima. Grade: the 13-letter
// scale (A+ ≥ 97 … D− ≥ 60) of 100·score/max, and F whenever the status is NOT CERTIFIED.
// Coverage: measured entries (Corroborated or Falsified) / planned entries (every entry: each
// scheduled gate gets exactly one). The tier is the playbook's own (metadata.tier or the name's
// suffix), shown as given.
//
// The anchor's MQS and certification (qa/mqs.hpp) are still computed, unchanged, and written to
// mqs.json under "anchor_mqs" for compatibility; they are not the headline.
#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"
#include "qa/mqs.hpp"

namespace apr::qa {

struct VerdictCategory {
  std::string name;  // QUAL PERF STAB COMP EDGE REGR
  int max = 0;
  int score = 0;     // 0 when not measured
  int passed = 0, counted = 0, skipped = 0;
  bool measured() const { return counted > 0; }
};

// Entries of one gate id within a list (a gate can fail on several scenarios).
struct GateCount {
  std::string gate_id;
  int count = 0;
};

struct RunVerdict {
  std::string status = "NOT CERTIFIED";  // CERTIFIED | PROVISIONAL | NOT CERTIFIED
  std::string tier;                       // the playbook's tier; "" when unknown
  std::vector<std::string> reasons;       // every cause of a non-CERTIFIED status, worst first
  std::vector<GateCount> p0_failed, other_failed, errored, timed_out, crashed;
  std::vector<GateCount> not_run;  // Skipped because the run stopped first (qa/outcome.hpp is_cut_short)
  int planned = 0, measured = 0;          // entries; measured = Corroborated + Falsified
  int passed = 0, failed = 0, errors = 0, timeouts = 0, crashes = 0, skipped = 0;
  std::vector<VerdictCategory> categories;  // the six, in the anchor's order
  std::vector<std::string> not_measured;    // names of categories with no counted entry
  int score = 0, max_score = 0;
  double percent = 0;                       // 100·score/max_score (0 when max_score is 0)
  std::string grade = "F";
  bool certified() const { return status == "CERTIFIED"; }
};

// Severity of a gate id ("P0".."P3"), or "" to keep the entry's own. `score` and `report` pass
// the catalogue's (anchor evidence files carry no severity); `run`'s entries already have it.
using SeverityLookup = std::function<std::string(const std::string& gate_id)>;

RunVerdict compute_verdict(const std::vector<Evidence>& entries, const std::string& tier,
                           const SeverityLookup& severity_of = {});

// The one summary line, e.g.
// "NOT CERTIFIED (quick): 1 P0 failure (F-X-001); 1 error (F-Y-002) | score 540/650, grade F |
//  not measured: PERF, EDGE | coverage 19/21 gates | 19 passed, 1 failed, 1 error, 0 skipped"
std::string headline(const RunVerdict& v);

// One line per failed or unevaluated entry, in evidence order:
// "G0-X-001 [run/cpu/gguf] Falsified: hidden_mismatch = 1 violates <= 0" (the reason on
// one line, blanks collapsed, cut after 300 characters with "..."; evidence.json has all of it).
// Identical lines (the same gate, scenario, outcome and reason) are printed once with " (xN)".
// At most `max_lines`; when more differ, the last line says how many results were left out.
std::vector<std::string> failure_lines(const std::vector<Evidence>& entries, std::size_t max_lines);

nlohmann::json to_json(const RunVerdict& v);

// mqs.json: {"model_id", "verdict": to_json(v), "anchor_mqs": anchor_mqs_json(m, c)}.
nlohmann::json mqs_file_json(const std::string& model_id, const RunVerdict& v, const Mqs& m, const Certification& c);

}  // namespace apr::qa
