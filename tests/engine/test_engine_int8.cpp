// Unit tests of the fast mode's int8 kernels (act_quant.hpp, int8_dot.hpp): the activation
// quantizer's error bound, and every weight type's integer dot against a double-precision sum
// over the same quantized operands (dequantized weights times d * q), at every ISA level, with
// row lengths that leave a half pair and row/token counts that leave partial tiles.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "engine/act_quant.hpp"
#include "engine/int8_dot.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/quantize.hpp"

using namespace apr::engine;
using apr::GgmlType;

namespace {
std::vector<float> randv(std::size_t n, unsigned seed, float sc = 1.0f) {
  std::mt19937 r(seed);
  std::normal_distribution<float> d(0, sc);
  std::vector<float> v(n);
  for (auto& x : v) x = d(r);
  return v;
}
}  // namespace

TEST_CASE("int8 activations: |x - d q| <= d / 2, d = amax / 127, group and block sums, zero padding") {
  for (std::int64_t n : {32, 64, 96, 576, 896}) {
    const std::int64_t T = 3;
    auto x = randv(static_cast<std::size_t>(T * n), 7 + static_cast<unsigned>(n), 3.0f);
    for (std::int64_t i = 0; i < 32; ++i) x[static_cast<std::size_t>(i)] = 0;  // an all-zero block
    x[40] = 1e3f;                                                               // an outlier
    QuantizedActs a;
    quantize_acts(x.data(), n, T, n, a);
    REQUIRE(a.pairs == (n + 63) / 64);
    for (std::int64_t t = 0; t < T; ++t) {
      for (std::int64_t b = 0; b < n / 32; ++b) {
        float amax = 0;
        std::int32_t sum[2] = {0, 0};
        for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(x[static_cast<std::size_t>(t * n + b * 32 + i)]));
        const float d = a.d_row(t)[b];
        CHECK(d == amax / 127.0f);
        for (int i = 0; i < 32; ++i) {
          const float xv = x[static_cast<std::size_t>(t * n + b * 32 + i)];
          const int q = a.q_row(t)[b * 32 + i];
          CHECK(q >= -127);
          CHECK(q <= 127);
          CHECK(std::fabs(static_cast<double>(xv) - static_cast<double>(d) * q) <= 0.5 * d * (1 + 1e-6));
          sum[i / 16] += q;
        }
        CHECK(a.gs_row(t)[2 * b] == -sum[0]);
        CHECK(a.gs_row(t)[2 * b + 1] == -sum[1]);
        CHECK(a.s_row(t)[b] == d * static_cast<float>(sum[0] + sum[1]));
      }
      if ((n / 32) % 2) {
        CHECK(a.d_row(t)[n / 32] == 0.0f);
        for (int i = 0; i < 32; ++i) CHECK(a.q_row(t)[n + i] == 0);
      }
    }
    CHECK(a.d_row(0)[0] == 0.0f);  // the all-zero block
    // The vectorised quantizer gives the portable loop's bits.
    QuantizedActs p;
    quantize_acts(x.data(), n, T, n, p, /*portable=*/true);
    CHECK(p.q == a.q);
    CHECK(p.d == a.d);
    CHECK(p.gs == a.gs);
    CHECK(p.s == a.s);
  }
}

namespace {

void check_type(GgmlType type, std::int64_t n) {
  CAPTURE(apr::dtype_name(type));
  CAPTURE(n);
  const std::int64_t rows = 7, T = 6;  // a 4-row tile and 3 single rows; a 4-token tile and 2
  auto wf = randv(static_cast<std::size_t>(rows * n), 11 + static_cast<unsigned>(n), 0.05f);
  for (std::int64_t i = 0; i < n; ++i) wf[static_cast<std::size_t>(i)] += 0.02f;  // row 0: an offset (mins)
  const auto wq = apr::quantize(type, wf, n);
  const std::size_t stride = wq.size() / static_cast<std::size_t>(rows);
  auto x = randv(static_cast<std::size_t>(T * n), 13 + static_cast<unsigned>(n), 2.0f);
  QuantizedActs a;
  quantize_acts(x.data(), n, T, n, a);
  REQUIRE(int8_supported(type, n));

  std::vector<float> ys(static_cast<std::size_t>(T * rows)), yv(ys.size()), y1(ys.size());
  const Int8Rows W{reinterpret_cast<const std::uint8_t*>(wq.data()), stride};
  int8_rows(type, W, 0, rows, a, 0, T, ys.data(), rows, Int8Isa::scalar);
  std::vector<float> deq(static_cast<std::size_t>(n));
  for (std::int64_t r = 0; r < rows; ++r) {
    apr::dequantize_row(type, wq.data() + static_cast<std::size_t>(r) * stride, deq.data(), n);
    for (std::int64_t t = 0; t < T; ++t) {
      double exact = 0, mag = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        const double xv = static_cast<double>(a.d_row(t)[i / 32]) * a.q_row(t)[i];
        exact += deq[static_cast<std::size_t>(i)] * xv;
        mag += std::fabs(deq[static_cast<std::size_t>(i)] * xv);
      }
      CAPTURE(r);
      CAPTURE(t);
      const double got = ys[static_cast<std::size_t>(t * rows + r)];
      CHECK(std::fabs(got - exact) <= 2e-6 * mag + 1e-12);
    }
  }
  // Tokens one at a time (decode) give the batch's bits; so does the AVX-512 VNNI kernel.
  for (std::int64_t t = 0; t < T; ++t) int8_rows(type, W, 0, rows, a, t, 1, y1.data() + t * rows, rows, Int8Isa::scalar);
  CHECK(std::memcmp(ys.data(), y1.data(), ys.size() * sizeof(float)) == 0);
  // A row-order map (rows reversed) and a row range starting past 0 pick the mapped rows.
  std::vector<std::int32_t> rev(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) rev[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(rows - 1 - r);
  const Int8Rows Wrev{W.base, stride, rev.data()};
  for (auto isa : {Int8Isa::scalar, Int8Isa::best}) {
    std::vector<float> ym(static_cast<std::size_t>(T * (rows - 1)));
    int8_rows(type, Wrev, 1, rows, a, 0, T, ym.data(), rows - 1, isa);
    int bad = 0;
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t r = 1; r < rows; ++r)
        bad += ym[static_cast<std::size_t>(t * (rows - 1) + r - 1)] != ys[static_cast<std::size_t>(t * rows + rows - 1 - r)];
    CHECK(bad == 0);
  }
  if (int8_avx512_available()) {
    int8_rows(type, W, 0, rows, a, 0, T, yv.data(), rows, Int8Isa::avx512);
    CHECK(std::memcmp(ys.data(), yv.data(), ys.size() * sizeof(float)) == 0);
    for (std::int64_t t = 0; t < T; ++t) int8_rows(type, W, 0, rows, a, t, 1, y1.data() + t * rows, rows, Int8Isa::avx512);
    CHECK(std::memcmp(ys.data(), y1.data(), ys.size() * sizeof(float)) == 0);
  }
}

}  // namespace

TEST_CASE("int8 dot kernels: every type against a double sum over the same quantized operands") {
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1})
    for (std::int64_t n : {32, 64, 96, 576, 896})  // 32 and 96 and 576 end with a half pair
      check_type(t, n);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K})
    for (std::int64_t n : {256, 512, 768, 4864}) check_type(t, n);
  const std::string isa = int8_avx512_available() ? "yes" : "no (CPU lacks them)";
  MESSAGE("AVX-512 VNNI kernels checked: " << isa);
}

TEST_CASE("int8 kernels: supported types and lengths") {
  CHECK(int8_supported(GgmlType::Q8_0, 32));
  CHECK_FALSE(int8_supported(GgmlType::Q8_0, 48));
  CHECK_FALSE(int8_supported(GgmlType::Q4_K, 896));
  CHECK(int8_supported(GgmlType::Q6_K, 4864));
  CHECK_FALSE(int8_supported(GgmlType::F32, 64));
  CHECK_FALSE(int8_supported(GgmlType::F16, 64));
  CHECK_FALSE(int8_supported(GgmlType::Q5_K, 256));
}

TEST_CASE("int8 activations: halves round to even in both quantizers") {
  std::vector<float> x(32, 0.0f);
  x[0] = 127.0f;  // d = 1 exactly
  x[1] = 2.5f, x[2] = 3.5f, x[3] = -2.5f, x[4] = -0.5f, x[5] = 0.5f, x[6] = 126.5f;
  for (bool portable : {true, false}) {
    QuantizedActs a;
    quantize_acts(x.data(), 32, 1, 32, a, portable);
    CHECK(a.d_row(0)[0] == 1.0f);
    const std::int8_t* q = a.q_row(0);
    CHECK(q[0] == 127);
    CHECK(q[1] == 2);
    CHECK(q[2] == 4);
    CHECK(q[3] == -2);
    CHECK(q[4] == 0);
    CHECK(q[5] == 0);
    CHECK(q[6] == 126);
  }
}
