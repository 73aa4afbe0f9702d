// Unit tests of the engine's reference kernels against their direct formulas.
#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <vector>

#include "engine/attention.hpp"
#include "engine/gemm.hpp"
#include "engine/kernels.hpp"

using namespace apr::engine;

namespace {
std::vector<float> randv(std::size_t n, unsigned seed, float sc = 1.0f) {
  std::mt19937 r(seed);
  std::normal_distribution<float> d(0, sc);
  std::vector<float> v(n);
  for (auto& x : v) x = d(r);
  return v;
}
}  // namespace

TEST_CASE("dot: close to the exact sum and follows the documented lane order bit for bit") {
  for (std::size_t n : {1u, 7u, 16u, 31u, 32u, 33u, 48u, 64u, 80u, 100u, 128u, 576u, 4864u}) {
    auto a = randv(n, 1 + n), b = randv(n, 2 + n);
    double exact = 0, mag = 0;
    for (std::size_t i = 0; i < n; ++i) {
      exact += static_cast<double>(a[i]) * b[i];
      mag += std::fabs(static_cast<double>(a[i]) * b[i]);
    }
    const float d = dot(a.data(), b.data(), static_cast<std::int64_t>(n));
    CHECK(std::fabs(d - exact) <= 1e-6 * mag + 1e-30);
    // The contract: lane i % kLanes, then a halving tree.
    float acc[kLanes] = {};
    for (std::size_t i = 0; i < n; ++i) acc[i % kLanes] += a[i] * b[i];
    for (int w = kLanes / 2; w >= 1; w /= 2)
      for (int l = 0; l < w; ++l) acc[l] += acc[l + w];
    CHECK(d == acc[0]);
  }
}

TEST_CASE("rmsnorm matches x / sqrt(mean(x^2) + eps) * w") {
  auto x = randv(576, 3, 5.0f), w = randv(576, 4);
  std::vector<float> y(576);
  rmsnorm(x.data(), w.data(), y.data(), 576, 1e-5);
  double ss = 0;
  for (float v : x) ss += static_cast<double>(v) * v;
  const double s = 1.0 / std::sqrt(ss / 576 + 1e-5);
  for (std::size_t i = 0; i < 576; ++i) CHECK(std::fabs(y[i] - x[i] * s * w[i]) <= 1e-6 * (std::fabs(x[i] * s * w[i]) + 1e-6));
}

TEST_CASE("rope_neox rotates pairs (i, i+d/2) by pos * theta^(-2i/d) and keeps the norm") {
  const std::int64_t d = 64;
  std::vector<double> inv(d / 2);
  for (std::int64_t i = 0; i < d / 2; ++i) inv[i] = std::pow(10000.0, -2.0 * i / d);
  auto x = randv(d, 5);
  for (std::int64_t pos : {0, 1, 17, 1000}) {
    auto y = x;
    rope_neox(y.data(), d, pos, inv.data());
    double n0 = 0, n1 = 0;
    for (std::int64_t i = 0; i < d / 2; ++i) {
      const double th = pos * std::pow(10000.0, -2.0 * i / d);
      const double e0 = x[i] * std::cos(th) - x[i + d / 2] * std::sin(th);
      const double e1 = x[i] * std::sin(th) + x[i + d / 2] * std::cos(th);
      CHECK(std::fabs(y[i] - e0) < 1e-5);
      CHECK(std::fabs(y[i + d / 2] - e1) < 1e-5);
    }
    for (std::int64_t i = 0; i < d; ++i) { n0 += x[i] * x[i]; n1 += y[i] * y[i]; }
    CHECK(std::fabs(n0 - n1) < 1e-4 * n0);
    if (pos == 0) CHECK(y == x);
  }
}

TEST_CASE("softmax matches exp(x - max) / sum and survives large inputs") {
  auto x = randv(50, 6, 10.0f);
  x[3] = 1e4f;  // would overflow without the max shift
  auto y = x;
  softmax(y.data(), 50);
  double mx = -1e30, sum = 0;
  for (float v : x) mx = std::max<double>(mx, v);
  for (float v : x) sum += std::exp(v - mx);
  for (std::size_t i = 0; i < 50; ++i) CHECK(std::fabs(y[i] - std::exp(x[i] - mx) / sum) < 1e-6);
  CHECK(y[3] == doctest::Approx(1.0));
}

TEST_CASE("swiglu is silu(g) * u") {
  auto g = randv(100, 7, 3.0f), u = randv(100, 8);
  std::vector<float> y(100);
  swiglu(g.data(), u.data(), y.data(), 100);
  for (std::size_t i = 0; i < 100; ++i) {
    const double e = g[i] / (1 + std::exp(-static_cast<double>(g[i]))) * u[i];
    CHECK(std::fabs(y[i] - e) < 1e-5 * (std::fabs(e) + 1e-3));
  }
}

#include <cstring>

#include "engine/dequant_fast.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/quantize.hpp"

TEST_CASE("engine's fast Q4_0/Q4_1 dequantization is bit-identical to the tensor layer's") {
  for (auto t : {apr::GgmlType::Q4_0, apr::GgmlType::Q4_1}) {
    auto x = randv(64 * 96, 9, 3.0f);
    x[5] = 0.0f;
    x[100] = -1e4f;
    auto q = apr::quantize(t, x, 64 * 96);
    // Also random bytes (arbitrary scales, including inf/NaN halves).
    std::mt19937 r(3);
    std::vector<std::byte> raw(q.size());
    for (auto& b : raw) b = static_cast<std::byte>(r() & 0xFF);
    for (const auto* src : {&q, &raw}) {
      std::vector<float> a(64 * 96), b(64 * 96);
      REQUIRE(dequantize_fast(t, src->data(), a.data(), 64 * 96));
      apr::dequantize_row(t, src->data(), b.data(), 64 * 96);
      CHECK(std::memcmp(a.data(), b.data(), a.size() * 4) == 0);
    }
  }
  std::vector<float> out(32);
  std::vector<std::byte> b(64);
  CHECK_FALSE(dequantize_fast(apr::GgmlType::Q8_0, b.data(), out.data(), 32));
}

namespace {

// Every micro-kernel shape (rows and tokens below, at and above each kernel's tile, with
// remainders), n % 32 in {0, 8, 16, 24} where the kernel takes it, n past one AVX2 segment (512),
// large and small magnitudes: each value must be dot()'s bits, and nothing else written.
void check_blocked_product(GemmRows gemm, std::int64_t granule) {
  int cases = 0;
  for (std::int64_t n : {8, 16, 24, 40, 48, 64, 576, 880, 1032, 4864}) {
    if (n % granule != 0) continue;
    for (std::int64_t rows : {1, 2, 3, 4, 7, 9})
      for (std::int64_t T : {1, 2, 3, 5, 6, 13}) {
        const auto un = static_cast<std::size_t>(n);
        std::vector<std::vector<float>> w;
        std::vector<const float*> wp;
        for (std::int64_t r = 0; r < rows; ++r) w.push_back(randv(un, 100 + static_cast<unsigned>(r * 7 + n), r % 2 ? 1e3f : 1e-2f));
        for (auto& v : w) wp.push_back(v.data());
        const auto x = randv(un * static_cast<std::size_t>(T), 300 + static_cast<unsigned>(n + T));
        const std::int64_t ldy = rows + 3;
        std::vector<float> y(static_cast<std::size_t>(T * ldy), -7.0f);
        gemm(wp.data(), rows, x.data(), n, T, n, y.data(), ldy);
        int bad = 0;
        for (std::int64_t t = 0; t < T; ++t) {
          for (std::int64_t r = 0; r < rows; ++r)
            bad += y[static_cast<std::size_t>(t * ldy + r)] != dot(wp[static_cast<std::size_t>(r)], x.data() + t * n, n);
          for (std::int64_t r = rows; r < ldy; ++r) bad += y[static_cast<std::size_t>(t * ldy + r)] != -7.0f;  // untouched
        }
        CHECK_MESSAGE(bad == 0, "n=" << n << " rows=" << rows << " T=" << T);
        ++cases;
      }
  }
  CHECK(cases > 100);
}

}  // namespace

TEST_CASE("blocked prefill product (AVX-512) equals dot() per value bit for bit") {
  if (!gemm_avx512_available()) {
    MESSAGE("no AVX-512F on this CPU: the AVX-512 product is not used, nothing to compare");
    return;
  }
  check_blocked_product(&gemm_rows_avx512, 16);
}

TEST_CASE("blocked prefill product (AVX2) equals dot() per value bit for bit") {
  if (!gemm_avx2_available()) {
    MESSAGE("no AVX2 on this CPU: the AVX2 product is not used, nothing to compare");
    return;
  }
  check_blocked_product(&gemm_rows_avx2, 8);
}

TEST_CASE("key scores (AVX-512, sixteen keys per reduction) equal dot() per key bit for bit") {
  if (!gemm_avx512_available()) {
    MESSAGE("no AVX-512F on this CPU: the key-score kernel is not used, nothing to compare");
    return;
  }
  int cases = 0;
  for (std::int64_t n : {16, 48, 64, 80, 128, 256})
    for (std::int64_t nk : {1, 5, 15, 16, 17, 31, 32, 33, 100, 257}) {
      const std::int64_t stride = n * 2 + 16;  // rows of a cache holding other heads in between
      const auto un = static_cast<std::size_t>(n);
      // Keys of very different magnitudes per row (the tree's order shows in the low bits), and
      // exact zeros in the query, whose products with negative keys are -0.
      std::vector<float> k(static_cast<std::size_t>(nk * stride));
      for (std::int64_t j = 0; j < nk; ++j) {
        const auto row = randv(un, 500 + static_cast<unsigned>(j * 13 + n), j % 3 == 0 ? 1e4f : (j % 3 == 1 ? 1e-3f : 1.0f));
        std::copy(row.begin(), row.end(), k.begin() + j * stride);
      }
      auto q = randv(un, 900 + static_cast<unsigned>(n + nk));
      for (std::size_t i = 0; i < un; i += 7) q[i] = 0.0f;
      std::vector<float> y(static_cast<std::size_t>(nk + 4), -7.0f);
      key_scores_avx512(k.data(), stride, nk, q.data(), n, y.data());
      int bad = 0;
      for (std::int64_t j = 0; j < nk; ++j) {
        const float ref = dot(k.data() + j * stride, q.data(), n), got = y[static_cast<std::size_t>(j)];
        bad += std::memcmp(&ref, &got, sizeof ref) != 0;
      }
      for (std::int64_t j = nk; j < nk + 4; ++j) bad += y[static_cast<std::size_t>(j)] != -7.0f;  // untouched
      CHECK_MESSAGE(bad == 0, "n=" << n << " nk=" << nk);
      ++cases;
    }
  CHECK(cases == 60);
  CHECK((key_scores_for(64) == &key_scores_avx512));
  CHECK((key_scores_for(24) == nullptr));
}

TEST_CASE("gemm_rows_for picks a product only for lengths it takes") {
  CHECK((gemm_rows_for(12) == nullptr));  // n % 8 != 0: dot() per value
  if (gemm_avx2_available() || gemm_avx512_available()) CHECK((gemm_rows_for(64) != nullptr));
  if (!gemm_avx512_available() && gemm_avx2_available()) CHECK((gemm_rows_for(24) == &gemm_rows_avx2));
}

TEST_CASE("weighted_sum equals zeroed outputs plus one axpy per row, bit for bit") {
  for (std::int64_t d : {1, 8, 16, 24, 64, 80, 136, 200})
    for (std::int64_t n : {1, 2, 17, 300}) {
      const std::int64_t stride = d + 5;
      const auto V = randv(static_cast<std::size_t>(n * stride), 800 + static_cast<unsigned>(d + n), 3.0f);
      const auto P = randv(static_cast<std::size_t>(n), 900 + static_cast<unsigned>(n));
      std::vector<float> ref(static_cast<std::size_t>(d), 0.0f), out(static_cast<std::size_t>(d) + 1, -7.0f);
      for (std::int64_t j = 0; j < n; ++j) axpy(ref.data(), V.data() + j * stride, P[static_cast<std::size_t>(j)], d);
      weighted_sum(V.data(), stride, P.data(), n, d, out.data());
      int bad = 0;
      for (std::int64_t i = 0; i < d; ++i) bad += std::memcmp(&out[static_cast<std::size_t>(i)], &ref[static_cast<std::size_t>(i)], 4) != 0;
      CHECK_MESSAGE(bad == 0, "d=" << d << " n=" << n);
      CHECK(out[static_cast<std::size_t>(d)] == -7.0f);  // nothing written past d
    }
}

TEST_CASE("attend_group equals attend_head per query head bit for bit (heads sharing one kv head)") {
  for (std::int64_t d : {24, 64, 128})
    for (std::int64_t pos : {0, 5, 70})
      for (std::int64_t nq : {1, 2, 3, 4, 7}) {
        const std::int64_t stride = 2 * d + 16, nk = pos + 1, ldq = d + 8;
        const auto K = randv(static_cast<std::size_t>(nk * stride), 1000 + static_cast<unsigned>(d + pos), 2.0f);
        const auto V = randv(static_cast<std::size_t>(nk * stride), 1100 + static_cast<unsigned>(d + nq));
        const auto Q = randv(static_cast<std::size_t>(nq * ldq), 1200 + static_cast<unsigned>(pos + nq), 2.0f);
        AttendScratch scratch;
        std::vector<float> out(static_cast<std::size_t>(nq * ldq), -5.0f);
        attend_group(Q.data(), ldq, nq, K.data() + d, V.data() + d, stride, d, pos, 0.125f, scratch, out.data(), ldq);
        int bad = 0;
        for (std::int64_t h = 0; h < nq; ++h) {
          std::vector<float> scores(static_cast<std::size_t>(nk)), ref(static_cast<std::size_t>(d));
          attend_head(Q.data() + h * ldq, K.data() + d, V.data() + d, stride, d, pos, 0.125f, scores.data(), ref.data());
          for (std::int64_t i = 0; i < d; ++i)
            bad += std::memcmp(&out[static_cast<std::size_t>(h * ldq + i)], &ref[static_cast<std::size_t>(i)], 4) != 0;
          for (std::int64_t i = d; i < ldq; ++i) bad += out[static_cast<std::size_t>(h * ldq + i)] != -5.0f;
        }
        CHECK_MESSAGE(bad == 0, "d=" << d << " pos=" << pos << " nq=" << nq);
      }
}

TEST_CASE("attend_block equals attend_head per query bit for bit (blocks of queries, causal)") {
  for (std::int64_t d : {24, 48, 64, 128})
    for (std::int64_t pos0 : {0, 1, 7, 70})
      for (std::int64_t tt : {1, 3, 5, 10}) {
        const std::int64_t stride = 3 * d, nk = pos0 + tt, ldq = 2 * d + 8;
        const auto K = randv(static_cast<std::size_t>(nk * stride), 500 + static_cast<unsigned>(d + pos0), 2.0f);
        const auto V = randv(static_cast<std::size_t>(nk * stride), 600 + static_cast<unsigned>(d + tt));
        const auto Q = randv(static_cast<std::size_t>(tt * ldq), 700 + static_cast<unsigned>(pos0 + tt), 2.0f);
        const float scale = 0.125f;
        AttendScratch scratch;
        std::vector<float> out(static_cast<std::size_t>(tt * ldq), -5.0f);
        attend_block(Q.data(), ldq, tt, K.data() + d, V.data() + d, stride, d, pos0, scale, scratch, out.data(), ldq);
        int bad = 0;
        for (std::int64_t t = 0; t < tt; ++t) {
          std::vector<float> scores(static_cast<std::size_t>(nk)), ref(static_cast<std::size_t>(d));
          attend_head(Q.data() + t * ldq, K.data() + d, V.data() + d, stride, d, pos0 + t, scale, scores.data(), ref.data());
          for (std::int64_t i = 0; i < d; ++i) bad += out[static_cast<std::size_t>(t * ldq + i)] != ref[static_cast<std::size_t>(i)];
          for (std::int64_t i = d; i < ldq; ++i) bad += out[static_cast<std::size_t>(t * ldq + i)] != -5.0f;
        }
        CHECK_MESSAGE(bad == 0, "d=" << d << " pos0=" << pos0 << " tt=" << tt);
      }
}

TEST_CASE("dot4 equals four dot() calls bit for bit") {
  for (std::size_t n : {1u, 31u, 32u, 45u, 576u, 4864u}) {
    auto w = randv(n, 20 + n);
    std::vector<std::vector<float>> xs;
    for (unsigned k = 0; k < 4; ++k) xs.push_back(randv(n, 30 + k + n));
    const float* xp[4] = {xs[0].data(), xs[1].data(), xs[2].data(), xs[3].data()};
    float out[4];
    dot4(w.data(), xp, static_cast<std::int64_t>(n), out);
    for (int k = 0; k < 4; ++k) CHECK(out[k] == dot(w.data(), xp[k], static_cast<std::int64_t>(n)));
  }
}

TEST_CASE("fused Q4_0/Q4_1/Q8_0 dequantize+dot equals dot(dequantized row, x) bit for bit") {
  for (auto t : {apr::GgmlType::Q4_0, apr::GgmlType::Q4_1, apr::GgmlType::Q8_0}) {
    for (std::int64_t n : {32, 576, 1536}) {
      auto w = randv(static_cast<std::size_t>(n), 40 + static_cast<unsigned>(n), 2.0f);
      auto x = randv(static_cast<std::size_t>(n), 50 + static_cast<unsigned>(n));
      auto q = apr::quantize(t, w, n);
      std::vector<float> deq(static_cast<std::size_t>(n));
      apr::dequantize_row(t, q.data(), deq.data(), n);
      float fused = 0;
      if (dot_fast(t, q.data(), x.data(), n, &fused)) CHECK(fused == dot(deq.data(), x.data(), n));
      else MESSAGE("no fused kernel on this CPU for " << apr::dtype_name(t));
    }
  }
}

TEST_CASE("fused dots (Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q6_K/F16/BF16) at every ISA level the CPU has equal dot(dequantized row, x), also on raw bytes") {
  using apr::engine::FusedIsa;
  int levels_run = 0;
  for (auto isa : {FusedIsa::avx2, FusedIsa::avx512}) {
    for (auto t : {apr::GgmlType::Q4_0, apr::GgmlType::Q4_1, apr::GgmlType::Q5_0, apr::GgmlType::Q5_1,
                   apr::GgmlType::Q8_0, apr::GgmlType::Q4_K, apr::GgmlType::Q6_K, apr::GgmlType::F16,
                   apr::GgmlType::BF16}) {
      const std::int64_t n = 1536;
      auto w = randv(static_cast<std::size_t>(n), 61, 2.5f);
      w[7] = 0.0f;
      w[40] = -300.0f;
      auto x = randv(static_cast<std::size_t>(n), 62);
      auto q = apr::quantize(t, w, n);
      // Random bytes too: arbitrary scales, including subnormal halves; NaN/inf halves are
      // replaced by a finite value so that the comparison of the two paths is meaningful.
      std::mt19937 r(63);
      std::vector<std::byte> raw(q.size());
      for (auto& b : raw) b = static_cast<std::byte>(r() & 0xFF);
      const bool k = t == apr::GgmlType::Q4_K || t == apr::GgmlType::Q6_K;
      const bool plain = t == apr::GgmlType::F16 || t == apr::GgmlType::BF16;
      const std::size_t bb = apr::row_bytes(t, k ? 256 : 32);
      std::vector<std::size_t> halves{0};  // offsets of the fp16 scales in a block
      if (t == apr::GgmlType::Q4_1 || t == apr::GgmlType::Q5_1 || t == apr::GgmlType::Q4_K) halves.push_back(2);
      if (t == apr::GgmlType::Q6_K) halves = {208};
      if (plain) {  // every value is a half: F16 subnormals and BF16 f32-subnormals included
        halves.clear();
        for (std::size_t off = 0; off < bb; off += 2) halves.push_back(off);
      }
      for (std::size_t blk = 0; blk < raw.size() / bb; ++blk)
        for (auto off : halves) {
          auto* hb = reinterpret_cast<std::uint8_t*>(raw.data() + blk * bb + off);
          if (t == apr::GgmlType::BF16) {
            if ((hb[1] & 0x7F) == 0x7F && (hb[0] & 0x80)) hb[1] &= 0x3F;  // exponent all ones -> finite
          } else if ((hb[1] & 0x7C) == 0x7C) {
            hb[1] &= 0x3F;  // exponent all ones -> finite
          }
        }
      for (const auto* src : {&q, &raw}) {
        std::vector<float> deq(static_cast<std::size_t>(n));
        apr::dequantize_row(t, src->data(), deq.data(), n);
        float fused = 0;
        if (!dot_fast(t, src->data(), x.data(), n, &fused, isa)) continue;
        ++levels_run;
        const float ref = dot(deq.data(), x.data(), n);
        CHECK(std::memcmp(&fused, &ref, 4) == 0);
        // The row-range entry point (rows processed four at a time, then one by one) gives the
        // same bits per row: 6 rows alternating this source and the quantized row.
        std::vector<std::byte> six(src->size() * 6);
        for (int r = 0; r < 6; ++r) std::memcpy(six.data() + r * src->size(), (r % 2 ? q : *src).data(), src->size());
        float many[6];
        REQUIRE(dot_fast_rows(t, six.data(), src->size(), 6, x.data(), n, many));
        float second = 0;
        REQUIRE(dot_fast(t, q.data(), x.data(), n, &second, isa));
        for (int r = 0; r < 6; ++r) CHECK(std::memcmp(&many[r], r % 2 ? &second : &fused, 4) == 0);
      }
    }
  }
  if (levels_run == 0) MESSAGE("no fused kernel on this CPU");
}
