#include "core/phase_times.hpp"

#include <mutex>

namespace apr {
namespace {
std::mutex g_mu;
std::vector<std::pair<std::string, double>>& table() {
  static std::vector<std::pair<std::string, double>> t;
  return t;
}
}  // namespace

void phase_add(const std::string& name, double seconds) {
  std::lock_guard<std::mutex> lock(g_mu);
  for (auto& [n, s] : table())
    if (n == name) {
      s += seconds;
      return;
    }
  table().emplace_back(name, seconds);
}

std::vector<std::pair<std::string, double>> phase_snapshot() {
  std::lock_guard<std::mutex> lock(g_mu);
  return table();
}

void phase_reset() {
  std::lock_guard<std::mutex> lock(g_mu);
  table().clear();
}

}  // namespace apr
