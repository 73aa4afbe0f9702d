#include "tensor/dtype.hpp"

#include <array>
#include <cctype>
#include <limits>

namespace apr {
namespace {

// id, name, block elems, block bytes, supported, quantizable
constexpr DTypeInfo kTable[] = {
    {GgmlType::F32, "F32", 1, 4, true, true},
    {GgmlType::F16, "F16", 1, 2, true, true},
    {GgmlType::Q4_0, "Q4_0", 32, 18, true, true},
    {GgmlType::Q4_1, "Q4_1", 32, 20, true, true},
    {GgmlType::Q5_0, "Q5_0", 32, 22, true, true},
    {GgmlType::Q5_1, "Q5_1", 32, 24, true, true},
    {GgmlType::Q8_0, "Q8_0", 32, 34, true, true},
    {GgmlType::Q8_1, "Q8_1", 32, 36, false, false},
    {GgmlType::Q2_K, "Q2_K", 256, 84, true, true},
    {GgmlType::Q3_K, "Q3_K", 256, 110, true, true},
    {GgmlType::Q4_K, "Q4_K", 256, 144, true, true},
    {GgmlType::Q5_K, "Q5_K", 256, 176, true, true},
    {GgmlType::Q6_K, "Q6_K", 256, 210, true, true},
    {GgmlType::Q8_K, "Q8_K", 256, 292, false, false},
    {GgmlType::IQ2_XXS, "IQ2_XXS", 256, 66, false, false},
    {GgmlType::IQ2_XS, "IQ2_XS", 256, 74, false, false},
    {GgmlType::IQ3_XXS, "IQ3_XXS", 256, 98, false, false},
    {GgmlType::IQ1_S, "IQ1_S", 256, 50, false, false},
    {GgmlType::IQ4_NL, "IQ4_NL", 32, 18, true, true},
    {GgmlType::IQ3_S, "IQ3_S", 256, 110, false, false},
    {GgmlType::IQ2_S, "IQ2_S", 256, 82, false, false},
    {GgmlType::IQ4_XS, "IQ4_XS", 256, 136, false, false},
    {GgmlType::I8, "I8", 1, 1, false, false},
    {GgmlType::I16, "I16", 1, 2, false, false},
    {GgmlType::I32, "I32", 1, 4, false, false},
    {GgmlType::I64, "I64", 1, 8, false, false},
    {GgmlType::F64, "F64", 1, 8, false, false},
    {GgmlType::IQ1_M, "IQ1_M", 256, 56, false, false},
    {GgmlType::BF16, "BF16", 1, 2, true, true},
    {GgmlType::TQ1_0, "TQ1_0", 256, 54, false, false},
    {GgmlType::TQ2_0, "TQ2_0", 256, 66, false, false},
    {GgmlType::MXFP4, "MXFP4", 32, 17, false, false},
    {GgmlType::NVFP4, "NVFP4", 64, 36, false, false},
    {GgmlType::Q1_0, "Q1_0", 128, 18, false, false},
    {GgmlType::Q2_0, "Q2_0", 64, 18, false, false},
};

constexpr std::array<const DTypeInfo*, kGgmlTypeCount> make_index() {
  std::array<const DTypeInfo*, kGgmlTypeCount> idx{};
  for (const auto& d : kTable) idx[static_cast<std::uint32_t>(d.type)] = &d;
  return idx;
}
constexpr auto kIndex = make_index();

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::uint64_t checked_mul(std::uint64_t a, std::uint64_t b, const char* what) {
  if (a != 0 && b > std::numeric_limits<std::uint64_t>::max() / a) {
    throw validation_error(std::string("size overflow computing ") + what);
  }
  return a * b;
}

}  // namespace

const DTypeInfo* find_dtype(std::uint32_t id) noexcept {
  return id < kGgmlTypeCount ? kIndex[id] : nullptr;
}

const DTypeInfo& dtype_info(GgmlType t) {
  const DTypeInfo* d = find_dtype(static_cast<std::uint32_t>(t));
  if (!d) throw internal_error("unknown GGML type id " + std::to_string(static_cast<std::uint32_t>(t)));
  return *d;
}

std::string_view dtype_name(GgmlType t) noexcept {
  const DTypeInfo* d = find_dtype(static_cast<std::uint32_t>(t));
  return d ? d->name : std::string_view("?");
}

std::optional<GgmlType> dtype_from_name(std::string_view name) noexcept {
  for (const auto& d : kTable) {
    if (iequals(d.name, name)) return d.type;
  }
  return std::nullopt;
}

std::string supported_dtype_list() {
  std::string s;
  for (const auto& d : kTable) {
    if (!d.supported) continue;
    if (!s.empty()) s += ", ";
    s += d.name;
  }
  return s;
}

GgmlType require_supported_dtype(std::uint32_t id) {
  const DTypeInfo* d = find_dtype(id);
  if (!d) {
    throw validation_error("invalid GGML type id " + std::to_string(id) +
                           " (removed or out of range; expected one of: " + supported_dtype_list() + ")");
  }
  if (!d->supported) {
    throw unsupported_error("dtype " + std::string(d->name) + " (id " + std::to_string(id) +
                            ") is not supported; supported: " + supported_dtype_list());
  }
  return d->type;
}

bool is_quantized(GgmlType t) noexcept {
  const DTypeInfo* d = find_dtype(static_cast<std::uint32_t>(t));
  return d && d->block_elems > 1;
}

std::uint64_t row_bytes(GgmlType t, std::uint64_t ne0) {
  const DTypeInfo& d = dtype_info(t);
  if (ne0 % d.block_elems != 0) {
    throw validation_error("row length " + std::to_string(ne0) + " is not a multiple of the " +
                           std::string(d.name) + " block size " + std::to_string(d.block_elems));
  }
  return checked_mul(ne0 / d.block_elems, d.block_bytes, "row bytes");
}

std::uint64_t element_count(std::span<const std::int64_t> shape) {
  std::uint64_t n = 1;
  for (std::int64_t dim : shape) {
    if (dim < 0) throw validation_error("negative dimension " + std::to_string(dim));
    n = checked_mul(n, static_cast<std::uint64_t>(dim), "element count");
  }
  return n;
}

std::uint64_t tensor_bytes(GgmlType t, std::span<const std::int64_t> shape) {
  if (shape.empty()) return row_bytes(t, 1);
  std::uint64_t rows = element_count(shape.first(shape.size() - 1));
  if (shape.back() < 0) throw validation_error("negative dimension " + std::to_string(shape.back()));
  return checked_mul(rows, row_bytes(t, static_cast<std::uint64_t>(shape.back())), "tensor bytes");
}

}  // namespace apr
