// apr-qa tensor layer: a zero-copy, row-major view of tensor bytes in their stored dtype.
//
// shape is row-major, outermost first: a Linear weight is [out, in]; the last dimension is the
// row that quant blocks run along. data points into a mapped file (or a buffer owned elsewhere)
// and must outlive the view.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "tensor/dtype.hpp"

namespace apr {

struct TensorView {
  GgmlType type = GgmlType::F32;
  std::vector<std::int64_t> shape;  // row-major, outermost first
  std::span<const std::byte> data;

  std::uint64_t numel() const { return element_count(shape); }
  // Elements per row (last dim; 1 for 0-d tensors).
  std::int64_t row_len() const { return shape.empty() ? 1 : shape.back(); }
  std::int64_t rows() const {
    std::int64_t r = 1;
    for (std::size_t i = 0; i + 1 < shape.size(); ++i) r *= shape[i];
    return r;
  }
  std::uint64_t row_stride() const { return row_bytes(type, static_cast<std::uint64_t>(row_len())); }
  std::span<const std::byte> row(std::int64_t i) const {
    auto s = row_stride();
    return data.subspan(static_cast<std::size_t>(i * s), static_cast<std::size_t>(s));
  }
};

}  // namespace apr
