// apr-qa convert: --quantize schemes and llama.cpp's tensor-type rules (formats.md §2.5,
// llama_tensor_get_type of the llama.cpp that llama-cpp-python 0.3.16 ships, without imatrix):
//  * quantized: >= 2-D tensors whose name ends in "weight" and is not a *_norm.weight;
//  * output.weight, or token_embd.weight when there is no output.weight: Q8_0 if ne0 is not a
//    multiple of the scheme's block size, else Q6_K unless the scheme is Q8_0;
//  * q4_k_m / q5_k_m: attn_v and ffn_down get Q6_K on layers where use_more_bits(i, n);
//  * q2_k: attn_v gets Q4_K when n_head / n_head_kv >= 4, else Q3_K; ffn_down and attn_output Q3_K;
//  * q3_k_m: attn_v gets Q5_K on layers 0-1, else Q4_K; ffn_down Q5_K on layers < n/16, else
//    Q4_K; attn_output Q4_K;
//  * a K-quant on a row whose ne0 % 256 != 0 falls back: Q4_K->Q5_0, Q5_K->Q5_1, Q6_K->Q8_0,
//    Q2_K/Q3_K->IQ4_NL; if that still does not divide ne0, F16.
#include "convert/tensor_plan.hpp"
#include "model/arch_traits.hpp"

namespace apr::convert {

const std::vector<std::string>& quantize_scheme_names() {
  static const std::vector<std::string> n{"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q2_k", "q3_k_m", "q4_k_m", "q5_k_m", "q6_k"};
  return n;
}

namespace detail {

const QuantScheme& quant_scheme(const std::string& name) {
  static const std::vector<QuantScheme> table{
      {"q8_0", GgmlType::Q8_0, QuantMix::none, 7},    {"q4_0", GgmlType::Q4_0, QuantMix::none, 2},
      {"q4_1", GgmlType::Q4_1, QuantMix::none, 3},    {"q5_0", GgmlType::Q5_0, QuantMix::none, 8},
      {"q5_1", GgmlType::Q5_1, QuantMix::none, 9},    {"q2_k", GgmlType::Q2_K, QuantMix::q2_k, 10},
      {"q3_k_m", GgmlType::Q3_K, QuantMix::q3_k_m, 12}, {"q4_k_m", GgmlType::Q4_K, QuantMix::k_m, 15},
      {"q5_k_m", GgmlType::Q5_K, QuantMix::k_m, 17},  {"q6_k", GgmlType::Q6_K, QuantMix::none, 18},
  };
  for (const auto& s : table)
    if (s.name == name) return s;
  std::string list;
  for (const auto& s : table) list += (list.empty() ? "" : ", ") + s.name;
  throw validation_error("--quantize '" + name + "' is not a supported scheme, expected one of " + list).at_key("quantize");
}

namespace {
bool use_more_bits(std::int64_t i, std::int64_t n) { return i < n / 8 || i >= 7 * n / 8 || (i - n / 8) % 3 == 2; }
bool is_k(GgmlType t) {
  return t == GgmlType::Q2_K || t == GgmlType::Q3_K || t == GgmlType::Q4_K || t == GgmlType::Q5_K || t == GgmlType::Q6_K;
}
bool ends_with(const std::string& s, const std::string& suf) {
  return s.size() >= suf.size() && s.compare(s.size() - suf.size(), suf.size(), suf) == 0;
}
bool has(const std::string& s, const char* part) { return s.find(part) != std::string::npos; }

// The mix's choice for attn_v / ffn_down / attn_output of layer `layer` (base type otherwise).
GgmlType mixed_type(const QuantScheme& s, const std::string& name, GgmlType t, std::int64_t layer,
                    std::int64_t n_layers, std::int64_t n_gqa) {
  switch (s.mix) {
    case QuantMix::none: return t;
    case QuantMix::k_m:
      if ((has(name, "attn_v.weight") || has(name, "ffn_down")) && use_more_bits(layer, n_layers)) return GgmlType::Q6_K;
      return t;
    case QuantMix::q2_k:
      if (has(name, "attn_v.weight")) return n_gqa >= 4 ? GgmlType::Q4_K : GgmlType::Q3_K;
      if (has(name, "ffn_down") || has(name, "attn_output.weight")) return GgmlType::Q3_K;
      return t;
    case QuantMix::q3_k_m:
      if (has(name, "attn_v.weight")) return layer < 2 ? GgmlType::Q5_K : GgmlType::Q4_K;
      if (has(name, "ffn_down")) return layer < n_layers / 16 ? GgmlType::Q5_K : GgmlType::Q4_K;
      if (has(name, "attn_output.weight")) return GgmlType::Q4_K;
      return t;
  }
  return t;
}
}  // namespace

std::optional<GgmlType> quant_type_for(const QuantScheme& s, const std::string& name, const std::vector<std::int64_t>& shape,
                                       std::int64_t n_layers, bool has_output, std::int64_t n_gqa) {
  if (shape.size() < 2 || !ends_with(name, "weight") || name.find("_norm.weight") != std::string::npos) return std::nullopt;
  const std::int64_t nx = shape.back();
  GgmlType t = s.base;
  if (name == "output.weight" || (!has_output && name == "token_embd.weight")) {
    if (nx % static_cast<std::int64_t>(dtype_info(t).block_elems) != 0)
      t = GgmlType::Q8_0;
    else if (t != GgmlType::Q8_0)
      t = GgmlType::Q6_K;
  } else if (name != "token_embd.weight") {
    t = mixed_type(s, name, t, model::layer_of(name), n_layers, n_gqa);
  }
  if (is_k(t) && nx % 256 != 0) {
    switch (t) {
      case GgmlType::Q4_K: t = GgmlType::Q5_0; break;
      case GgmlType::Q5_K: t = GgmlType::Q5_1; break;
      case GgmlType::Q6_K: t = GgmlType::Q8_0; break;
      default: t = GgmlType::IQ4_NL; break;
    }
    if (nx % static_cast<std::int64_t>(dtype_info(t).block_elems) != 0) t = GgmlType::F16;
  }
  if (nx % static_cast<std::int64_t>(dtype_info(t).block_elems) != 0)
    throw validation_error("cannot quantize to " + std::string(dtype_name(t)) + ": row length " + std::to_string(nx) +
                           " is not a multiple of its block size")
        .at_tensor(name);
  return t;
}

}  // namespace detail
}  // namespace apr::convert
