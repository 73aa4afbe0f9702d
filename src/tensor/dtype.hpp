// apr-qa tensor layer: the element-type table, keyed by GGML type id.
//
// This is the single source of truth for dtypes in apr-qa. GGUF stores these ids directly,
// APR's dtype byte *is* the GGML id (project decision), and SafeTensors' F32/F16/BF16 map to
// ids 0/1/30. Every id ggml has ever assigned is recognised by name; only the types listed as
// supported can be read, written or dequantized. Anything else is an `unsupported` Error that
// names the type — never a silent fallback to F32.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace apr {

enum class GgmlType : std::uint32_t {
  F32 = 0, F16 = 1, Q4_0 = 2, Q4_1 = 3, Q5_0 = 6, Q5_1 = 7, Q8_0 = 8, Q8_1 = 9,
  Q2_K = 10, Q3_K = 11, Q4_K = 12, Q5_K = 13, Q6_K = 14, Q8_K = 15,
  IQ2_XXS = 16, IQ2_XS = 17, IQ3_XXS = 18, IQ1_S = 19, IQ4_NL = 20, IQ3_S = 21, IQ2_S = 22, IQ4_XS = 23,
  I8 = 24, I16 = 25, I32 = 26, I64 = 27, F64 = 28, IQ1_M = 29, BF16 = 30,
  TQ1_0 = 34, TQ2_0 = 35, MXFP4 = 39, NVFP4 = 40, Q1_0 = 41, Q2_0 = 42,
};

inline constexpr std::uint32_t kGgmlTypeCount = 43;  // readers reject ids >= this

struct DTypeInfo {
  GgmlType type;
  std::string_view name;      // ggml's name, upper case: "Q4_K", "BF16"
  std::uint32_t block_elems;  // elements per block (1 for plain types)
  std::uint32_t block_bytes;  // bytes per block
  bool supported;             // read / write / dequantize implemented by apr-qa
  bool quantizable;           // apr-qa has a byte-exact reference quantizer to this type
};

// Info for any id ggml knows (supported or not); nullptr for removed ids (4, 5, 31-33, 36-38)
// and ids >= kGgmlTypeCount.
const DTypeInfo* find_dtype(std::uint32_t id) noexcept;
const DTypeInfo& dtype_info(GgmlType t);  // throws internal Error if t is not a known id
std::string_view dtype_name(GgmlType t) noexcept;  // "UNKNOWN(n)"-safe: returns "?" for unknown

// Parse a name case-insensitively ("q4_k", "BF16"); nullopt if unknown.
std::optional<GgmlType> dtype_from_name(std::string_view name) noexcept;

// Validate an id read from a file: known, not removed, supported. On failure throws an
// `unsupported` (known but not implemented) or `validation` (unknown/removed id) Error whose
// message names the id, its name if any, and the supported list.
GgmlType require_supported_dtype(std::uint32_t id);

// List of supported types, for messages: "F32, F16, BF16, Q8_0, ...".
std::string supported_dtype_list();

bool is_quantized(GgmlType t) noexcept;  // block_elems > 1

// Bytes for one row of ne0 elements. Throws validation Error if ne0 % block_elems != 0.
std::uint64_t row_bytes(GgmlType t, std::uint64_t ne0);
// Bytes for a whole row-major tensor (shape outermost first; last dim is the row).
// Throws validation Error on overflow or a bad last dimension. A 0-d shape is one element.
std::uint64_t tensor_bytes(GgmlType t, std::span<const std::int64_t> shape);
// Number of elements, with overflow checking (throws validation Error).
std::uint64_t element_count(std::span<const std::int64_t> shape);

}  // namespace apr
