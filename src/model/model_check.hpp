// apr-qa model layer: completeness and shape checks of a CanonicalModel against its
// architecture's manifest. Every violation is a validation Error naming the file, the tensor,
// what was expected and what was found: a tensor the architecture does not expect, a required
// tensor that is absent (e.g. qwen2 q/k/v biases), a shape that disagrees with the config.
#pragma once

#include "model/canonical_model.hpp"

namespace apr::model {

// Validates config, then tensors (names, shapes, row_order lengths). Sorts nothing.
void check_model(const CanonicalModel& m);
// Sorts tensors by HF name (the CanonicalModel invariant).
void sort_tensors(CanonicalModel& m);
// "[a, b]" for messages.
std::string shape_string(const std::vector<std::int64_t>& shape);

}  // namespace apr::model
