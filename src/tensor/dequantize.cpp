// Dequantization kernels, one per supported type, plus the dispatch and whole-tensor helpers.
//
// Each kernel reproduces ggml's dequantize_row_* element formula and operation order; the loops
// are written so that the compiler vectorises them (fixed trip counts, one scale per inner loop,
// no data-dependent branches). Vectorising does not change results: every element is computed
// independently with IEEE multiplies/subtracts and no FMA contraction (-ffp-contract=off).
#include "tensor/dequantize.hpp"

#include <cstring>
#include <string>

#include "tensor/fp16.hpp"
#include "tensor/quant_common.hpp"

namespace apr {
namespace {

using namespace quant;
using u8 = std::uint8_t;

// ---- 32-element blocks -------------------------------------------------------------------

void deq_q4_0(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ4_0Bytes, y += kQK) {
    const float d = load_f16(x);
    const u8* qs = x + 2;
    for (int l = 0; l < 16; ++l) {
      y[l] = static_cast<float>((qs[l] & 0x0F) - 8) * d;
      y[l + 16] = static_cast<float>((qs[l] >> 4) - 8) * d;
    }
  }
}

void deq_q4_1(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ4_1Bytes, y += kQK) {
    const float d = load_f16(x);
    const float m = load_f16(x + 2);
    const u8* qs = x + 4;
    for (int l = 0; l < 16; ++l) {
      y[l] = static_cast<float>(qs[l] & 0x0F) * d + m;
      y[l + 16] = static_cast<float>(qs[l] >> 4) * d + m;
    }
  }
}

void deq_q5_0(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ5_0Bytes, y += kQK) {
    const float d = load_f16(x);
    const std::uint32_t qh = load_u32(x + 2);
    const u8* qs = x + 6;
    for (int l = 0; l < 16; ++l) {
      const int h0 = static_cast<int>((qh >> l) << 4) & 0x10;
      const int h1 = static_cast<int>(qh >> (l + 12)) & 0x10;
      y[l] = static_cast<float>(((qs[l] & 0x0F) | h0) - 16) * d;
      y[l + 16] = static_cast<float>(((qs[l] >> 4) | h1) - 16) * d;
    }
  }
}

void deq_q5_1(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ5_1Bytes, y += kQK) {
    const float d = load_f16(x);
    const float m = load_f16(x + 2);
    const std::uint32_t qh = load_u32(x + 4);
    const u8* qs = x + 8;
    for (int l = 0; l < 16; ++l) {
      const int h0 = static_cast<int>((qh >> l) << 4) & 0x10;
      const int h1 = static_cast<int>(qh >> (l + 12)) & 0x10;
      y[l] = static_cast<float>((qs[l] & 0x0F) | h0) * d + m;
      y[l + 16] = static_cast<float>((qs[l] >> 4) | h1) * d + m;
    }
  }
}

void deq_q8_0(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ8_0Bytes, y += kQK) {
    const float d = load_f16(x);
    const u8* qs = x + 2;
    for (int l = 0; l < 32; ++l) y[l] = static_cast<float>(static_cast<std::int8_t>(qs[l])) * d;
  }
}

void deq_iq4_nl(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kIQ4_NLBytes, y += kQK) {
    const float d = load_f16(x);
    const u8* qs = x + 2;
    for (int l = 0; l < 16; ++l) {
      y[l] = d * static_cast<float>(kIq4nlLevels[qs[l] & 0x0F]);
      y[l + 16] = d * static_cast<float>(kIq4nlLevels[qs[l] >> 4]);
    }
  }
}

// ---- K-quants ------------------------------------------------------------------------------

void deq_q2_k(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ2_KBytes) {
    const float d = load_f16(x + kQ2_KD);
    const float dmin = load_f16(x + kQ2_KDmin);
    const u8* sc = x + kQ2_KScales;
    const u8* q = x + kQ2_KQs;
    int is = 0;
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2) {
        for (int part = 0; part < 2; ++part) {  // two 16-element groups share the shift
          const u8 s = sc[is++];
          const float dl = d * static_cast<float>(s & 0xF);
          const float ml = dmin * static_cast<float>(s >> 4);
          const u8* qq = q + 16 * part;
          for (int l = 0; l < 16; ++l) y[l] = dl * static_cast<float>((qq[l] >> shift) & 3) - ml;
          y += 16;
        }
      }
    }
  }
}

void deq_q3_k(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ3_KBytes) {
    const float d_all = load_f16(x + kQ3_KD);
    const u8* hm = x + kQ3_KHmask;
    const u8* q = x + kQ3_KQs;
    const u8* scales = x + kQ3_KScales;
    int is = 0;
    int mbit = 0;  // hmask bit: one per 32-element step, 0..7 over the super-block
    for (int half = 0; half < 2; ++half, q += 32) {
      for (int shift = 0; shift < 8; shift += 2, ++mbit) {
        for (int part = 0; part < 2; ++part) {
          const float dl = d_all * static_cast<float>(q3k_scale(is++, scales));
          const u8* qq = q + 16 * part;
          const u8* hh = hm + 16 * part;
          for (int l = 0; l < 16; ++l) {
            const int v = ((qq[l] >> shift) & 3) - (((hh[l] >> mbit) & 1) ? 0 : 4);
            y[l] = dl * static_cast<float>(v);
          }
          y += 16;
        }
      }
    }
  }
}

void deq_q4_k(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ4_KBytes) {
    const float d = load_f16(x + kQ4_KD);
    const float dmin = load_f16(x + kQ4_KDmin);
    const u8* scales = x + kQ4_KScales;
    const u8* q = x + kQ4_KQs;
    for (int p = 0; p < 4; ++p, q += 32, y += 64) {
      u8 sc, m;
      get_scale_min_k4(2 * p, scales, sc, m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      get_scale_min_k4(2 * p + 1, scales, sc, m);
      const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
      for (int l = 0; l < 32; ++l) y[l] = d1 * static_cast<float>(q[l] & 0xF) - m1;
      for (int l = 0; l < 32; ++l) y[l + 32] = d2 * static_cast<float>(q[l] >> 4) - m2;
    }
  }
}

void deq_q5_k(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ5_KBytes) {
    const float d = load_f16(x + kQ5_KD);
    const float dmin = load_f16(x + kQ5_KDmin);
    const u8* scales = x + kQ5_KScales;
    const u8* qh = x + kQ5_KQh;
    const u8* ql = x + kQ5_KQs;
    for (int p = 0; p < 4; ++p, ql += 32, y += 64) {
      u8 sc, m;
      get_scale_min_k4(2 * p, scales, sc, m);
      const float d1 = d * static_cast<float>(sc), m1 = dmin * static_cast<float>(m);
      get_scale_min_k4(2 * p + 1, scales, sc, m);
      const float d2 = d * static_cast<float>(sc), m2 = dmin * static_cast<float>(m);
      const int b1 = 2 * p, b2 = 2 * p + 1;
      for (int l = 0; l < 32; ++l)
        y[l] = d1 * static_cast<float>((ql[l] & 0xF) | (((qh[l] >> b1) & 1) << 4)) - m1;
      for (int l = 0; l < 32; ++l)
        y[l + 32] = d2 * static_cast<float>((ql[l] >> 4) | (((qh[l] >> b2) & 1) << 4)) - m2;
    }
  }
}

void deq_q6_k(const u8* __restrict x, float* __restrict y, std::int64_t nb) {
  for (std::int64_t i = 0; i < nb; ++i, x += kQ6_KBytes) {
    const float d = load_f16(x + kQ6_KD);
    const u8* ql = x + kQ6_KQl;
    const u8* qh = x + kQ6_KQh;
    const std::int8_t* sc = reinterpret_cast<const std::int8_t*>(x + kQ6_KScales);
    for (int h = 0; h < 2; ++h, ql += 64, qh += 32, sc += 8, y += 128) {
      for (int g = 0; g < 2; ++g) {  // l in [16g, 16g+16) shares scale index g (+0,+2,+4,+6)
        const float s1 = d * static_cast<float>(sc[g + 0]);
        const float s2 = d * static_cast<float>(sc[g + 2]);
        const float s3 = d * static_cast<float>(sc[g + 4]);
        const float s4 = d * static_cast<float>(sc[g + 6]);
        for (int l = 16 * g; l < 16 * g + 16; ++l) {
          const int q1 = ((ql[l] & 0xF) | (((qh[l] >> 0) & 3) << 4)) - 32;
          const int q2 = ((ql[l + 32] & 0xF) | (((qh[l] >> 2) & 3) << 4)) - 32;
          const int q3 = ((ql[l] >> 4) | (((qh[l] >> 4) & 3) << 4)) - 32;
          const int q4 = ((ql[l + 32] >> 4) | (((qh[l] >> 6) & 3) << 4)) - 32;
          y[l] = s1 * static_cast<float>(q1);
          y[l + 32] = s2 * static_cast<float>(q2);
          y[l + 64] = s3 * static_cast<float>(q3);
          y[l + 96] = s4 * static_cast<float>(q4);
        }
      }
    }
  }
}

// ---- plain types ---------------------------------------------------------------------------

void deq_f16(const std::byte* src, float* dst, std::int64_t n) {
  if (reinterpret_cast<std::uintptr_t>(src) % alignof(std::uint16_t) == 0) {
    fp16_to_fp32_row(reinterpret_cast<const std::uint16_t*>(src), dst, n);
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) {  // misaligned source: element-wise copy
    std::uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    dst[i] = fp16_to_fp32(h);
  }
}

void deq_bf16(const std::byte* src, float* dst, std::int64_t n) {
  if (reinterpret_cast<std::uintptr_t>(src) % alignof(std::uint16_t) == 0) {
    bf16_to_fp32_row(reinterpret_cast<const std::uint16_t*>(src), dst, n);
    return;
  }
  for (std::int64_t i = 0; i < n; ++i) {
    std::uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    dst[i] = bf16_to_fp32(h);
  }
}

}  // namespace

void dequantize_row(GgmlType t, const std::byte* src, float* dst, std::int64_t n) {
  const GgmlType type = require_supported_dtype(static_cast<std::uint32_t>(t));
  const DTypeInfo& info = dtype_info(type);
  if (n < 0 || n % info.block_elems != 0) {
    throw validation_error("dequantize " + std::string(info.name) + ": element count " + std::to_string(n) +
                           " is not a non-negative multiple of the block size " +
                           std::to_string(info.block_elems));
  }
  if (n == 0) return;
  const std::int64_t nb = n / info.block_elems;
  const auto* x = reinterpret_cast<const u8*>(src);
  switch (type) {
    case GgmlType::F32: std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float)); return;
    case GgmlType::F16: deq_f16(src, dst, n); return;
    case GgmlType::BF16: deq_bf16(src, dst, n); return;
    case GgmlType::Q4_0: deq_q4_0(x, dst, nb); return;
    case GgmlType::Q4_1: deq_q4_1(x, dst, nb); return;
    case GgmlType::Q5_0: deq_q5_0(x, dst, nb); return;
    case GgmlType::Q5_1: deq_q5_1(x, dst, nb); return;
    case GgmlType::Q8_0: deq_q8_0(x, dst, nb); return;
    case GgmlType::IQ4_NL: deq_iq4_nl(x, dst, nb); return;
    case GgmlType::Q2_K: deq_q2_k(x, dst, nb); return;
    case GgmlType::Q3_K: deq_q3_k(x, dst, nb); return;
    case GgmlType::Q4_K: deq_q4_k(x, dst, nb); return;
    case GgmlType::Q5_K: deq_q5_k(x, dst, nb); return;
    case GgmlType::Q6_K: deq_q6_k(x, dst, nb); return;
    default: break;
  }
  // The dtype table marks a type supported that has no kernel: a bug in apr-qa.
  throw internal_error("dequantize: no kernel for supported dtype " + std::string(info.name));
}

void dequantize_into(const TensorView& view, std::span<float> out) {
  const GgmlType type = require_supported_dtype(static_cast<std::uint32_t>(view.type));
  const std::uint64_t expected = tensor_bytes(type, view.shape);
  if (view.data.size() != expected) {
    throw validation_error("dequantize " + std::string(dtype_name(type)) + " tensor: expected " +
                           std::to_string(expected) + " data bytes for its shape, found " +
                           std::to_string(view.data.size()));
  }
  const std::uint64_t numel = view.numel();
  if (out.size() != numel) {
    throw validation_error("dequantize: output buffer holds " + std::to_string(out.size()) +
                           " floats, expected " + std::to_string(numel));
  }
  if (numel == 0) return;
  const std::int64_t row_len = view.row_len();
  const std::int64_t rows = static_cast<std::int64_t>(numel / static_cast<std::uint64_t>(row_len));
  const std::uint64_t stride = row_bytes(type, static_cast<std::uint64_t>(row_len));
  for (std::int64_t r = 0; r < rows; ++r) {
    dequantize_row(type, view.data.data() + static_cast<std::uint64_t>(r) * stride,
                   out.data() + static_cast<std::uint64_t>(r) * static_cast<std::uint64_t>(row_len), row_len);
  }
}

std::vector<float> dequantize(const TensorView& view) {
  const GgmlType type = require_supported_dtype(static_cast<std::uint32_t>(view.type));
  const std::uint64_t expected = tensor_bytes(type, view.shape);
  if (view.data.size() != expected) {
    throw validation_error("dequantize " + std::string(dtype_name(type)) + " tensor: expected " +
                           std::to_string(expected) + " data bytes for its shape, found " +
                           std::to_string(view.data.size()));
  }
  std::vector<float> out(static_cast<std::size_t>(view.numel()));
  dequantize_into(view, out);
  return out;
}

}  // namespace apr
