// apr-qa convert: --quantize schemes and llama.cpp's tensor-type rules (formats.md §2.5,
// llama.cpp v0.5.0 llama_tensor_get_type without imatrix):
//  * quantized: >= 2-D tensors whose name ends in "weight" and is not a *_norm.weight;
//  * output.weight, or token_embd.weight when there is no output.weight: Q8_0 if ne0 is not a
//    multiple of the scheme's block size, else Q6_K unless the scheme is Q8_0;
//  * q4_k_m / q5_k_m: attn_v and ffn_down get Q6_K on layers where use_more_bits(i, n);
//  * a K-quant on a row whose ne0 % 256 != 0 falls back: Q4_K->Q5_0, Q5_K->Q5_1, Q6_K->Q8_0,
//    Q2_K/Q3_K->Q4_0; if that still does not divide ne0, F16.
#include "convert/tensor_plan.hpp"
#include "model/arch_traits.hpp"

namespace apr::convert {

const std::vector<std::string>& quantize_scheme_names() {
  static const std::vector<std::string> n{"q8_0", "q4_0", "q4_1", "q5_0", "q5_1", "q4_k_m", "q5_k_m", "q6_k"};
  return n;
}

namespace detail {

const QuantScheme& quant_scheme(const std::string& name) {
  static const std::vector<QuantScheme> table{
      {"q8_0", GgmlType::Q8_0, false, 7},    {"q4_0", GgmlType::Q4_0, false, 2},
      {"q4_1", GgmlType::Q4_1, false, 3},    {"q5_0", GgmlType::Q5_0, false, 8},
      {"q5_1", GgmlType::Q5_1, false, 9},    {"q4_k_m", GgmlType::Q4_K, true, 15},
      {"q5_k_m", GgmlType::Q5_K, true, 17},  {"q6_k", GgmlType::Q6_K, false, 18},
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
}  // namespace

std::optional<GgmlType> quant_type_for(const QuantScheme& s, const std::string& name, const std::vector<std::int64_t>& shape,
                                       std::int64_t n_layers, bool has_output) {
  if (shape.size() < 2 || !ends_with(name, "weight") || name.find("_norm.weight") != std::string::npos) return std::nullopt;
  const std::int64_t nx = shape.back();
  GgmlType t = s.base;
  const int layer = model::layer_of(name);
  if (name == "output.weight" || (!has_output && name == "token_embd.weight")) {
    if (nx % static_cast<std::int64_t>(dtype_info(t).block_elems) != 0)
      t = GgmlType::Q8_0;
    else if (t != GgmlType::Q8_0)
      t = GgmlType::Q6_K;
  } else if (name.find("attn_v.weight") != std::string::npos) {
    if (s.k_mix && use_more_bits(layer, n_layers)) t = GgmlType::Q6_K;
  } else if (name.find("ffn_down") != std::string::npos) {
    if (s.k_mix && use_more_bits(layer, n_layers)) t = GgmlType::Q6_K;
  }
  if (is_k(t) && nx % 256 != 0) {
    switch (t) {
      case GgmlType::Q4_K: t = GgmlType::Q5_0; break;
      case GgmlType::Q5_K: t = GgmlType::Q5_1; break;
      case GgmlType::Q6_K: t = GgmlType::Q8_0; break;
      default: t = GgmlType::Q4_0; break;
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
