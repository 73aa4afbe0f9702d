#include "qa/checks/dtype_provenance.hpp"

#include <cstring>
#include <vector>

#include "core/hash.hpp"
#include "tensor/dequantize.hpp"
#include "tensor/quantize.hpp"

namespace apr::qa::checks {
namespace {

bool format_holds(const std::string& format, GgmlType type, std::size_t rank) {
  if (format == "safetensors") return type == GgmlType::F32 || type == GgmlType::F16 || type == GgmlType::BF16;
  if (format == "gguf" && rank == 1) return type == GgmlType::F32;
  return true;
}

// Quantizes the F32 rows of f32 to `type`, row by row in canonical order, and hands each row's
// bytes to `row` (false stops). False when `type` cannot encode rows of this length.
template <typename F>
bool requantize_rows(const model::CanonicalTensor& f32, GgmlType type, F&& row) {
  const std::int64_t n = f32.source.row_len();
  if (f32.type() != GgmlType::F32 || !can_quantize(type) || n % static_cast<std::int64_t>(dtype_info(type).block_elems) != 0)
    return false;
  std::vector<std::byte> q(row_bytes(type, static_cast<std::uint64_t>(n)));
  for (std::int64_t r = 0; r < f32.source.rows(); ++r) {
    auto src = f32.row(r);
    quantize_row(type, reinterpret_cast<const float*>(src.data()), q.data(), n);
    if (!row(r, src, std::span<const std::byte>(q))) return false;
  }
  return true;
}

// Re-encoding f32's values as other's type gives other's bytes.
bool reencodes_to(const model::CanonicalTensor& f32, const model::CanonicalTensor& other) {
  return requantize_rows(f32, other.type(), [&](std::int64_t r, auto, std::span<const std::byte> q) {
    auto o = other.row(r);
    return o.size() == q.size() && std::memcmp(o.data(), q.data(), q.size()) == 0;
  });
}

// Re-encoding f32's values as `type` gives the recorded bytes (sha256 over the rows; without a
// recorded hash, values that come back bit-identical) — the converter's own restoration rule.
bool reencodes_to_record(const model::CanonicalTensor& f32, GgmlType type, const std::string& sha) {
  Sha256 h;
  std::vector<float> back(static_cast<std::size_t>(f32.source.row_len()));
  bool ok = requantize_rows(f32, type, [&](std::int64_t, std::span<const std::byte> src, std::span<const std::byte> q) {
    if (sha.empty()) {
      dequantize_row(type, q.data(), back.data(), f32.source.row_len());
      if (std::memcmp(back.data(), src.data(), src.size()) != 0) return false;
    }
    h.update(q);
    return true;
  });
  return ok && (sha.empty() || h.hex_digest() == sha);
}

}  // namespace

DtypeChange classify_dtype_change(const model::CanonicalTensor& ta, const model::CanonicalTensor& tb,
                                  const std::string& b_format) {
  const std::size_t rank = ta.shape().size();
  if (ta.type() == tb.type()) {
    const auto& orig = ta.original_type;
    if (ta.type() == GgmlType::F32 && orig && *orig != GgmlType::F32 && format_holds(b_format, *orig, rank) &&
        reencodes_to_record(tb, *orig, ta.original_sha256))
      return DtypeChange::missed_restoration;
    return DtypeChange::none;
  }
  if (ta.original_type && *ta.original_type == tb.type()) return DtypeChange::restoration;
  if (tb.original_type && *tb.original_type == ta.type())
    return format_holds(b_format, ta.type(), rank) && reencodes_to(tb, ta) ? DtypeChange::needless_widening
                                                                           : DtypeChange::recorded_widening;
  return DtypeChange::silent;
}

}  // namespace apr::qa::checks
