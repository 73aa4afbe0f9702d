// CUDA kernels of the reference mode; gpu_kernels.hpp states the contract. Built with
// --fmad=false, and every float operation below is written with its IEEE intrinsic anyway, so
// that no a*b+c is ever fused and each value is rounded where the CPU rounds it.
#include "engine/cuda/gpu_kernels.hpp"

#include <cuda_runtime.h>

#include <cmath>
#include <stdexcept>

namespace apr::engine::gpu {
namespace {

constexpr int kWarp = 32;
constexpr int kBlock = 256;  // threads per block: 8 warps
constexpr int kWarpsPerBlock = kBlock / kWarp;

void check(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw std::runtime_error(std::string("CUDA ") + what + ": " + cudaGetErrorString(e));
}
void launched(const char* what) { check(cudaGetLastError(), what); }

// dot(a, b, n) with the CPU's lanes and tree; every lane of the warp calls it, lane 0 holds the sum.
__device__ float warp_dot(const float* a, const float* b, i64 n, int lane) {
  float acc = 0.0f;
  for (i64 i = lane; i < n; i += kWarp) acc = __fadd_rn(acc, __fmul_rn(a[i], b[i]));
  for (int w = kWarp / 2; w >= 1; w /= 2) acc = __fadd_rn(acc, __shfl_down_sync(0xffffffffu, acc, w));
  return acc;
}

__global__ void k_matmul(const float* W, const float* X, float* Y, const float* bias, i64 rows, i64 cols) {
  const int lane = threadIdx.x % kWarp;
  const i64 o = static_cast<i64>(blockIdx.x) * kWarpsPerBlock + threadIdx.x / kWarp;
  const i64 t = blockIdx.y;
  if (o >= rows) return;
  float y = warp_dot(W + o * cols, X + t * cols, cols, lane);
  if (lane == 0) Y[t * rows + o] = bias ? __fadd_rn(y, bias[o]) : y;
}

__global__ void k_rmsnorm(const float* x, const float* w, float* y, i64 n, double eps) {
  __shared__ float s_scale;
  const float* xr = x + static_cast<i64>(blockIdx.x) * n;
  float* yr = y + static_cast<i64>(blockIdx.x) * n;
  if (threadIdx.x == 0) {
    double ss = 0;
    for (i64 i = 0; i < n; ++i) {
      const double v = xr[i];
      ss = __dadd_rn(ss, __dmul_rn(v, v));
    }
    s_scale = static_cast<float>(__ddiv_rn(1.0, __dsqrt_rn(__dadd_rn(__ddiv_rn(ss, static_cast<double>(n)), eps))));
  }
  __syncthreads();
  const float s = s_scale;
  for (i64 i = threadIdx.x; i < n; i += blockDim.x) yr[i] = __fmul_rn(__fmul_rn(xr[i], s), w[i]);
}

__global__ void k_rope(float* x, i64 heads, i64 hd, i64 pos0, const float* ct, const float* st) {
  const i64 unit = blockIdx.x, t = unit / heads, h2 = hd / 2;
  const i64 p = pos0 + t;
  float* v = x + unit * hd;
  for (i64 i = threadIdx.x; i < h2; i += blockDim.x) {
    const float c = ct[p * h2 + i], s = st[p * h2 + i];
    const float x0 = v[i], x1 = v[i + h2];
    v[i] = __fsub_rn(__fmul_rn(x0, c), __fmul_rn(x1, s));
    v[i + h2] = __fadd_rn(__fmul_rn(x0, s), __fmul_rn(x1, c));
  }
}

__global__ void k_attention(const float* q, const float* kc, const float* vc, float* out, float* scores, i64 nh,
                            i64 nkv, i64 hd, i64 pos0, float scale, i64 ld) {
  __shared__ float s_inv;
  const i64 unit = blockIdx.x, t = unit / nh, hh = unit % nh;
  const i64 kvh = hh / (nh / nkv), kd = nkv * hd, P = pos0 + t + 1;
  const float* qv = q + t * nh * hd + hh * hd;
  float* sc = scores + unit * ld;
  const int lane = threadIdx.x % kWarp, warp = threadIdx.x / kWarp;
  for (i64 j = warp; j < P; j += kWarpsPerBlock) {
    const float d = warp_dot(qv, kc + j * kd + kvh * hd, hd, lane);
    if (lane == 0) sc[j] = __fmul_rn(d, scale);
  }
  __syncthreads();
  if (threadIdx.x == 0) {
    float mx = -INFINITY;
    for (i64 j = 0; j < P; ++j) mx = sc[j] > mx ? sc[j] : mx;
    s_inv = mx;
  }
  __syncthreads();
  const float mx = s_inv;
  for (i64 j = threadIdx.x; j < P; j += blockDim.x) sc[j] = expf(__fsub_rn(sc[j], mx));
  __syncthreads();
  if (threadIdx.x == 0) {
    double sum = 0;
    for (i64 j = 0; j < P; ++j) sum = __dadd_rn(sum, static_cast<double>(sc[j]));
    s_inv = static_cast<float>(__ddiv_rn(1.0, sum));
  }
  __syncthreads();
  const float inv = s_inv;
  for (i64 j = threadIdx.x; j < P; j += blockDim.x) sc[j] = __fmul_rn(sc[j], inv);
  __syncthreads();
  float* o = out + t * nh * hd + hh * hd;
  for (i64 i = threadIdx.x; i < hd; i += blockDim.x) {
    float acc = 0.0f;
    for (i64 j = 0; j < P; ++j) acc = __fadd_rn(acc, __fmul_rn(sc[j], vc[j * kd + kvh * hd + i]));
    o[i] = acc;
  }
}

__global__ void k_add(float* h, const float* y, i64 n) {
  const i64 i = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) h[i] = __fadd_rn(h[i], y[i]);
}

__global__ void k_swiglu(float* g, const float* u, i64 n) {
  const i64 i = static_cast<i64>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i < n) {
    const float v = g[i];
    g[i] = __fmul_rn(__fdiv_rn(v, __fadd_rn(1.0f, expf(-v))), u[i]);
  }
}

unsigned blocks_for(i64 n) { return static_cast<unsigned>((n + kBlock - 1) / kBlock); }

}  // namespace

bool built_with_cuda() noexcept { return true; }

DeviceInfo probe() noexcept {
  DeviceInfo d;
  int n = 0;
  const cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess || n == 0) {
    d.reason = e == cudaSuccess ? std::string("no CUDA device") : std::string("no CUDA device (") + cudaGetErrorString(e) + ")";
    cudaGetLastError();  // clear the sticky error
    return d;
  }
  cudaDeviceProp p{};
  if (cudaGetDeviceProperties(&p, 0) != cudaSuccess) {
    d.reason = "no CUDA device (properties unreadable)";
    return d;
  }
  d.available = true;
  d.name = std::string(p.name) + " (sm_" + std::to_string(p.major) + std::to_string(p.minor) + ", " +
           std::to_string(p.totalGlobalMem >> 30) + " GiB)";
  return d;
}

void* device_alloc(std::size_t bytes) {
  void* p = nullptr;
  check(cudaMalloc(&p, bytes == 0 ? 1 : bytes), ("cudaMalloc of " + std::to_string(bytes) + " bytes").c_str());
  return p;
}
void device_free(void* p) noexcept { if (p) cudaFree(p); }
void upload(void* dst, const void* src, std::size_t bytes) { check(cudaMemcpy(dst, src, bytes, cudaMemcpyHostToDevice), "upload"); }
void download(void* dst, const void* src, std::size_t bytes) { check(cudaMemcpy(dst, src, bytes, cudaMemcpyDeviceToHost), "download"); }
void device_copy(void* dst, const void* src, std::size_t bytes) {
  check(cudaMemcpyAsync(dst, src, bytes, cudaMemcpyDeviceToDevice), "device copy");
}
void sync() { check(cudaDeviceSynchronize(), "kernel"); }

void matmul(const float* W, const float* X, float* Y, const float* bias, i64 rows, i64 cols, i64 T) {
  const dim3 grid(static_cast<unsigned>((rows + kWarpsPerBlock - 1) / kWarpsPerBlock), static_cast<unsigned>(T));
  k_matmul<<<grid, kBlock>>>(W, X, Y, bias, rows, cols);
  launched("matmul");
}
void rmsnorm(const float* x, const float* w, float* y, i64 T, i64 n, double eps) {
  k_rmsnorm<<<static_cast<unsigned>(T), kBlock>>>(x, w, y, n, eps);
  launched("rmsnorm");
}
void rope(float* x, i64 T, i64 heads, i64 hd, i64 pos0, const float* cos_tab, const float* sin_tab) {
  k_rope<<<static_cast<unsigned>(T * heads), kWarp * 2>>>(x, heads, hd, pos0, cos_tab, sin_tab);
  launched("rope");
}
void attention(const float* q, const float* k_cache, const float* v_cache, float* out, float* scores, i64 T, i64 nh,
               i64 nkv, i64 hd, i64 pos0, float scale) {
  k_attention<<<static_cast<unsigned>(T * nh), kBlock>>>(q, k_cache, v_cache, out, scores, nh, nkv, hd, pos0, scale, pos0 + T);
  launched("attention");
}
void add_inplace(float* h, const float* y, i64 n) {
  k_add<<<blocks_for(n), kBlock>>>(h, y, n);
  launched("add");
}
void swiglu_inplace(float* g, const float* u, i64 n) {
  k_swiglu<<<blocks_for(n), kBlock>>>(g, u, n);
  launched("swiglu");
}

}  // namespace apr::engine::gpu
