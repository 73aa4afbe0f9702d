// Quantizer dispatch: argument validation, plain conversions (F32/F16/BF16) and row threading.
// The per-type kernels live in quantize_legacy.cpp and quantize_kquants.cpp.
#include "tensor/quantize.hpp"

#include <algorithm>
#include <cstring>
#include <string>
#include <thread>

#include "tensor/fp16.hpp"
#include "tensor/quant_kernels.hpp"

namespace apr {
namespace {

const DTypeInfo& require_quantizable(GgmlType t) {
  const DTypeInfo* d = find_dtype(static_cast<std::uint32_t>(t));
  if (!d) {
    throw validation_error("quantize: invalid GGML type id " + std::to_string(static_cast<std::uint32_t>(t)));
  }
  if (!d->quantizable) {
    std::string list;
    for (std::uint32_t id = 0; id < kGgmlTypeCount; ++id) {
      const DTypeInfo* e = find_dtype(id);
      if (!e || !e->quantizable) continue;
      if (!list.empty()) list += ", ";
      list += e->name;
    }
    throw unsupported_error("quantize: no reference quantizer for dtype " + std::string(d->name) +
                            " (id " + std::to_string(static_cast<std::uint32_t>(t)) + "); supported: " + list);
  }
  return *d;
}

void check_count(const DTypeInfo& d, std::int64_t n, const char* what) {
  if (n < 0 || n % d.block_elems != 0) {
    throw validation_error("quantize " + std::string(d.name) + ": " + what + " " + std::to_string(n) +
                           " is not a non-negative multiple of the block size " + std::to_string(d.block_elems));
  }
}

void quantize_row_unchecked(GgmlType t, const float* src, std::byte* dst, std::int64_t n) {
  auto* y = reinterpret_cast<std::uint8_t*>(dst);
  switch (t) {
    case GgmlType::F32: std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float)); return;
    case GgmlType::F16:
    case GgmlType::BF16: {
      const bool f16 = t == GgmlType::F16;
      if (reinterpret_cast<std::uintptr_t>(dst) % alignof(std::uint16_t) == 0) {
        auto* h = reinterpret_cast<std::uint16_t*>(dst);
        if (f16) fp32_to_fp16_row(src, h, n);
        else fp32_to_bf16_row(src, h, n);
        return;
      }
      for (std::int64_t i = 0; i < n; ++i) {  // misaligned destination: element-wise
        const std::uint16_t h = f16 ? fp32_to_fp16(src[i]) : fp32_to_bf16(src[i]);
        std::memcpy(y + 2 * i, &h, 2);
      }
      return;
    }
    case GgmlType::Q8_0: quant::quantize_q8_0(src, y, n / 32); return;
    case GgmlType::Q4_0: quant::quantize_q4_0(src, y, n / 32); return;
    case GgmlType::Q4_1: quant::quantize_q4_1(src, y, n / 32); return;
    case GgmlType::Q5_0: quant::quantize_q5_0(src, y, n / 32); return;
    case GgmlType::Q5_1: quant::quantize_q5_1(src, y, n / 32); return;
    case GgmlType::IQ4_NL: quant::quantize_iq4_nl(src, y, n / 32); return;
    case GgmlType::Q2_K: quant::quantize_q2_k(src, y, n / 256); return;
    case GgmlType::Q3_K: quant::quantize_q3_k(src, y, n / 256); return;
    case GgmlType::Q4_K: quant::quantize_q4_k(src, y, n / 256); return;
    case GgmlType::Q5_K: quant::quantize_q5_k(src, y, n / 256); return;
    case GgmlType::Q6_K: quant::quantize_q6_k(src, y, n / 256); return;
    default: break;
  }
  throw internal_error("quantize: no kernel for quantizable dtype " + std::string(dtype_name(t)));
}

}  // namespace

bool can_quantize(GgmlType t) noexcept {
  const DTypeInfo* d = find_dtype(static_cast<std::uint32_t>(t));
  return d && d->quantizable;
}

void quantize_row(GgmlType t, const float* src, std::byte* dst, std::int64_t n) {
  const DTypeInfo& d = require_quantizable(t);
  check_count(d, n, "element count");
  if (n == 0) return;
  quantize_row_unchecked(t, src, dst, n);
}

void quantize_rows(GgmlType t, const float* src, std::byte* dst, std::int64_t nrows, std::int64_t n_per_row,
                   int n_threads) {
  const DTypeInfo& d = require_quantizable(t);
  check_count(d, n_per_row, "row length");
  if (nrows < 0) throw validation_error("quantize: negative row count " + std::to_string(nrows));
  if (nrows == 0 || n_per_row == 0) return;
  const std::uint64_t stride = row_bytes(t, static_cast<std::uint64_t>(n_per_row));
  auto run = [&](std::int64_t r0, std::int64_t r1) {
    for (std::int64_t r = r0; r < r1; ++r) {
      quantize_row_unchecked(t, src + r * n_per_row, dst + static_cast<std::uint64_t>(r) * stride, n_per_row);
    }
  };
  const std::int64_t threads = std::max<std::int64_t>(1, std::min<std::int64_t>(n_threads, nrows));
  if (threads == 1) {
    run(0, nrows);
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(static_cast<std::size_t>(threads));
  for (std::int64_t k = 0; k < threads; ++k) {
    const std::int64_t r0 = nrows * k / threads, r1 = nrows * (k + 1) / threads;
    pool.emplace_back(run, r0, r1);
  }
  for (auto& th : pool) th.join();
}

std::vector<std::byte> quantize(GgmlType t, std::span<const float> values, std::int64_t n_per_row, int n_threads) {
  const DTypeInfo& d = require_quantizable(t);
  check_count(d, n_per_row, "row length");
  if (n_per_row == 0) {
    if (!values.empty()) throw validation_error("quantize: row length 0 with " + std::to_string(values.size()) + " values");
    return {};
  }
  if (values.size() % static_cast<std::uint64_t>(n_per_row) != 0) {
    throw validation_error("quantize " + std::string(d.name) + ": " + std::to_string(values.size()) +
                           " values are not a whole number of rows of " + std::to_string(n_per_row));
  }
  const auto nrows = static_cast<std::int64_t>(values.size() / static_cast<std::uint64_t>(n_per_row));
  std::vector<std::byte> out(static_cast<std::size_t>(row_bytes(t, static_cast<std::uint64_t>(n_per_row)) *
                                                      static_cast<std::uint64_t>(nrows)));
  quantize_rows(t, values.data(), out.data(), nrows, n_per_row, n_threads);
  return out;
}

}  // namespace apr
