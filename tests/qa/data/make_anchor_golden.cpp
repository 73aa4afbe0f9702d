// How tests/qa/data/*.anchor_mqs.json were made: this program compiled with main's (pre-verdict, c3c9a5c)
// src/qa/{outcome,mqs,evidence}.cpp alone (git show c3c9a5c:src/qa/<file>), linked with libapr_core.a and fmt:
//   g++ -std=c++20 -ffp-contract=off -I<old qa dir parent> -Isrc main.cpp qa/{outcome,mqs,evidence}.cpp libapr_core.a -lfmt
//   ./golden EVIDENCE [TIER] > NAME.anchor_mqs.json
// Not built by CMake (tests/qa/data is not globbed).
#include <cstdio>
#include "qa/evidence.hpp"
#include "qa/mqs.hpp"
using namespace apr::qa;
static std::string model_id_of(const std::vector<Evidence>& ev) {
  for (const auto& e : ev) if (!e.scenario.org.empty()) return e.scenario.org + "/" + e.scenario.name;
  return "unknown/unknown";
}
int main(int argc, char** argv) {
  auto ev = read_evidence_file(argv[1]);
  std::string tier = argc > 2 ? argv[2] : "";
  auto m = compute_mqs(model_id_of(ev), ev);
  auto j = to_json(m);
  j["certification"] = to_json(certify(m, tier));
  std::printf("%s\n", j.dump(2).c_str());
}
