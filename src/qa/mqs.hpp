// apr-qa qa: Model Qualification Score and certification status.
//
// MQS follows the anchor's implementation (anchor-spec §6.1) — gateways G0..G4, six categories
// (QUAL 200, PERF 150, STAB 200, COMP 150, EDGE 150, REGR 150) chosen from the gate id, CRASH 20
// and TIMEOUT 10 penalties, log normalisation 100·ln(1+9·raw/1000)/ln 10 and the 13 grades — with
// one deliberate change: a Skipped entry is not a pass. Skipped entries are left out of every
// ratio and counted separately (`tests_skipped`, per-category `skipped`). An empty category keeps
// its full maximum, as in the anchor. A run with no counted entry scores 0 (penalty NO_EVIDENCE).
// Certification (§6.3): tier mvp ⇒ MVP thresholds, every other tier ⇒ FULL; p0 = a gateway failed.
//
// These are kept, computed exactly as before, for compatibility with the anchor's readers: they
// go to mqs.json under "anchor_mqs" (`anchor_mqs_json`). They are not the headline: the one verdict
// a run prints and reports lead with is qa/verdict.hpp's (an empty category there is "not
// measured", never its maximum). An Error entry counts as a failure here (`is_failure`).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "qa/evidence.hpp"

namespace apr::qa {

// "QUAL" ... "REGR", from the gate id exactly as the anchor maps it.
std::string mqs_category_for(const std::string& gate_id);

struct Gateway {
  std::string id, description;
  bool passed = true;
  std::string failure_reason;
};
struct CategoryScore {
  std::string name;  // QUAL ...
  int max = 0, score = 0, passed = 0, total = 0, skipped = 0;
};
struct Penalty {
  std::string code, description;
  int points = 0;
};

struct Mqs {
  std::string model_id;
  int raw_score = 0;
  double normalized_score = 0;
  std::string grade = "F";
  std::vector<Gateway> gateways;
  bool gateways_passed = true;
  std::vector<CategoryScore> categories;
  int total_tests = 0, tests_passed = 0, tests_failed = 0, tests_skipped = 0;
  std::vector<Penalty> penalties;
  int total_penalty = 0;
  bool qualifies = false, production_ready = false;
};

double normalize_raw(int raw);            // 0..100
std::string grade_for(double normalized); // A+ .. F
Mqs compute_mqs(const std::string& model_id, const std::vector<Evidence>& entries);
nlohmann::json to_json(const Mqs& m);

struct Certification {
  std::string tier;            // "MVP" | "FULL"
  std::string status;          // CERTIFIED | PROVISIONAL | BLOCKED
  int score = 0;
  std::string grade;           // A+ A B+ B C F
  double pass_rate = 0;        // percent, Skipped excluded from the denominator
};
// `playbook_tier` is the playbook's metadata.tier (or name suffix): "mvp" selects MVP.
Certification certify(const Mqs& mqs, const std::string& playbook_tier);
nlohmann::json to_json(const Certification& c);

// The anchor's mqs.json object exactly as apr-qa wrote it before the verdict existed:
// to_json(m) plus "certification": to_json(c). mqs.json carries it under "anchor_mqs".
nlohmann::json anchor_mqs_json(const Mqs& m, const Certification& c);

}  // namespace apr::qa
