// Unit tests of the packed row-lane int8 kernels (int8_pack.hpp): every packed type against a
// double-precision sum over the same quantized operands; the AVX-512 VNNI kernel gives the scalar
// kernel's bits; a value does not depend on the token count (decode vs prefill tiles), on the
// row range (thread splits), and row-order maps are baked into the packing; packed bytes equal
// the source's; the AMX kernel (16-token tiles, VNNI for the tail) gives the scalar bits for token
// counts around the tile size and row ranges cut inside 16-row groups.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "engine/act_quant.hpp"
#include "engine/int8_pack.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/quantize.hpp"

using namespace apr::engine;
using apr::GgmlType;

namespace {

std::vector<float> randv(std::size_t n, unsigned seed, float sc) {
  std::mt19937 r(seed);
  std::normal_distribution<float> d(0, sc);
  std::vector<float> v(n);
  for (auto& x : v) x = d(r);
  return v;
}

bool same(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

void check_packed(GgmlType type, std::int64_t n) {
  CAPTURE(apr::dtype_name(type));
  CAPTURE(n);
  const std::int64_t rows = 37, T = 11;  // two full 16-row groups and a padded one; a token tile of 8 and 3
  auto wf = randv(static_cast<std::size_t>(rows * n), 21 + static_cast<unsigned>(n), 0.05f);
  for (std::int64_t i = 0; i < n; ++i) wf[static_cast<std::size_t>(i)] += 0.02f;  // row 0: an offset (mins)
  const auto wq = apr::quantize(type, wf, n);
  const std::size_t stride = wq.size() / static_cast<std::size_t>(rows);
  auto x = randv(static_cast<std::size_t>(T * n), 23 + static_cast<unsigned>(n), 2.0f);
  QuantizedActs a;
  quantize_acts(x.data(), n, T, n, a);
  REQUIRE(int8_packable(type, n));
  const Int8Rows W{reinterpret_cast<const std::uint8_t*>(wq.data()), stride};
  const Int8Packed p = int8_pack(type, W, rows, n);
  CHECK(p.bytes == 3 * 16 * stride);  // the source's bytes per row (padding rows included)

  std::vector<float> ys(static_cast<std::size_t>(T * rows));
  int8_packed_rows(p, 0, rows, a, 0, T, ys.data(), rows, Int8Isa::scalar);
  std::vector<float> deq(static_cast<std::size_t>(n));
  int far = 0;
  for (std::int64_t r = 0; r < rows; ++r) {
    apr::dequantize_row(type, wq.data() + static_cast<std::size_t>(r) * stride, deq.data(), n);
    for (std::int64_t t = 0; t < T; ++t) {
      double exact = 0, mag = 0;
      for (std::int64_t i = 0; i < n; ++i) {
        const double xv = static_cast<double>(a.d_row(t)[i / 32]) * a.q_row(t)[i];
        exact += deq[static_cast<std::size_t>(i)] * xv;
        mag += std::fabs(deq[static_cast<std::size_t>(i)] * xv);
      }
      const double got = ys[static_cast<std::size_t>(t * rows + r)];
      far += !(std::fabs(got - exact) <= 2e-6 * mag + 1e-12);
    }
  }
  CHECK(far == 0);
  for (auto isa : {Int8Isa::scalar, Int8Isa::avx2, Int8Isa::best, Int8Isa::amx}) {  // best: AVX-512 VNNI where present
    CAPTURE(static_cast<int>(isa));
    std::vector<float> yb(ys.size()), y1(ys.size()), yr(ys.size());
    int8_packed_rows(p, 0, rows, a, 0, T, yb.data(), rows, isa);
    CHECK(same(ys, yb));  // the AVX-512 VNNI kernel (where the CPU has it) gives the scalar bits
    // Tokens one at a time (decode) and row ranges cut anywhere (thread splits) give the same bits.
    for (std::int64_t t = 0; t < T; ++t) int8_packed_rows(p, 0, rows, a, t, 1, y1.data() + t * rows, rows, isa);
    CHECK(same(ys, y1));
    for (std::int64_t c : {0LL, 5LL, 16LL, 30LL, 37LL}) {
      const std::int64_t lo = c, hi = c == 37 ? 37 : c + 7;
      std::vector<float> part(static_cast<std::size_t>(T * (hi - lo)) + 1);
      int8_packed_rows(p, lo, hi, a, 0, T, part.data(), hi - lo, isa);
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t r = lo; r < hi; ++r)
          yr[static_cast<std::size_t>(t * rows + r)] = part[static_cast<std::size_t>(t * (hi - lo) + r - lo)];
    }
    int bad = 0;
    for (std::int64_t t = 0; t < T; ++t)
      for (std::int64_t r = 0; r < rows; ++r) {
        const bool covered = r < 12 || (r >= 16 && r < 23) || (r >= 30 && r < 37);
        if (covered) bad += yr[static_cast<std::size_t>(t * rows + r)] != ys[static_cast<std::size_t>(t * rows + r)];
      }
    CHECK(bad == 0);
  }
  // A row-order map (rows reversed) is baked into the packing.
  std::vector<std::int32_t> rev(static_cast<std::size_t>(rows));
  for (std::int64_t r = 0; r < rows; ++r) rev[static_cast<std::size_t>(r)] = static_cast<std::int32_t>(rows - 1 - r);
  const Int8Packed pr = int8_pack(type, Int8Rows{W.base, stride, rev.data()}, rows, n);
  std::vector<float> ym(ys.size());
  int8_packed_rows(pr, 0, rows, a, 0, T, ym.data(), rows);
  int bad = 0;
  for (std::int64_t t = 0; t < T; ++t)
    for (std::int64_t r = 0; r < rows; ++r)
      bad += ym[static_cast<std::size_t>(t * rows + r)] != ys[static_cast<std::size_t>(t * rows + rows - 1 - r)];
  CHECK(bad == 0);
}

// AMX vs scalar for token counts T (whole 16-token tiles, short tails to VNNI, longer ones in a
// zero-padded tile, several chunks) and row ranges.
void check_amx(GgmlType type, std::int64_t n) {
  CAPTURE(apr::dtype_name(type));
  CAPTURE(n);
  const std::int64_t rows = 37;
  const auto wq = apr::quantize(type, randv(static_cast<std::size_t>(rows * n), 31 + static_cast<unsigned>(n), 0.05f), n);
  const std::size_t stride = wq.size() / static_cast<std::size_t>(rows);
  const Int8Packed p = int8_pack(type, Int8Rows{reinterpret_cast<const std::uint8_t*>(wq.data()), stride}, rows, n);
  const std::int64_t Tmax = 150;
  auto x = randv(static_cast<std::size_t>(Tmax * n), 33 + static_cast<unsigned>(n), 2.0f);
  QuantizedActs a;
  quantize_acts(x.data(), n, Tmax, n, a);
  for (std::int64_t T : {16LL, 17LL, 24LL, 33LL, 47LL, 64LL, 120LL, 150LL}) {  // tails of 1-15 tokens
    CAPTURE(T);
    const std::int64_t t0 = Tmax - T;  // an offset into the activation rows
    std::vector<float> ys(static_cast<std::size_t>(T * rows)), ya(ys.size());
    int8_packed_rows(p, 0, rows, a, t0, T, ys.data(), rows, Int8Isa::scalar);
    int8_packed_rows(p, 0, rows, a, t0, T, ya.data(), rows, Int8Isa::amx);
    CHECK(same(ys, ya));
    std::vector<float> yb(ys.size());
    int8_packed_rows(p, 0, rows, a, t0, T, yb.data(), rows, Int8Isa::best);
    CHECK(same(ys, yb));
    // Row ranges that start and end inside 16-row groups (thread splits).
    for (auto [lo, hi] : {std::pair<std::int64_t, std::int64_t>{3, 13}, {5, 30}, {17, 37}, {31, 33}}) {
      CAPTURE(lo);
      const std::int64_t w = hi - lo;
      std::vector<float> part(static_cast<std::size_t>(T * w));
      int8_packed_rows(p, lo, hi, a, t0, T, part.data(), w, Int8Isa::amx);
      int bad = 0;
      for (std::int64_t t = 0; t < T; ++t)
        for (std::int64_t r = lo; r < hi; ++r)
          bad += part[static_cast<std::size_t>(t * w + r - lo)] != ys[static_cast<std::size_t>(t * rows + r)];
      CHECK(bad == 0);
    }
  }
}

}  // namespace

TEST_CASE("packed int8 kernels: AMX gives the scalar bits (every type; tiles, tails, chunks, row ranges)") {
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1})
    for (std::int64_t n : {32, 96, 896}) check_amx(t, n);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K})
    for (std::int64_t n : {256, 768, 4864}) check_amx(t, n);
  const std::string isa = int8_amx_available() ? "yes" : "no (CPU or OS lacks it: amx ran as best)";
  MESSAGE("AMX-INT8 packed kernel checked: " << isa);
}

TEST_CASE("packed int8 kernels: every type against a double sum; same bits across ISA, tokens, row ranges, maps") {
  for (GgmlType t : {GgmlType::Q8_0, GgmlType::Q4_0, GgmlType::Q4_1, GgmlType::Q5_0, GgmlType::Q5_1})
    for (std::int64_t n : {32, 96, 896}) check_packed(t, n);
  for (GgmlType t : {GgmlType::Q4_K, GgmlType::Q6_K})
    for (std::int64_t n : {256, 768, 4864}) check_packed(t, n);
  const std::string isa = int8_avx512_available() ? "yes" : "no (CPU lacks it)";
  MESSAGE("AVX-512 VNNI packed kernel checked: " << isa);
}

TEST_CASE("packed int8 kernels: packable types and lengths") {
  CHECK(int8_packable(GgmlType::Q8_0, 32));
  CHECK_FALSE(int8_packable(GgmlType::Q8_0, 48));
  CHECK(int8_packable(GgmlType::Q4_K, 256));
  CHECK_FALSE(int8_packable(GgmlType::Q4_K, 896));
  CHECK(int8_packable(GgmlType::Q6_K, 4864));
  CHECK(int8_packable(GgmlType::Q4_1, 64));
  CHECK_FALSE(int8_packable(GgmlType::Q5_1, 80));
  CHECK_FALSE(int8_packable(GgmlType::Q5_K, 256));
  CHECK_FALSE(int8_packable(GgmlType::F16, 64));
}
