// apr-qa core: wall time by named phase, accumulated process-wide (for `convert -v` and the
// conversion benchmark: where a conversion's time goes beyond the copy itself).
//
//   { PhaseScope p("load"); ... }          // adds the scope's wall time to "load"
//   phase_add("copy", seconds);             // or add a measured interval directly
//   for (auto& [name, s] : phase_snapshot()) ...   // first-seen order
// Always on: a phase costs two steady_clock reads; hot loops sum locally and add once.
// Thread-safe (a mutex around the table); the times of concurrent conversions in one process
// add up, so read them where one conversion runs (the convert command).
#pragma once

#include <chrono>
#include <string>
#include <utility>
#include <vector>

namespace apr {

void phase_add(const std::string& name, double seconds);
std::vector<std::pair<std::string, double>> phase_snapshot();
void phase_reset();

inline double phase_clock() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

class PhaseScope {
 public:
  explicit PhaseScope(std::string name) : name_(std::move(name)), t0_(phase_clock()) {}
  ~PhaseScope() { phase_add(name_, phase_clock() - t0_); }
  PhaseScope(const PhaseScope&) = delete;
  PhaseScope& operator=(const PhaseScope&) = delete;

 private:
  std::string name_;
  double t0_;
};

}  // namespace apr
