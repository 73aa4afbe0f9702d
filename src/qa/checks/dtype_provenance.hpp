// apr-qa qa checks: is a per-tensor dtype change between two sides of a lossless conversion
// explained? Judged independently of the converter's own plan, from the two tensors, the
// recorded provenance (CanonicalTensor::original_type / original_sha256) and the format of b:
//   restoration         a is F32 recording b's type as its original (b re-encodes it);
//   recorded widening   b is exact F32 recording a's type, and b could not have kept a's type:
//                       b's format cannot store it (SafeTensors: F32/F16/BF16 only; GGUF keeps
//                       1-D tensors in F32 for llama.cpp) or re-encoding b's values as a's type
//                       does not give a's bytes back;
//   needless widening   b records a's type but could have kept it byte for byte (unexplained);
//   missed restoration  both F32, a records an original type b's format stores and b's values
//                       re-encode exactly to the recorded bytes, yet b kept F32 (unexplained);
//   silent              no record on either side explains the change (unexplained).
#pragma once

#include "qa/checks/model_access.hpp"

#include <string>

namespace apr::qa::checks {

enum class DtypeChange { none, restoration, recorded_widening, needless_widening, missed_restoration, silent };

// ta, tb: the same tensor (equal shapes) on side a and side b; b_format: "gguf"|"safetensors"|"apr".
DtypeChange classify_dtype_change(const model::CanonicalTensor& ta, const model::CanonicalTensor& tb,
                                  const std::string& b_format);

inline bool unexplained(DtypeChange c) {
  return c == DtypeChange::needless_widening || c == DtypeChange::missed_restoration || c == DtypeChange::silent;
}

}  // namespace apr::qa::checks
