// Check kind tensor_inventory: tensor count (CARD) and names (NAME) survive a conversion.
#include <cmath>

#include "qa/checks/check.hpp"
#include "qa/checks/tensor_compare.hpp"

namespace apr::qa::checks {

CheckOutput tensor_inventory(const nlohmann::json& p) {
  CheckOutput o;
  auto a = load(p.at("a").get<std::string>());
  auto b = load(p.at("b").get<std::string>());
  std::size_t missing = 0;
  for (const auto& t : a->tensors)
    if (!b->find(t.name)) {
      ++missing;
      if (o.output.size() < 2000) o.output += "missing: " + t.name + "\n";
    }
  o.add("source_tensors", static_cast<double>(a->tensors.size()));
  o.add("converted_tensors", static_cast<double>(b->tensors.size()));
  o.add("missing_tensors", static_cast<double>(missing));
  o.add("tensor_count_difference",
        std::abs(static_cast<double>(a->tensors.size()) - static_cast<double>(b->tensors.size())));
  return o;
}

}  // namespace apr::qa::checks
