// apr-qa engine, CUDA backend: the device kernels of the reference mode, behind a plain C++
// interface (no CUDA types), so that the forward pass (gpu_forward.cpp) is ordinary C++ and the
// build without CUDA links gpu_kernels_none.cpp instead.
//
// Contract (reference mode): every kernel performs the operations of the CPU kernels
// (kernels.hpp) in the same order, in f32 with IEEE rounding (nvcc --fmad=false: no contraction):
// - matmul: one warp per output; element i goes to lane i % 32, lanes combined by the halving
//   tree of kernels.hpp's dot() (shuffle-down 16, 8, 4, 2, 1): the CPU's bits exactly;
// - rmsnorm: sum of squares in double, sequential; y = (x * s) * w;
// - RoPE: cos/sin tables computed on the host (the CPU's values), applied as on the CPU;
// - attention: scores by the same warp dot, softmax with the f32 max, expf, a sequential double
//   sum; output summed over positions in order;
// - swiglu: v / (1 + expf(-v)) * u.
// Only expf differs from the CPU (CUDA's is within 2 ulp, glibc's correctly rounded), so logits
// agree to ~1e-6 relative, and reruns on one device are bit-identical (no atomics, fixed order).
// Every call is asynchronous on one stream; sync() waits and throws std::runtime_error naming
// the CUDA error.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace apr::engine::gpu {

struct DeviceInfo {
  bool available = false;
  std::string name;    // e.g. "NVIDIA H200 (sm_90, 139 GiB)"
  std::string reason;  // why not available
};

bool built_with_cuda() noexcept;
DeviceInfo probe() noexcept;

// Device memory; throws std::runtime_error when the allocation fails.
void* device_alloc(std::size_t bytes);
void device_free(void* p) noexcept;
void upload(void* dst, const void* src, std::size_t bytes);
void download(void* dst, const void* src, std::size_t bytes);
void device_copy(void* dst, const void* src, std::size_t bytes);
void sync();

using i64 = std::int64_t;

// Y[t*rows + o] = dot(W[o*cols ..], X[t*cols ..]) (+ bias[o]) for t < T, o < rows.
void matmul(const float* W, const float* X, float* Y, const float* bias, i64 rows, i64 cols, i64 T);
// y[t] = rmsnorm(x[t]) * w for T rows of n.
void rmsnorm(const float* x, const float* w, float* y, i64 T, i64 n, double eps);
// Rotate-half RoPE of T tokens × heads head vectors of hd at positions pos0 + t; the tables hold
// cos/sin of position p, pair i at [p * hd/2 + i].
void rope(float* x, i64 T, i64 heads, i64 hd, i64 pos0, const float* cos_tab, const float* sin_tab);
// Causal GQA attention of T queries at positions pos0 + t over the cache (positions 0 .. pos0+t,
// consecutive positions kd = nkv*hd floats apart). scores: scratch of T*nh*(pos0+T) floats.
void attention(const float* q, const float* k_cache, const float* v_cache, float* out, float* scores, i64 T, i64 nh,
               i64 nkv, i64 hd, i64 pos0, float scale);
void add_inplace(float* h, const float* y, i64 n);
void swiglu_inplace(float* g, const float* u, i64 n);

}  // namespace apr::engine::gpu
