// apr-qa convert: planted converter faults for the mutation suite (see fault_hooks.hpp).
#include "convert/fault_hooks.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>
#include <memory>
#include <string>

#include "core/error.hpp"
#include "core/switches.hpp"
#include "tensor/dequantize.hpp"

namespace apr::convert::detail {

namespace {

bool is(const char* name, ModelFormat f, std::initializer_list<ModelFormat> targets) {
  if (!fault_planted(name)) return false;
  return std::find(targets.begin(), targets.end(), f) != targets.end();
}

std::string now_ns() {
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(
                            std::chrono::system_clock::now().time_since_epoch())
                            .count());
}

model::CanonicalTensor& need(model::CanonicalModel& m, const std::string& name) {
  for (auto& t : m.tensors)
    if (t.name == name) return t;
  throw internal_error("planted fault " + switches().fault + ": the model has no tensor " + name);
}

// The tensor's bytes in canonical row order, owned by the tensor from now on.
std::vector<std::byte>& materialize(model::CanonicalTensor& t) {
  auto buf = std::make_shared<std::vector<std::byte>>();
  for (std::int64_t r = 0; r < t.source.rows(); ++r) {
    auto row = t.row(r);
    buf->insert(buf->end(), row.begin(), row.end());
  }
  t.row_order.clear();
  t.source.data = std::span<const std::byte>(buf->data(), buf->size());
  t.owned = buf;
  return *buf;
}

std::size_t float_bytes(const model::CanonicalTensor& t) {
  switch (t.type()) {
    case GgmlType::F32: return 4;
    case GgmlType::F16:
    case GgmlType::BF16: return 2;
    default:
      throw internal_error("planted fault " + switches().fault + ": tensor " + t.name + " is not a float tensor");
  }
}

// A producer of the F32 values of `orig` (widening with no provenance record).
std::function<void(std::span<std::byte>)> widened(const OutTensor& orig) {
  return [orig](std::span<std::byte> dst) {
    const std::uint64_t n = element_count(orig.shape);
    if (dst.size() != n * 4) throw internal_error("planted widening fault: unexpected chunked write of " + orig.name);
    std::vector<std::byte> src(tensor_bytes(orig.type, orig.shape));
    if (orig.produce)
      orig.produce(src);
    else
      std::memcpy(src.data(), orig.direct.data(), src.size());
    dequantize_row(orig.type, src.data(), reinterpret_cast<float*>(dst.data()), static_cast<std::int64_t>(n));
  };
}

}  // namespace

std::optional<model::CanonicalModel> planted_model_fault(const model::CanonicalModel& src, ModelFormat f) {
  if (switches().fault.empty()) return std::nullopt;
  using F = ModelFormat;
  model::CanonicalModel m = src;
  auto& c = m.config;
  auto& tk = m.tokenizer;
  const std::string l0 = "model.layers.0.";
  if (is("apr_rope_theta_x1_01", f, {F::apr})) {
    c.rope_theta *= 1.01;
  } else if (is("apr_rms_eps_x1_1", f, {F::apr})) {
    c.rms_eps *= 1.1;
  } else if (is("gguf_context_halved", f, {F::gguf})) {
    c.context /= 2;
  } else if (is("apr_untie_lm_head", f, {F::apr})) {
    if (!c.tied_embeddings) return std::nullopt;
    c.tied_embeddings = false;
    model::CanonicalTensor head = need(m, "model.embed_tokens.weight");
    head.name = "lm_head.weight";
    m.tensors.push_back(std::move(head));
    std::sort(m.tensors.begin(), m.tensors.end(), [](const auto& a, const auto& b) { return a.name < b.name; });
  } else if (is("nfc_dropped", f, {F::apr, F::gguf})) {
    tk.normalizer.clear();
  } else if (is("gguf_token_renamed", f, {F::gguf})) {
    tk.tokens.set(tk.tokens.size() / 2, std::string(tk.tokens.at(tk.tokens.size() / 2)) + "\u00b7");
  } else if (is("apr_merges_dropped", f, {F::apr})) {
    if (tk.merges.empty()) return std::nullopt;
    tk.merges.pop_back();
  } else if (is("safetensors_eos_changed", f, {F::safetensors})) {
    tk.eos_id = tk.eos_id.value_or(0) > 0 ? *tk.eos_id - 1 : 1;
  } else if (is("gguf_chat_template_dropped", f, {F::gguf})) {
    if (tk.chat_template.empty()) return std::nullopt;
    tk.chat_template.clear();
  } else if (is("apr_add_bos_flipped", f, {F::apr})) {
    tk.add_bos = !tk.add_bos.value_or(false);
  } else if (is("gguf_name_changed", f, {F::gguf})) {
    m.extra["general.name"] = "mutated-" + m.extra["general.name"];
  } else if (is("safetensors_timestamp", f, {F::safetensors})) {
    m.extra["written_at"] = now_ns();
  } else if (is("apr_one_ulp", f, {F::apr})) {
    auto& t = need(m, l0 + "mlp.down_proj.weight");
    const std::size_t w = float_bytes(t);
    auto& b = materialize(t);
    if (w == 4) {
      std::uint32_t u;
      std::memcpy(&u, b.data(), 4);
      ++u;
      std::memcpy(b.data(), &u, 4);
    } else {
      std::uint16_t u;
      std::memcpy(&u, b.data(), 2);
      ++u;
      std::memcpy(b.data(), &u, 2);
    }
  } else if (is("apr_tensors_swapped", f, {F::apr})) {
    auto& a = need(m, l0 + "mlp.gate_proj.weight");
    auto& b = need(m, l0 + "mlp.up_proj.weight");
    std::swap(a.source, b.source);
    std::swap(a.row_order, b.row_order);
    std::swap(a.owned, b.owned);
  } else if (is("apr_q_proj_transposed", f, {F::apr})) {
    auto& t = need(m, l0 + "self_attn.q_proj.weight");
    const std::size_t w = float_bytes(t);
    const std::int64_t n = t.shape().at(0);
    if (t.shape().size() != 2 || t.shape()[1] != n)
      throw internal_error("planted fault apr_q_proj_transposed: q_proj of layer 0 is not square");
    auto& b = materialize(t);
    std::vector<std::byte> out(b.size());
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = 0; j < n; ++j) std::memcpy(&out[(j * n + i) * w], &b[(i * n + j) * w], w);
    b = std::move(out);
    t.source.data = std::span<const std::byte>(b.data(), b.size());
  } else if (is("apr_k_rows_reversed", f, {F::apr})) {
    auto& t = need(m, l0 + "self_attn.k_proj.weight");
    const auto rows = t.source.rows();
    std::vector<std::int32_t> order(static_cast<std::size_t>(rows));
    for (std::int64_t r = 0; r < rows; ++r) {
      const auto from = rows - 1 - r;
      order[static_cast<std::size_t>(r)] =
          t.row_order.empty() ? static_cast<std::int32_t>(from) : t.row_order[static_cast<std::size_t>(from)];
    }
    t.row_order = std::move(order);
  } else {
    return std::nullopt;
  }
  return m;
}

void planted_plan_fault(Plan& p, ModelFormat f) {
  if (switches().fault.empty()) return;
  using F = ModelFormat;
  auto find = [&](const std::string& name) -> OutTensor& {
    for (auto& t : p.tensors)
      if (t.name == name) return t;
    throw internal_error("planted fault " + switches().fault + ": the plan has no tensor " + name);
  };
  auto drop = [&](const std::string& name) {
    find(name);
    std::erase_if(p.tensors, [&](const OutTensor& t) { return t.name == name; });
  };
  if (is("gguf_tensor_dropped", f, {F::gguf})) {
    drop("blk.0.ffn_norm.weight");
  } else if (is("apr_bias_dropped", f, {F::apr})) {
    drop("model.layers.0.self_attn.q_proj.bias");
  } else if (is("apr_shape_swapped", f, {F::apr})) {
    auto& t = find("model.layers.0.mlp.down_proj.weight");
    std::reverse(t.shape.begin(), t.shape.end());
  } else if (is("apr_dtype_mislabelled", f, {F::apr})) {
    for (auto& t : p.tensors)
      if (t.type == GgmlType::F16)
        t.type = GgmlType::BF16;
      else if (t.type == GgmlType::BF16)
        t.type = GgmlType::F16;
  } else if (is("apr_embed_widened", f, {F::apr})) {
    auto& t = find("model.embed_tokens.weight");
    if (t.type == GgmlType::F32) return;
    t.produce = widened(t);
    t.direct = {};
    t.type = GgmlType::F32;
  } else if (is("gguf_f16_widened", f, {F::gguf})) {
    for (auto& t : p.tensors)
      if (t.type == GgmlType::F16) {
        t.produce = widened(t);
        t.direct = {};
        t.type = GgmlType::F32;
      }
  }
}

}  // namespace apr::convert::detail
