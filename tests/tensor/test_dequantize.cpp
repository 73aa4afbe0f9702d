// Unit tests for dequantization (src/tensor/dequantize.hpp): hand-built blocks whose expected
// values are computed by hand from the layouts in formats.md §2.2–2.3, plus argument errors.
// Bit-exactness against gguf-py and ggml on random blocks: tests/oracle/test_tensor_quants.py.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "tensor/dequantize.hpp"

using namespace apr;

namespace {

std::vector<float> deq(GgmlType t, const std::vector<std::uint8_t>& b, std::int64_t n) {
  std::vector<float> y(static_cast<std::size_t>(n), -12345.0f);
  dequantize_row(t, reinterpret_cast<const std::byte*>(b.data()), y.data(), n);
  return y;
}

void put16(std::vector<std::uint8_t>& b, std::size_t off, std::uint16_t v) {
  b[off] = static_cast<std::uint8_t>(v & 0xFF);
  b[off + 1] = static_cast<std::uint8_t>(v >> 8);
}

constexpr std::uint16_t kHalfOne = 0x3C00, kHalfHalf = 0x3800, kHalfQuarter = 0x3400, kHalfTwo = 0x4000,
                        kHalfMinusOne = 0xBC00;

}  // namespace

TEST_CASE("Q8_0 known block") {
  std::vector<std::uint8_t> b(34, 0);
  put16(b, 0, kHalfHalf);  // d = 0.5
  b[2] = 0x80;             // -128
  b[3] = 0x7F;             // 127
  b[4] = 0xFF;             // -1
  const auto y = deq(GgmlType::Q8_0, b, 32);
  CHECK(y[0] == -64.0f);
  CHECK(y[1] == 63.5f);
  CHECK(y[2] == -0.5f);
  CHECK(y[3] == 0.0f);
}

TEST_CASE("Q4_0 known block: low nibbles first, then high nibbles, minus 8") {
  std::vector<std::uint8_t> b(18, 0x88);  // all q = 8 -> 0
  put16(b, 0, kHalfTwo);                  // d = 2
  b[2] = 0x21;  // element 0: q=1 -> -7*2; element 16: q=2 -> -6*2
  b[17] = 0xF0; // element 15: q=0 -> -16; element 31: q=15 -> 14
  const auto y = deq(GgmlType::Q4_0, b, 32);
  CHECK(y[0] == -14.0f);
  CHECK(y[16] == -12.0f);
  CHECK(y[15] == -16.0f);
  CHECK(y[31] == 14.0f);
  CHECK(y[5] == 0.0f);
}

TEST_CASE("Q4_1 known block: q*d + m") {
  std::vector<std::uint8_t> b(20, 0);
  put16(b, 0, kHalfQuarter);   // d = 0.25
  put16(b, 2, kHalfMinusOne);  // m = -1
  b[4] = 0xF5;                 // element 0: 5 -> 0.25; element 16: 15 -> 2.75
  const auto y = deq(GgmlType::Q4_1, b, 32);
  CHECK(y[0] == 0.25f);
  CHECK(y[16] == 2.75f);
  CHECK(y[1] == -1.0f);
}

TEST_CASE("Q5_0 and Q5_1 known blocks: fifth bit from qh") {
  std::vector<std::uint8_t> b(22, 0);
  put16(b, 0, kHalfOne);
  const std::uint32_t qh = (1u << 0) | (1u << 17);  // element 0 and element 17 get +16
  std::memcpy(b.data() + 2, &qh, 4);
  b[6] = 0x0F;  // element 0: 15|16 = 31 -> 15; element 16: 0 -> -16
  b[7] = 0x30;  // element 1: 0 -> -16; element 17: 3|16 = 19 -> 3
  auto y = deq(GgmlType::Q5_0, b, 32);
  CHECK(y[0] == 15.0f);
  CHECK(y[16] == -16.0f);
  CHECK(y[1] == -16.0f);
  CHECK(y[17] == 3.0f);

  std::vector<std::uint8_t> c(24, 0);
  put16(c, 0, kHalfTwo);  // d = 2
  put16(c, 2, kHalfOne);  // m = 1
  const std::uint32_t qh1 = 1u << 31;  // element 31
  std::memcpy(c.data() + 4, &qh1, 4);
  c[8] = 0x01;   // element 0: 1 -> 3
  c[23] = 0xE0;  // element 31: 14|16 = 30 -> 61
  y = deq(GgmlType::Q5_1, c, 32);
  CHECK(y[0] == 3.0f);
  CHECK(y[31] == 61.0f);
  CHECK(y[30] == 1.0f);
}

TEST_CASE("Q2_K known block: 2-bit levels, 4-bit scale and min per 16") {
  std::vector<std::uint8_t> b(84, 0);
  put16(b, 80, kHalfOne);   // d = 1
  put16(b, 82, kHalfHalf);  // dmin = 0.5
  b[0] = 0x32;              // group 0 (elements 0..15): sc = 2, m = 3
  b[2] = 0x11;              // group 2 (elements 32..47, shift 2 of q[0..15]): sc = 1, m = 1
  b[16 + 0] = 0xE4;         // q[0] = 0b11'10'01'00: element 0 -> 0, element 32 -> 1
  b[16 + 32] = 0x03;        // q[32] (second half): element 128 -> 3, scale group 8
  b[8] = 0x27;              // group 8: sc = 7, m = 2
  const auto y = deq(GgmlType::Q2_K, b, 256);
  CHECK(y[0] == 2.0f * 0 - 1.5f);
  CHECK(y[32] == 1.0f * 1 - 0.5f);
  CHECK(y[128] == 7.0f * 3 - 1.0f);
  CHECK(y[16] == 0.0f);  // group 1: sc = 0, m = 0
}

TEST_CASE("Q3_K known block: signed 6-bit scales, hmask high bit") {
  std::vector<std::uint8_t> b(110, 0);
  put16(b, 108, kHalfOne);  // d = 1
  std::uint8_t* s = b.data() + 96;
  s[0] = 0x52;  // scale 0: low 4 bits = 2; scale 8: low 4 bits = 5
  s[8] = 0x20;  // scale 0: high 2 bits = 0 -> raw 2 -> -30; scale 8: bits 4..5 = 2 -> raw 37 -> 5
  b[32 + 0] = 0x01;   // qs[0]: element 0 level 1
  b[32 + 1] = 0x03;   // element 1 level 3
  b[0 + 1] = 0x01;    // hmask[1] bit 0: element 1 has its high bit (no -4)
  b[32 + 32] = 0x02;  // qs[32]: element 128 level 2 (second half, shift 0, scale 8)
  b[0] |= 0x10;       // hmask[0] bit 4: element 128 has its high bit
  const auto y = deq(GgmlType::Q3_K, b, 256);
  CHECK(y[0] == -30.0f * (1 - 4));
  CHECK(y[1] == -30.0f * 3);
  CHECK(y[2] == -30.0f * -4);
  CHECK(y[128] == 5.0f * 2);
  CHECK(y[16] == -32.0f * -4);  // scale 1 raw 0 -> -32, level 0 without high bit -> -4
}

TEST_CASE("Q4_K known block: packed 6-bit scales and mins incl. sub-blocks 4..7") {
  std::vector<std::uint8_t> b(144, 0);
  put16(b, 0, kHalfOne);   // d = 1
  put16(b, 2, kHalfHalf);  // dmin = 0.5
  std::uint8_t* s = b.data() + 4;
  s[0] = 2 | (2 << 6);  // sc0 = 2, top bits of sc4 = 2
  s[4] = 3 | (3 << 6);  // m0 = 3, top bits of m4 = 3
  s[8] = 0x15;          // sc4 low = 5, m4 low = 1 -> sc4 = 37, m4 = 49
  s[1] = 4;             // sc1 = 4 (m1 = 0)
  b[16 + 0] = 0x97;     // element 0: 7 (sub-block 0); element 32: 9 (sub-block 1)
  b[16 + 64] = 0x03;    // element 128: 3 (sub-block 4)
  const auto y = deq(GgmlType::Q4_K, b, 256);
  CHECK(y[0] == 2.0f * 7 - 1.5f);
  CHECK(y[32] == 4.0f * 9 - 0.0f);
  CHECK(y[128] == 37.0f * 3 - 24.5f);
  CHECK(y[129] == -24.5f);
}

TEST_CASE("Q5_K known block: qh bits 2p / 2p+1") {
  std::vector<std::uint8_t> b(176, 0);
  put16(b, 0, kHalfOne);
  put16(b, 2, kHalfOne);
  std::uint8_t* s = b.data() + 4;
  s[0] = 1;  // sc0 = 1
  s[1] = 2;  // sc1 = 2
  s[5] = 1;  // m1 = 1
  s[2] = 3;  // sc2 = 3 (elements 64..95)
  b[16 + 0] = 0x01 | 0x02 | 0x04;  // qh[0]: element 0 (+16), element 32 (+16), element 64 (+16)
  b[48 + 0] = 0x2F;                // element 0: 15 -> 31; element 32: 2 -> 18
  b[48 + 32] = 0x01;               // element 64: 1 -> 17
  const auto y = deq(GgmlType::Q5_K, b, 256);
  CHECK(y[0] == 31.0f);
  CHECK(y[32] == 2.0f * 18 - 1.0f);
  CHECK(y[64] == 3.0f * 17);
}

TEST_CASE("Q6_K known block") {
  std::vector<std::uint8_t> b(210, 0);
  put16(b, 208, kHalfOne);
  auto* sc = reinterpret_cast<std::int8_t*>(b.data() + 192);
  sc[0] = -2;
  sc[4] = 5;
  sc[9] = 3;        // second half, scale index 1 (elements 144..159)
  b[0] = 0x3F;      // ql[0]: element 0 low nibble 15, element 64 high nibble 3
  b[128] = 0x32;    // qh[0]: element 0 bits = 2, element 64 bits (4..5) = 3
  b[64 + 16] = 0x0A;  // second half ql[16]: element 144 low nibble 10 (qh 0) -> 10 - 32
  const auto y = deq(GgmlType::Q6_K, b, 256);
  CHECK(y[0] == -2.0f * ((15 | (2 << 4)) - 32));
  CHECK(y[64] == 5.0f * ((3 | (3 << 4)) - 32));
  CHECK(y[144] == 3.0f * (10 - 32));
  CHECK(y[1] == -2.0f * -32);
}

TEST_CASE("plain types, including unaligned sources") {
  std::vector<std::uint8_t> b(1 + 2 * 3);
  put16(b, 1, 0x3C00);
  put16(b, 3, 0xC000);
  put16(b, 5, 0x7C00);
  std::vector<float> y(3);
  dequantize_row(GgmlType::F16, reinterpret_cast<const std::byte*>(b.data() + 1), y.data(), 3);
  CHECK(y[0] == 1.0f);
  CHECK(y[1] == -2.0f);
  CHECK(std::isinf(y[2]));
  put16(b, 1, 0x3F80);
  put16(b, 3, 0xC040);
  dequantize_row(GgmlType::BF16, reinterpret_cast<const std::byte*>(b.data() + 1), y.data(), 2);
  CHECK(y[0] == 1.0f);
  CHECK(y[1] == -3.0f);
  const float f[2] = {1.5f, -0.25f};
  float g[2];
  dequantize_row(GgmlType::F32, reinterpret_cast<const std::byte*>(f), g, 2);
  CHECK(g[0] == 1.5f);
  CHECK(g[1] == -0.25f);
}

TEST_CASE("dequantize_row rejects unsupported types and partial blocks") {
  std::vector<std::uint8_t> b(292, 0);
  std::vector<float> y(256);
  auto call = [&](GgmlType t, std::int64_t n) {
    dequantize_row(t, reinterpret_cast<const std::byte*>(b.data()), y.data(), n);
  };
  try {
    call(GgmlType::Q8_K, 256);
    FAIL("Q8_K accepted");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::unsupported);
    CHECK(std::string(e.what()).find("Q8_K") != std::string::npos);
  }
  CHECK_THROWS_AS(call(GgmlType::IQ4_XS, 256), Error);
  CHECK_THROWS_AS(call(static_cast<GgmlType>(4), 32), Error);  // removed id
  try {
    call(GgmlType::Q4_K, 100);
    FAIL("partial block accepted");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::validation);
    CHECK(std::string(e.what()).find("100") != std::string::npos);
  }
  CHECK_THROWS_AS(call(GgmlType::F32, -1), Error);
  CHECK_NOTHROW(call(GgmlType::Q4_K, 0));
}

TEST_CASE("dequantize(TensorView): whole tensors, size checks") {
  // 2 rows of one Q8_0 block each
  std::vector<std::uint8_t> b(68, 0);
  put16(b, 0, kHalfOne);
  put16(b, 34, kHalfTwo);
  b[2] = 3;
  b[36] = 0xFD;  // -3
  TensorView v;
  v.type = GgmlType::Q8_0;
  v.shape = {2, 32};
  v.data = std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size());
  const auto y = dequantize(v);
  REQUIRE(y.size() == 64);
  CHECK(y[0] == 3.0f);
  CHECK(y[32] == -6.0f);
  v.data = v.data.first(67);
  CHECK_THROWS_AS(dequantize(v), Error);
  v.data = std::span<const std::byte>(reinterpret_cast<const std::byte*>(b.data()), b.size());
  std::vector<float> small(10);
  CHECK_THROWS_AS(dequantize_into(v, small), Error);
  v.shape = {2, 33};
  CHECK_THROWS_AS(dequantize(v), Error);
  v.type = GgmlType::Q8_1;
  v.shape = {1, 32};
  CHECK_THROWS_AS(dequantize(v), Error);
}
