// Check kind byte_roundtrip: two paths to the same format store byte-identical tensors.
#include "qa/checks/check.hpp"
#include "qa/checks/tensor_compare.hpp"

namespace apr::qa::checks {

CheckOutput byte_roundtrip(const nlohmann::json& p) {
  CheckOutput o;
  auto a = load(p.at("a").get<std::string>());
  auto b = load(p.at("b").get<std::string>());
  auto tc = compare_tensors(*a, *b);
  o.add("tensors_compared", static_cast<double>(tc.compared));
  o.add("tensors_differing_bytes", static_cast<double>(tc.differing_bytes + tc.dtype_changes));
  o.add("tensors_missing", static_cast<double>(tc.missing_in_a + tc.missing_in_b + tc.shape_mismatches));
  o.add("tensor_max_abs_diff", tc.max_abs);
  for (const auto& n : tc.notes) o.output += n + "\n";
  return o;
}

}  // namespace apr::qa::checks
