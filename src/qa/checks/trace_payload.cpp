// Check kind trace_payload (F-TRACE-PAYLOAD-*): the prompt's forward pass is finite and varied.
#include <cmath>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"

namespace apr::qa::checks {

CheckOutput trace_payload(const nlohmann::json& p) {
  CheckOutput o;
  auto m = load(p.at("model").get<std::string>());
  auto e = make_engine(m);
  auto ids = encode_prompt(*e, p.value("prompt", "2+2="));
  auto l = e->logits_all(ids);
  auto V = static_cast<std::size_t>(e->vocab());
  std::size_t nonfinite = 0, degenerate = 0, positions = V ? l.size() / V : 0;
  for (std::size_t t = 0; t < positions; ++t) {
    float mn = INFINITY, mx = -INFINITY;
    for (std::size_t v = 0; v < V; ++v) {
      float x = l[t * V + v];
      if (!std::isfinite(x)) { ++nonfinite; continue; }
      mn = std::min(mn, x);
      mx = std::max(mx, x);
    }
    if (!(mx > mn)) ++degenerate;
  }
  o.add("positions_compared", static_cast<double>(positions));
  o.add("nonfinite_logits", static_cast<double>(nonfinite));
  o.add("degenerate_positions", static_cast<double>(degenerate));
  return o;
}

}  // namespace apr::qa::checks
