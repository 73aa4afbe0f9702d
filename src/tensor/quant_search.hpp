// apr-qa tensor layer (internal): the scale searches behind the K-quant reference quantizers.
//
// These reproduce the behaviour of ggml's non-imatrix helpers (formats.md §2.4) operation for
// operation: sums run sequentially in float from element 0, products associate left to right
// exactly as written there (w*l*x is (w*l)*x), and integer levels come from nearest_int. Any
// reordering changes the last bit of a scale and therefore the stored bytes.
#pragma once

#include <cstdint>

namespace apr::quant {

// Fit x ~= scale*L + min over n values with weights, L in [0, nmax]; asymmetric (Q2_K/Q4_K/Q5_K).
// Writes L, stores -min (>= 0) in the_min, returns scale. Laux is scratch of n bytes.
float make_qkx2_quants(int n, int nmax, const float* x, const float* weights, std::uint8_t* L,
                       float* the_min, std::uint8_t* Laux, float rmin, float rdelta, int nstep,
                       bool use_mad) noexcept;

// Symmetric fit with weights x^2 (ggml's rmse_type 1, no imatrix): L in [0, 2*nmax), stored as
// level + nmax; all-zero group (max |x| < 1e-15) gives L = 0 and returns 0. Used by Q6_K.
float make_qx_quants(int n, int nmax, const float* x, std::int8_t* L) noexcept;

// Q3_K's symmetric fit with weights x^2 and up to 5 coordinate-descent passes; L stored as
// level + nmax in [0, 2*nmax); all-zero group gives L = 0 and returns 0.
float make_q3_quants(int n, int nmax, const float* x, std::int8_t* L) noexcept;

}  // namespace apr::quant
