// Unit tests for the reference quantizers (src/tensor/quantize.hpp): hand-computed bytes for
// simple blocks, quantize->dequantize error bounds derived from each format's step size,
// round-trip stability, thread invariance and argument errors. Byte-identity with ggml on
// >= 10,000 blocks per type is shown by tests/oracle/test_tensor_quants.py.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/fp16.hpp"
#include "tensor/quantize.hpp"

using namespace apr;

namespace {

std::vector<std::uint8_t> quant(GgmlType t, const std::vector<float>& x) {
  std::vector<std::uint8_t> out(row_bytes(t, x.size()));
  quantize_row(t, x.data(), reinterpret_cast<std::byte*>(out.data()), static_cast<std::int64_t>(x.size()));
  return out;
}

std::vector<float> dequant(GgmlType t, const std::vector<std::uint8_t>& b, std::size_t n) {
  std::vector<float> y(n);
  dequantize_row(t, reinterpret_cast<const std::byte*>(b.data()), y.data(), static_cast<std::int64_t>(n));
  return y;
}

std::vector<float> gaussian(std::size_t n, unsigned seed, float sigma = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, sigma);
  std::vector<float> x(n);
  for (auto& v : x) v = nd(rng);
  return x;
}

const GgmlType kQuantTypes[] = {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1,
                                GgmlType::Q2_K, GgmlType::Q3_K, GgmlType::Q4_K, GgmlType::Q5_K, GgmlType::Q6_K};

// Relative RMSE bound for N(0,1) data: 1.5x the uniform-noise estimate step/sqrt(12), where step
// = (typical value range of one scale group) / (levels - 1). Group ranges for N(0,1): about 4
// (asymmetric 32-groups), 3.5 (asymmetric 16-groups), 2*2.5 and 2*2 for symmetric 32/16-groups.
double rmse_bound(GgmlType t) {
  const double s12 = std::sqrt(12.0);
  switch (t) {
    case GgmlType::Q8_0: return 1.5 * (2 * 2.5 / 254) / s12;
    case GgmlType::Q4_0: return 1.5 * (2 * 2.5 / 16) / s12;
    case GgmlType::Q5_0: return 1.5 * (2 * 2.5 / 32) / s12;
    case GgmlType::Q4_1: return 1.5 * (5.0 / 15) / s12;
    case GgmlType::Q5_1: return 1.5 * (5.0 / 31) / s12;
    case GgmlType::Q2_K: return 1.5 * (3.5 / 3) / s12;
    case GgmlType::Q3_K: return 1.5 * (2 * 2.0 / 8) / s12;
    case GgmlType::Q4_K: return 1.5 * (4.0 / 15) / s12;
    case GgmlType::Q5_K: return 1.5 * (4.0 / 31) / s12;
    case GgmlType::Q6_K: return 1.5 * (2 * 2.0 / 64) / s12;
    default: return 0;
  }
}

double rel_rmse(const std::vector<float>& x, const std::vector<float>& y) {
  double e = 0, s = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    e += (double(x[i]) - y[i]) * (double(x[i]) - y[i]);
    s += double(x[i]) * x[i];
  }
  return std::sqrt(e / s);
}

}  // namespace

TEST_CASE("Q8_0 bytes computed by hand") {
  std::vector<float> x(32);
  for (int j = 0; j < 32; ++j) x[j] = static_cast<float>(j - 16);  // amax 16 at j = 0
  const auto b = quant(GgmlType::Q8_0, x);
  // d = 16/127 = 0.12598 = 2^-3 * 1.00787 -> fp16 mantissa round(0.00787*1024) = 8 -> 0x3008
  CHECK(b[0] == 0x08);
  CHECK(b[1] == 0x30);
  // q = roundf(x * 127/16): -16 -> -127, -15 -> -119.06 -> -119, 15 -> 119, 0 -> 0
  CHECK(b[2 + 0] == 0x81);
  CHECK(b[2 + 1] == 0x89);
  CHECK(b[2 + 31] == 0x77);
  CHECK(b[2 + 16] == 0x00);
}

TEST_CASE("Q4_0 bytes computed by hand: d = max/-8 from the signed absmax") {
  std::vector<float> x(32, 0.0f);
  x[3] = 4.0f;    // absmax, positive -> d = -0.5, this element -> level 0
  x[20] = -2.0f;  // -2 / -0.5 = 4 -> 4 + 8.5 -> 12
  x[5] = 1.0f;    // -2 + 8.5 -> 6
  const auto b = quant(GgmlType::Q4_0, x);
  CHECK(b[0] == 0x00);
  CHECK(b[1] == 0xB8);                 // fp16(-0.5)
  CHECK((b[2 + 3] & 0xF) == 0);        // element 3
  CHECK((b[2 + 4] >> 4) == 12);        // element 20 = high nibble of byte 4
  CHECK((b[2 + 5] & 0xF) == 6);        // element 5
  CHECK((b[2 + 0] & 0xF) == 8);        // zeros -> 8
  const auto y = dequant(GgmlType::Q4_0, b, 32);
  CHECK(y[3] == 4.0f);
  CHECK(y[20] == -2.0f);
  CHECK(y[0] == 0.0f);
}

TEST_CASE("all-zero blocks quantize to zeros for every type") {
  for (GgmlType t : kQuantTypes) {
    CAPTURE(dtype_name(t));
    const std::vector<float> x(512, 0.0f);
    const auto y = dequant(t, quant(t, x), x.size());
    for (float v : y) REQUIRE(v == 0.0f);
  }
}

TEST_CASE("quantize -> dequantize error is within the format's step-size bound") {
  std::vector<double> errs;
  for (GgmlType t : kQuantTypes) {
    CAPTURE(dtype_name(t));
    const auto x = gaussian(256 * 64, 7);
    const auto y = dequant(t, quant(t, x), x.size());
    const double e = rel_rmse(x, y);
    CAPTURE(e);
    CHECK(e < rmse_bound(t));
    CHECK(e > 0.0);  // lossy formats on Gaussian data are never exact
    errs.push_back(e);
  }
  // more bits, less error: Q2_K > Q3_K > Q4_K > Q5_K > Q6_K > Q8_0
  CHECK(errs[5] > errs[6]);
  CHECK(errs[6] > errs[7]);
  CHECK(errs[7] > errs[8]);
  CHECK(errs[8] > errs[9]);
  CHECK(errs[9] > errs[0]);
}

TEST_CASE("per-element error bounds for the 32-element formats") {
  const auto x = gaussian(32 * 200, 11, 3.0f);
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0, GgmlType::Q4_1, GgmlType::Q5_1}) {
    CAPTURE(dtype_name(t));
    const auto y = dequant(t, quant(t, x), x.size());
    for (std::size_t b = 0; b < x.size() / 32; ++b) {
      float mn = x[32 * b], mx = x[32 * b], amax = 0;
      for (int j = 0; j < 32; ++j) {
        mn = std::min(mn, x[32 * b + j]);
        mx = std::max(mx, x[32 * b + j]);
        amax = std::max(amax, std::fabs(x[32 * b + j]));
      }
      // rounding to a level costs <= half a step (Q4_0/Q5_0 truncate after +0.5 and clamp the
      // top level: up to one step); fp16 storage of d and m adds <= 2^-11 relative per level.
      double bound = 0;
      switch (t) {
        case GgmlType::Q8_0: bound = 0.5 * amax / 127 + amax * std::ldexp(1.0, -10); break;
        case GgmlType::Q4_0: bound = 1.0 * amax / 8 + amax * std::ldexp(1.0, -9); break;
        case GgmlType::Q5_0: bound = 1.0 * amax / 16 + amax * std::ldexp(1.0, -9); break;
        case GgmlType::Q4_1: bound = 0.5 * (mx - mn) / 15 + (std::fabs(mn) + mx - mn) * std::ldexp(1.0, -10); break;
        default: bound = 0.5 * (mx - mn) / 31 + (std::fabs(mn) + mx - mn) * std::ldexp(1.0, -10); break;
      }
      for (int j = 0; j < 32; ++j) {
        CAPTURE(b);
        CAPTURE(j);
        REQUIRE(std::fabs(double(x[32 * b + j]) - y[32 * b + j]) <= bound);
      }
    }
  }
}

TEST_CASE("round trip: quantize(dequantize(q)) == q for the symmetric 32-element formats") {
  // The extreme element lands exactly on +-127 (Q8_0) or -8 / -16 (Q4_0 / Q5_0) times d, so
  // requantizing the dequantized block finds the same d and the same levels.
  const auto x = gaussian(32 * 500, 3, 0.05f);
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q5_0}) {
    CAPTURE(dtype_name(t));
    const auto q1 = quant(t, x);
    const auto q2 = quant(t, dequant(t, q1, x.size()));
    CHECK(q1 == q2);
  }
  // F16 / BF16: every non-NaN 16-bit pattern survives dequantize -> quantize unchanged
  for (GgmlType t : {GgmlType::F16, GgmlType::BF16}) {
    std::vector<std::uint8_t> raw;
    for (std::uint32_t h = 0; h < 0x10000; ++h) {
      const bool nan = t == GgmlType::F16 ? ((h & 0x7C00) == 0x7C00 && (h & 0x3FF))
                                          : ((h & 0x7F80) == 0x7F80 && (h & 0x7F));
      if (nan) continue;
      raw.push_back(static_cast<std::uint8_t>(h));
      raw.push_back(static_cast<std::uint8_t>(h >> 8));
    }
    CHECK(quant(t, dequant(t, raw, raw.size() / 2)) == raw);
  }
}

TEST_CASE("quantize_rows: any thread count gives the same bytes; rows are independent") {
  const std::int64_t rows = 13, n = 512;
  const auto x = gaussian(static_cast<std::size_t>(rows * n), 5);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K, GgmlType::Q5_0, GgmlType::F16}) {
    CAPTURE(dtype_name(t));
    const auto a = quantize(t, x, n, 1);
    const auto b = quantize(t, x, n, 3);
    CHECK(a == b);
    // row 7 alone equals row 7 of the whole tensor
    const std::size_t rb = row_bytes(t, n);
    std::vector<std::byte> r(rb);
    quantize_row(t, x.data() + 7 * n, r.data(), n);
    CHECK(std::equal(r.begin(), r.end(), a.begin() + static_cast<std::ptrdiff_t>(7 * rb)));
  }
}

TEST_CASE("quantizer argument errors") {
  std::vector<float> x(256, 1.0f);
  std::vector<std::byte> out(1024);
  try {
    quantize_row(GgmlType::Q8_K, x.data(), out.data(), 256);
    FAIL("Q8_K accepted");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::unsupported);
    CHECK(std::string(e.what()).find("Q8_K") != std::string::npos);
    CHECK(std::string(e.what()).find("Q4_K") != std::string::npos);  // lists the supported ones
  }
  CHECK_THROWS_AS(quantize_row(GgmlType::IQ4_XS, x.data(), out.data(), 256), Error);
  CHECK_THROWS_AS(quantize_row(GgmlType::Q4_K, x.data(), out.data(), 100), Error);
  CHECK_THROWS_AS(quantize_rows(GgmlType::Q4_0, x.data(), out.data(), -1, 32), Error);
  CHECK_THROWS_AS(quantize(GgmlType::Q4_0, std::span<const float>(x.data(), 100), 32), Error);
  CHECK(can_quantize(GgmlType::Q3_K));
  CHECK_FALSE(can_quantize(GgmlType::Q8_1));
}
