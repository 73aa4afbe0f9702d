// apr-qa engine: binding the canonical model's tensors to the forward pass.
//
// A Matrix is a 2-D weight [rows, cols] in its stored dtype; row(r) yields the exact f32 values
// of canonical row r (honouring the tensor's row-order map): straight from the mapped bytes for
// aligned F32, otherwise dequantized into caller scratch by the tensor layer. Vectors (norm
// weights, biases) are small and dequantized once when the engine is created.
// bind_weights() checks every tensor the architecture needs — presence, shape, supported dtype,
// and that no unexpected tensor is present — and throws a validation/unsupported apr::Error
// naming the tensor with expected vs found.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "engine/act_quant.hpp"
#include "engine/int8_pack.hpp"
#include "model/canonical_model.hpp"

namespace apr::engine {

class Matrix {
 public:
  Matrix() = default;
  explicit Matrix(const model::CanonicalTensor* t);
  std::int64_t rows() const { return rows_; }
  std::int64_t cols() const { return cols_; }
  GgmlType type() const { return t_ ? t_->type() : GgmlType::F32; }
  const std::string& name() const { return t_->name; }
  // Exact f32 values of canonical row r; `scratch` must hold cols() floats.
  const float* row(std::int64_t r, float* scratch) const;
  // row(r) . x via a fused kernel when one exists for the dtype (bit-identical to dot(row, x));
  // false when none does.
  bool fused_dot(std::int64_t r, const float* x, float* out) const;
  // out[r - r0] = row(r) . x for r in [r0, r1) via the fused kernel (same bits as fused_dot);
  // false when the dtype has none or the rows are not stored in canonical order.
  bool fused_dot_rows(std::int64_t r0, std::int64_t r1, const float* x, float* out) const;
  // Fast mode (non-reference): whether the dtype and row length have an int8 kernel
  // (int8_dot.hpp), and Y[t * ldy + (r - r0)] = row(r) . activation row t for r in [r0, r1),
  // t < a.tokens, by that kernel.
  bool int8_ok() const;
  // Computed by the packed kernel (int8_pack.hpp) once pack_int8() has run, which the fast mode
  // does for every matrix whose dtype and row length are int8_packable().
  void int8_rows(std::int64_t r0, std::int64_t r1, const QuantizedActs& a, float* Y, std::int64_t ldy) const;
  bool int8_packable() const;
  void pack_int8(const std::function<void(std::size_t, std::size_t)>& done = {});  // int8_pack()'s done
  bool int8_packed() const { return packed_ != nullptr; }
  const model::CanonicalTensor* tensor() const { return t_; }
  // row() reads the stored rows with pread from f at offset (the tensor's first byte) instead of
  // through the mapping (a tied embedding whose pages were released; same bytes, same values).
  void read_rows_from(std::shared_ptr<const MappedFile> f, std::uint64_t offset);

 private:
  const model::CanonicalTensor* t_ = nullptr;
  std::int64_t rows_ = 0, cols_ = 0;
  bool direct_f32_ = false;  // aligned F32 in identity order: point into the bytes
  std::shared_ptr<const Int8Packed> packed_;  // fast mode: the repacked rows
  std::shared_ptr<const MappedFile> file_;    // fast mode, tied embedding: rows read with pread
  std::uint64_t file_offset_ = 0;
};

struct LayerWeights {
  std::vector<float> attn_norm, ffn_norm;
  Matrix q, k, v, o, gate, up, down;
  std::vector<float> bq, bk, bv, bo;  // empty when the architecture/config has no such bias
};

struct ModelWeights {
  Matrix embed;     // [vocab, hidden]
  Matrix lm_head;   // [vocab, hidden]; the embedding when tied
  std::vector<float> final_norm;
  std::vector<LayerWeights> layers;
};

// Exact dequantization of n elements of one row of dtype t into dst.
void dequantize_into(GgmlType t, const std::byte* src, float* dst, std::int64_t n);

ModelWeights bind_weights(const model::CanonicalModel& m);

// Fast mode: packs every int8_packable() matrix of w (tensor by tensor) and drops the packed
// tensors' source pages from RSS (madvise on the model's private read-only file mappings; a
// later read, e.g. the embedding lookup of a tied lm_head, faults a page in again from the file).
// m null: pack only (matrices already packed are kept).
void pack_int8_weights(ModelWeights& w, const model::CanonicalModel* m);

}  // namespace apr::engine
