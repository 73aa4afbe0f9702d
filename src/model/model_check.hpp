// apr-qa model layer: completeness and shape checks of a CanonicalModel against its
// architecture's manifest. Every violation is a validation Error naming the file, the tensor,
// what was expected and what was found: a tensor the architecture does not expect, a required
// tensor that is absent (e.g. qwen2 q/k/v biases), a shape that disagrees with the config.
#pragma once

#include "model/canonical_model.hpp"

namespace apr::model {

// One way a model disagrees with its architecture's manifest.
struct ManifestViolation {
  enum class Kind { config, missing, shape, unexpected } kind;
  std::string tensor;   // empty for a config violation
  std::string message;  // what was expected and what was found
};
// Every violation (none when the model is complete and consistent); never throws for a
// violation, so a broken model can be measured rather than refused.
std::vector<ManifestViolation> manifest_violations(const CanonicalModel& m);
// Validates config, then tensors (names, shapes, row_order lengths): throws the first
// violation as a validation Error naming the file and tensor. Sorts nothing.
void check_model(const CanonicalModel& m);
// A config's layer count against the tensors present, before anything per layer is built: a
// llama-family layer has at least kMinTensorsPerLayer tensors, so a file of T tensors justifies
// at most T / kMinTensorsPerLayer layers (GGUF block_count = 2^32-1 in a 274 KB file would
// otherwise build a 4-billion-entry manifest). Validation Error naming the file and the key.
inline constexpr std::size_t kMinTensorsPerLayer = 9;
void check_layer_count(const ModelConfig& c, std::size_t tensors_present, const std::string& where);
// Sorts tensors by HF name (the CanonicalModel invariant).
void sort_tensors(CanonicalModel& m);
// "[a, b]" for messages.
std::string shape_string(const std::vector<std::int64_t>& shape);

}  // namespace apr::model
