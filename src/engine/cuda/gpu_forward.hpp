// apr-qa engine, CUDA backend: the forward pass of forward.hpp on a CUDA device, reference mode.
//
// The weight matrices are dequantized on the host, exactly (the values the CPU engine computes
// with), and uploaded once as f32; the embedding table stays on the host (rows are gathered there
// and uploaded per batch). The KV cache (f32, max_context positions) and the activations live on
// the device. Every kernel follows the CPU's operation order (gpu_kernels.hpp), so logits agree
// with the CPU engine to ~1e-6 relative (only expf differs) and reruns are bit-identical.
#pragma once

#include <cstdint>
#include <memory>

#include "engine/cuda/gpu_kernels.hpp"
#include "engine/forward_pass.hpp"
#include "engine/weights.hpp"

namespace apr::engine {

// The device the gpu backend uses (device 0), or why there is none; never throws.
gpu::DeviceInfo gpu_device();

// Throws an io apr::Error (exit 3) "no CUDA device…" when there is no usable device, and a
// validation Error for a max_context the device cannot hold.
std::unique_ptr<ForwardPass> make_gpu_forward(const model::ModelConfig& c, const ModelWeights& w,
                                              std::int64_t max_context);

}  // namespace apr::engine
