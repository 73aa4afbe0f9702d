#include "engine/weights.hpp"

#include <cstring>

#include <unistd.h>
#include <set>
#include <string>

#include "core/mapped_file.hpp"
#include "model/arch_traits.hpp"

#include "engine/dequant_fast.hpp"
#include "engine/int8_dot.hpp"
#include "tensor/dequantize.hpp"

namespace apr::engine {

namespace {

std::string shape_str(const std::vector<std::int64_t>& s) {
  std::string r = "[";
  for (std::size_t i = 0; i < s.size(); ++i) r += (i ? "," : "") + std::to_string(s[i]);
  return r + "]";
}

class Binder {
 public:
  explicit Binder(const model::CanonicalModel& m) : m_(m) {}

  const model::CanonicalTensor* find(const std::string& name) const {
    for (const auto& t : m_.tensors)
      if (t.name == name) return &t;
    return nullptr;
  }

  const model::CanonicalTensor& require(const std::string& name, std::vector<std::int64_t> shape) {
    const auto* t = find(name);
    if (!t)
      throw validation_error("engine: required tensor is missing; expected shape " + shape_str(shape))
          .at_tensor(name);
    check(*t, shape);
    return *t;
  }

  void check(const model::CanonicalTensor& t, const std::vector<std::int64_t>& shape) {
    if (t.shape() != shape)
      throw validation_error("engine: expected shape " + shape_str(shape) + ", found " + shape_str(t.shape()))
          .at_tensor(t.name);
    const auto* info = find_dtype(static_cast<std::uint32_t>(t.type()));
    if (!info || !info->supported)
      throw unsupported_error("engine: dtype " + std::string(dtype_name(t.type())) +
                              " is not supported; expected one of " + supported_dtype_list())
          .at_tensor(t.name);
    if (!t.row_order.empty() && static_cast<std::int64_t>(t.row_order.size()) != t.source.rows())
      throw validation_error("engine: row order has " + std::to_string(t.row_order.size()) +
                             " entries, expected " + std::to_string(t.source.rows()))
          .at_tensor(t.name);
    used_.insert(t.name);
  }

  Matrix matrix(const std::string& name, std::int64_t rows, std::int64_t cols) {
    return Matrix(&require(name, {rows, cols}));
  }

  std::vector<float> vector(const std::string& name, std::int64_t n) {
    const auto& t = require(name, {n});
    return to_f32(t, n);
  }

  // A bias: required when `expected`, else it must be absent.
  std::vector<float> optional_vector(const std::string& name, std::int64_t n, bool expected) {
    if (expected) return vector(name, n);
    if (find(name))
      throw validation_error("engine: unexpected bias tensor: the architecture/config (attention_bias=false) has none")
          .at_tensor(name);
    return {};
  }

  void mark_used(const std::string& name) { used_.insert(name); }

  void reject_unknown() const {
    for (const auto& t : m_.tensors)
      if (!used_.count(t.name))
        throw validation_error("engine: tensor is not part of the " +
                               std::string(model::arch_traits(m_.config.arch).name) + " forward pass")
            .at_tensor(t.name);
  }

 private:
  static std::vector<float> to_f32(const model::CanonicalTensor& t, std::int64_t n) {
    std::vector<float> v(static_cast<std::size_t>(n));
    auto r = t.row(0);
    dequantize_into(t.type(), r.data(), v.data(), n);
    return v;
  }

  const model::CanonicalModel& m_;
  std::set<std::string> used_;
};

void check_config(const model::ModelConfig& c) {
  auto bad = [](const std::string& key, const std::string& msg) {
    return validation_error("engine: config " + key + ": " + msg).at_key(key);
  };
  if (c.hidden <= 0) throw bad("hidden", "expected > 0, found " + std::to_string(c.hidden));
  if (c.layers <= 0) throw bad("layers", "expected > 0, found " + std::to_string(c.layers));
  if (c.heads <= 0) throw bad("heads", "expected > 0, found " + std::to_string(c.heads));
  if (c.kv_heads <= 0 || c.heads % c.kv_heads != 0)
    throw bad("kv_heads", "expected a divisor of heads=" + std::to_string(c.heads) + ", found " +
                              std::to_string(c.kv_heads));
  if (c.head_dim <= 0 || c.head_dim % 2 != 0)
    throw bad("head_dim", "expected an even number > 0, found " + std::to_string(c.head_dim));
  if (c.ffn <= 0) throw bad("ffn", "expected > 0, found " + std::to_string(c.ffn));
  if (c.vocab <= 0) throw bad("vocab", "expected > 0, found " + std::to_string(c.vocab));
  if (!(c.rope_theta > 0)) throw bad("rope_theta", "expected > 0, found " + std::to_string(c.rope_theta));
  if (!(c.rms_eps > 0)) throw bad("rms_eps", "expected > 0, found " + std::to_string(c.rms_eps));
}

}  // namespace

void dequantize_into(GgmlType t, const std::byte* src, float* dst, std::int64_t n) {
  if (t == GgmlType::F32) {
    std::memcpy(dst, src, static_cast<std::size_t>(n) * sizeof(float));
    return;
  }
  if (dequantize_fast(t, src, dst, n)) return;
  apr::dequantize_row(t, src, dst, n);
}

Matrix::Matrix(const model::CanonicalTensor* t) : t_(t) {
  rows_ = t->shape()[0];
  cols_ = t->shape()[1];
  direct_f32_ = t->type() == GgmlType::F32 && t->is_identity_order() &&
                reinterpret_cast<std::uintptr_t>(t->source.data.data()) % alignof(float) == 0;
}

void Matrix::read_rows_from(std::shared_ptr<const MappedFile> f, std::uint64_t offset) {
  file_ = std::move(f);
  file_offset_ = offset;
}

const float* Matrix::row(std::int64_t r, float* scratch) const {
  if (file_) {
    const auto stride = static_cast<std::size_t>(t_->source.row_stride());
    const std::int64_t stored = t_->row_order.empty() ? r : t_->row_order[static_cast<std::size_t>(r)];
    const std::uint64_t off = file_offset_ + static_cast<std::uint64_t>(stored) * stride;
    thread_local std::vector<std::byte> buf;
    buf.resize(stride);
    std::size_t got = 0;
    while (got < stride) {
      const ssize_t n = ::pread(file_->fd(), buf.data() + got, stride - got, static_cast<off_t>(off + got));
      if (n <= 0) break;
      got += static_cast<std::size_t>(n);
    }
    if (got == stride) {
      dequantize_into(t_->type(), buf.data(), scratch, cols_);
      return scratch;
    }
    // a failed read: the mapping still holds the bytes (faulted in again)
  }
  if (direct_f32_)
    return reinterpret_cast<const float*>(t_->source.data.data()) + r * cols_;
  auto bytes = t_->row(r);
  dequantize_into(t_->type(), bytes.data(), scratch, cols_);
  return scratch;
}

bool Matrix::fused_dot(std::int64_t r, const float* x, float* out) const {
  if (direct_f32_) return false;
  return dot_fast(t_->type(), t_->row(r).data(), x, cols_, out);
}

bool Matrix::fused_dot_rows(std::int64_t r0, std::int64_t r1, const float* x, float* out) const {
  if (direct_f32_ || !t_->is_identity_order() || r1 <= r0) return false;
  const auto stride = static_cast<std::size_t>(t_->source.row_stride());
  return dot_fast_rows(t_->type(), t_->source.data.data() + static_cast<std::size_t>(r0) * stride, stride, r1 - r0,
                       x, cols_, out);
}

bool Matrix::int8_ok() const { return t_ && int8_supported(t_->type(), cols_); }

void Matrix::int8_rows(std::int64_t r0, std::int64_t r1, const QuantizedActs& a, float* Y, std::int64_t ldy) const {
  const Int8Rows w{reinterpret_cast<const std::uint8_t*>(t_->source.data.data()),
                   static_cast<std::size_t>(t_->source.row_stride()),
                   t_->is_identity_order() ? nullptr : t_->row_order.data()};
  if (packed_) {
    int8_packed_rows(*packed_, r0, r1, a, 0, a.tokens, Y, ldy);
    return;
  }
  apr::engine::int8_rows(t_->type(), w, r0, r1, a, 0, a.tokens, Y, ldy);
}

bool Matrix::int8_packable() const { return t_ && apr::engine::int8_packable(t_->type(), cols_); }

void Matrix::pack_int8(const std::function<void(std::size_t, std::size_t)>& done) {
  if (packed_ || !int8_packable()) return;
  const Int8Rows w{reinterpret_cast<const std::uint8_t*>(t_->source.data.data()),
                   static_cast<std::size_t>(t_->source.row_stride()),
                   t_->is_identity_order() ? nullptr : t_->row_order.data()};
  packed_ = std::make_shared<const Int8Packed>(int8_pack(t_->type(), w, rows_, cols_, done));
}

void pack_int8_weights(ModelWeights& w, const model::CanonicalModel* m) {
  // The source bytes [b, e) of tensor t (offsets into its data) dropped from RSS, where t lies in
  // one of the model's mapped files.
  auto release = [&](const model::CanonicalTensor* t, std::size_t b, std::size_t e) {
    if (!m) return;
    for (const auto& f : m->keep_alive) {
      if (!f) continue;
      const std::byte* p = t->source.data.data();
      if (p < f->data() || p >= f->data() + f->size()) continue;
      f->release(static_cast<std::uint64_t>(p - f->data()) + b, e - b);
    }
  };
  auto one = [&](Matrix& x) {
    if (!x.int8_packable() || x.int8_packed()) return;
    const model::CanonicalTensor* t = x.tensor();
    x.pack_int8([&](std::size_t b, std::size_t e) { release(t, b, e); });
    release(t, 0, t->source.data.size());
  };
  for (auto& L : w.layers)
    for (Matrix* x : {&L.q, &L.k, &L.v, &L.o, &L.gate, &L.up, &L.down}) one(*x);
  one(w.lm_head);
  // A tied embedding's table was released with the packed lm_head: its lookups read rows with
  // pread (the page cache, not this process's RSS; through the mapping each fault would map the
  // neighbouring cached pages too, ~14 MB over a 512-token prompt measured).
  if (m && w.lm_head.int8_packed() && w.embed.tensor() == w.lm_head.tensor())
    for (const auto& f : m->keep_alive) {
      const std::byte* p = w.embed.tensor()->source.data.data();
      if (f && f->fd() >= 0 && p >= f->data() && p < f->data() + f->size())
        w.embed.read_rows_from(f, static_cast<std::uint64_t>(p - f->data()));
    }
}

ModelWeights bind_weights(const model::CanonicalModel& m) {
  const auto& c = m.config;
  const auto& traits = model::arch_traits(c.arch);  // unsupported Error for unknown archs
  check_config(c);
  Binder b(m);
  ModelWeights w;
  const std::int64_t qd = c.heads * c.head_dim, kd = c.kv_heads * c.head_dim;
  w.embed = b.matrix("model.embed_tokens.weight", c.vocab, c.hidden);
  if (c.tied_embeddings) {
    w.lm_head = w.embed;
    if (b.find("lm_head.weight")) b.require("lm_head.weight", {c.vocab, c.hidden});
  } else {
    w.lm_head = b.matrix("lm_head.weight", c.vocab, c.hidden);
  }
  w.final_norm = b.vector("model.norm.weight", c.hidden);
  // Architecture differences come from the model layer's traits table (no switch here).
  const bool has_bias = traits.attention_bias_required || (traits.attention_bias_allowed && c.attention_bias);
  const bool has_o_bias = has_bias && traits.o_bias_with_attention_bias;
  for (std::int64_t l = 0; l < c.layers; ++l) {
    const std::string p = "model.layers." + std::to_string(l) + ".";
    LayerWeights L;
    L.attn_norm = b.vector(p + "input_layernorm.weight", c.hidden);
    L.ffn_norm = b.vector(p + "post_attention_layernorm.weight", c.hidden);
    L.q = b.matrix(p + "self_attn.q_proj.weight", qd, c.hidden);
    L.k = b.matrix(p + "self_attn.k_proj.weight", kd, c.hidden);
    L.v = b.matrix(p + "self_attn.v_proj.weight", kd, c.hidden);
    L.o = b.matrix(p + "self_attn.o_proj.weight", c.hidden, qd);
    L.gate = b.matrix(p + "mlp.gate_proj.weight", c.ffn, c.hidden);
    L.up = b.matrix(p + "mlp.up_proj.weight", c.ffn, c.hidden);
    L.down = b.matrix(p + "mlp.down_proj.weight", c.hidden, c.ffn);
    L.bq = b.optional_vector(p + "self_attn.q_proj.bias", qd, has_bias);
    L.bk = b.optional_vector(p + "self_attn.k_proj.bias", kd, has_bias);
    L.bv = b.optional_vector(p + "self_attn.v_proj.bias", kd, has_bias);
    L.bo = b.optional_vector(p + "self_attn.o_proj.bias", c.hidden, has_o_bias);
    w.layers.push_back(std::move(L));
  }
  b.reject_unknown();
  return w;
}

}  // namespace apr::engine
