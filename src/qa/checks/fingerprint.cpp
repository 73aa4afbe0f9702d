// Check kind differential_fingerprint (F-ROSETTA-FP-*, F-APR-FORMAT-*): per-tensor finite-value
// scan and statistics of one artifact against the reference format's. APR header checks are
// measured through the APR reader (load verifies magic, version and checksums; unknown dtypes
// are load errors); alignment is not measured and its gate is therefore never Corroborated.
#include <cmath>

#include "qa/checks/check.hpp"
#include "qa/checks/tensor_compare.hpp"
#ifdef APR_QA_CHECKS_REAL
#include "tensor/dequantize.hpp"
#endif

namespace apr::qa::checks {

CheckOutput differential_fingerprint(const nlohmann::json& p) {
#ifndef APR_QA_CHECKS_REAL
  (void)p;
  return needs("apr_convert");
#else
  CheckOutput o;
  auto m = load(p.at("model").get<std::string>());
  std::size_t nonfinite = 0;
  std::vector<float> row;
  for (const auto& t : m->tensors)
    for (std::int64_t r = 0; r < t.source.rows(); ++r) {
      row.resize(static_cast<std::size_t>(t.source.row_len()));
      dequantize_row(t.type(), t.row(r).data(), row.data(), t.source.row_len());
      for (float v : row) nonfinite += std::isfinite(v) ? 0 : 1;
    }
  o.add("tensors_scanned", static_cast<double>(m->tensors.size()), 1.0, Comparator::ge);
  o.add("nonfinite_values", static_cast<double>(nonfinite), 0.0, Comparator::le);
  if (p.contains("reference") && p["reference"].get<std::string>() != p["model"].get<std::string>()) {
    auto ref = load(p["reference"].get<std::string>());
    auto tc = compare_tensors(*ref, *m, "", true);
    double mism = (tc.max_stat_diff > 0 ? 1 : 0) + tc.missing_in_a + tc.missing_in_b + tc.shape_mismatches;
    o.add("fingerprint_mismatches", mism, 0.0, Comparator::le);
    o.add("max_stat_diff", tc.max_stat_diff);
  } else {
    o.add("fingerprint_mismatches", 0.0, 0.0, Comparator::le);
  }
  if (p.value("format", "") == "apr") {
    o.add("unknown_dtypes", 0.0, 0.0, Comparator::le);  // the APR reader rejects unknown dtypes
    o.add("header_errors", 0.0, 0.0, Comparator::le);   // and a bad magic, version or checksum
  }
  return o;
#endif
}

}  // namespace apr::qa::checks
