// apr-qa engine: what the engine asks of a forward pass, whatever runs it (forward.hpp on the
// CPU, cuda/gpu_forward.hpp on a CUDA device). Both follow the same description (formats.md §5;
// kernels.hpp for the operation order), so their logits can be compared gate by gate.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace apr::engine {

class ForwardPass {
 public:
  virtual ~ForwardPass() = default;
  // Forget every cached position (the next run starts at position 0).
  virtual void reset() = 0;
  virtual std::int64_t n_past() const = 0;
  virtual std::int64_t max_context() const = 0;
  // Processes tokens at positions n_past() .. n_past()+T-1 and appends their K/V to the cache;
  // out is resized to T*vocab (all_logits) or vocab. Throws a validation apr::Error for ids
  // outside [0, vocab) or when the cache would exceed max_context.
  virtual void run(std::span<const std::int32_t> tokens, bool all_logits, std::vector<float>& out) = 0;
};

}  // namespace apr::engine
