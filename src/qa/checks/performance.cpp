// Check kind performance (F-PROFILE-CI-*): decode throughput and per-token latency percentiles
// over `measure` runs after `warmup` runs, against the playbook's profile_ci assertions.
#include <algorithm>
#include <chrono>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"

namespace apr::qa::checks {

CheckOutput performance(const nlohmann::json& p) {
  CheckOutput o;
  if (auto why = gpu_unavailable(p)) {
    o.skip = *why;
    return o;
  }
  auto m = load(p.at("model").get<std::string>());
  auto e = make_engine(m, backend_of(p));
  auto ids = encode_prompt(*e, p.value("prompt", std::string("What is 2+2?")));
  engine::SamplingOptions so;
  so.max_tokens = p.value("max_tokens", 16);
  // Throughput is measured over a fixed number of decoded tokens: a model that ends its answer
  // at once (EOS as the first token) must not turn into "0 tok/s".
  so.ignore_eos = true;
  std::vector<double> tps, lat;
  int warm = p.value("warmup", 1), meas = std::max(1, p.value("measure", 3));
  for (int i = 0; i < warm + meas; ++i) {
    auto last = std::chrono::steady_clock::now();
    std::vector<double> l;
    auto g = e->generate(ids, so, [&](std::int32_t) {
      auto now = std::chrono::steady_clock::now();
      l.push_back(std::chrono::duration<double, std::milli>(now - last).count());
      last = now;
      return true;
    });
    if (i < warm) continue;
    tps.push_back(g.decode_tps);
    if (l.size() > 1) lat.insert(lat.end(), l.begin() + 1, l.end());
  }
  std::sort(tps.begin(), tps.end());
  std::sort(lat.begin(), lat.end());
  auto pct = [&](double q) { return lat.empty() ? 1e300 : lat[std::min(lat.size() - 1, static_cast<std::size_t>(q * (lat.size() - 1) + 0.5))]; };
  double med = tps[tps.size() / 2];
  o.add("tokens_per_second", med, "tok/s");
  o.add("p99_ms", pct(0.99), "ms");
  o.add("p50_ms", pct(0.5), "ms");
  o.metrics["tokens_per_second"] = med;
  return o;
}

}  // namespace apr::qa::checks
