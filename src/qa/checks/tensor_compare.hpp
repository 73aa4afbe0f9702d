// apr-qa qa checks: tensor-by-tensor comparison of two canonical models, independent of the
// converter's own diff. Tensors are matched by HF name and compared row by row in canonical
// order: where both dtypes agree the row bytes are compared (byte equality); otherwise both rows
// are dequantized to f32 and max |Δ| taken. An lm_head present on one side only, the other side
// being tied, is compared with the tied side's token embedding (it is not counted as missing; a
// tied/untied mismatch is the caller's measurement). Dtype changes are classified by
// dtype_provenance.hpp: restorations and recorded widenings are explained by recorded
// provenance (CanonicalTensor::original_type, from apr_qa.dtype records) and b's format.
#pragma once

#include "qa/checks/model_access.hpp"

#include <string>
#include <vector>

namespace apr::qa::checks {

struct TensorCompare {
  std::size_t compared = 0;         // tensors present on both sides with equal shapes
  std::size_t differing_bytes = 0;  // compared tensors whose bytes (same dtype) differ
  std::size_t dtype_changes = 0;    // compared tensors whose stored dtype differs, of which:
  std::size_t dtype_restorations = 0;     //  b restores the type a recorded as its original (a: F32 + record)
  std::size_t recorded_dtype_changes = 0; //  b records a's type as its original (exact F32 + record)
  std::size_t silent_dtype_changes = 0;   //  neither: no recorded provenance explains the change
  std::size_t unexplained_dtype_changes = 0;  // silent + needless widenings + missed restorations
                                              // (dtype_provenance.hpp), the lossless gates' count
  std::size_t missing_in_b = 0, missing_in_a = 0, shape_mismatches = 0, transposed = 0;
  double max_abs = 0;               // over every compared value (inf for shape mismatches and
                                    // for a tensor present on one side only)
  double max_stat_diff = 0;         // max over tensors of |Δmean|,|Δstd|,|Δmin|,|Δmax|
  std::vector<std::string> notes;   // first few differences, for the evidence output
};

// `filter`: comma-separated substrings; empty = every tensor.
TensorCompare compare_tensors(const model::CanonicalModel& a, const model::CanonicalModel& b,
                              const std::string& filter = "", bool with_stats = false);

}  // namespace apr::qa::checks
