// The CUDA backend's kernels when apr-qa is built without CUDA (APR_QA_CUDA=OFF, or AUTO without
// nvcc): probe() says so, and nothing else may be called (make_gpu_forward refuses first).
#include <stdexcept>

#include "engine/cuda/gpu_kernels.hpp"

namespace apr::engine::gpu {

namespace {
[[noreturn]] void absent() { throw std::runtime_error("apr-qa was built without CUDA"); }
}  // namespace

bool built_with_cuda() noexcept { return false; }
DeviceInfo probe() noexcept {
  DeviceInfo d;
  d.reason = "no CUDA device: apr-qa was built without CUDA (APR_QA_CUDA=OFF or no nvcc)";
  return d;
}
void* device_alloc(std::size_t) { absent(); }
void device_free(void*) noexcept {}
void upload(void*, const void*, std::size_t) { absent(); }
void download(void*, const void*, std::size_t) { absent(); }
void device_copy(void*, const void*, std::size_t) { absent(); }
void sync() { absent(); }
void matmul(const float*, const float*, float*, const float*, i64, i64, i64) { absent(); }
void rmsnorm(const float*, const float*, float*, i64, i64, double) { absent(); }
void rope(float*, i64, i64, i64, i64, const float*, const float*) { absent(); }
void attention(const float*, const float*, const float*, float*, float*, i64, i64, i64, i64, i64, float) { absent(); }
void add_inplace(float*, const float*, i64) { absent(); }
void swiglu_inplace(float*, const float*, i64) { absent(); }

}  // namespace apr::engine::gpu
