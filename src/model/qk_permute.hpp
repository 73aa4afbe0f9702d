// apr-qa model layer: llama.cpp's Q/K row permutation as row index maps (formats.md §3).
//
// For n heads of size hd, GGUF(llama) row  g = h*hd + 2*d + a  (d < hd/2, a in {0,1}) holds HF row
// h*hd + a*hd/2 + d. Only whole rows move, so the maps are lossless for every dtype (quant blocks
// run along a row). Both functions throw a validation Error when rows != n*hd or hd is odd.
#pragma once

#include <cstdint>
#include <vector>

namespace apr::model {

// m[g] = the HF row stored at GGUF row g (use when writing GGUF from HF order).
std::vector<std::int32_t> gguf_rows_from_hf(std::int64_t rows, std::int64_t n_heads);
// m[r] = the GGUF row holding HF row r (use as CanonicalTensor::row_order when reading GGUF).
std::vector<std::int32_t> hf_rows_from_gguf(std::int64_t rows, std::int64_t n_heads);
// Composition helpers: (a o b)[i] = a[b[i]] with empty meaning identity; identity results are
// returned empty.
std::vector<std::int32_t> compose_rows(const std::vector<std::int32_t>& outer,
                                       const std::vector<std::int32_t>& inner);

}  // namespace apr::model
