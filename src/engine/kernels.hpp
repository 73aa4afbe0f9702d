// apr-qa engine: deterministic f32 kernels of the reference mode.
//
// Every reduction has an order that depends only on its length:
// - dot(): kLanes partial sums, element i goes to lane i % kLanes, lanes combined in a fixed
//   halving tree (lane l += lane l + w, w = kLanes/2 ... 1). The same on every ISA (the AVX2
//   clone performs the same IEEE operations lane for lane; no FMA, -ffp-contract=off).
// - rmsnorm(): sum of squares in double, sequential; scale = 1/sqrt(mean + eps) in double,
//   rounded to float; y = (x * scale) * w, as HF (weight multiplied last).
// - softmax over attention scores: f32 max, expf, sum in double, multiply by 1/sum.
// - attention output: sum over positions j = 0..p in order.
// RoPE is rotate-half (NEOX): pair (i, i + d/2), angle p * theta^(-2i/d) computed in double.
#pragma once

#include <cstdint>

namespace apr::engine {

inline constexpr int kLanes = 32;

float dot(const float* a, const float* b, std::int64_t n) noexcept;

// Four dot products of one weight row w with x[0..3] (n each) at once; out[k] is bit-identical
// to dot(w, x[k], n) (same lanes, same tree), only the loads of w are shared.
void dot4(const float* w, const float* const x[4], std::int64_t n, float* out) noexcept;

// y[i] = x[i] * s * w[i] with s = 1/sqrt(mean(x^2) + eps)
void rmsnorm(const float* x, const float* w, float* y, std::int64_t n, double eps) noexcept;

// Rotate one head vector x[0..d) in place at position pos. inv_freq has d/2 entries
// (theta^(-2i/d) in double).
void rope_neox(float* x, std::int64_t d, std::int64_t pos, const double* inv_freq) noexcept;

// In-place softmax of x[0..n); returns nothing. n >= 1.
void softmax(float* x, std::int64_t n) noexcept;

// x[i] = silu(g[i]) * u[i], silu(v) = v / (1 + exp(-v))
void swiglu(const float* g, const float* u, float* x, std::int64_t n) noexcept;

// out[i] += p * v[i] for i < d (mul then add, element by element).
void axpy(float* out, const float* v, float p, std::int64_t d) noexcept;

// out[i] = sum over j < n, in order of j, of p[j] * v[j * stride + i] for i < d: starting from
// 0.0f, out[i] = out[i] + p[j] * v_j[i] (mul then add), i.e. exactly d zeroed outputs followed by
// axpy(out, v_j, p[j], d) for j = 0..n-1, with the running sums kept in registers instead of
// being stored and reloaded after every row (the attention output of one query).
void weighted_sum(const float* v, std::int64_t stride, const float* p, std::int64_t n, std::int64_t d,
                  float* out) noexcept;

// weighted_sum() for nq queries over the same n rows of v: query q's weights at p + q * ldp, its
// outputs at out + q * ldo; each output has weighted_sum()'s bits (each row of v is loaded once
// for up to four queries, whose running sums are independent chains).
void weighted_sums(const float* v, std::int64_t stride, const float* p, std::int64_t ldp, std::int64_t nq,
                   std::int64_t n, std::int64_t d, float* out, std::int64_t ldo) noexcept;

// One attention head for one query at position pos (keys/values 0..pos):
// k and v point at position 0 of this kv head; consecutive positions are `stride` floats apart.
// scores is scratch of pos+1 floats; out gets d floats.
void attend_head(const float* q, const float* k, const float* v, std::int64_t stride,
                 std::int64_t d, std::int64_t pos, float scale, float* scores, float* out) noexcept;

}  // namespace apr::engine
