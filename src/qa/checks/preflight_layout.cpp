// Check kind preflight_layout: the row-major [out, in] layout contract on one artifact
// (every measurement below; each catalogue gate of this kind judges the ones its YAML names).
#include <cmath>
#include <regex>

#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "tensor/dequantize.hpp"

namespace apr::qa::checks {

CheckOutput preflight_layout(const nlohmann::json& p) {
  CheckOutput o;
  auto m = load_unchecked(p.at("model").get<std::string>());
  const auto& c = m->config;
  const std::int64_t hd = c.head_dim > 0 ? c.head_dim : (c.heads ? c.hidden / c.heads : 0);
  static const std::regex proj(R"(\.(q_proj|k_proj|v_proj|o_proj|gate_proj|up_proj|down_proj)\.weight$)");
  std::size_t checked = 0, sized = 0, weight_v = 0, transposed = 0, vec_v = 0, bytes_v = 0, head_v = 0, head_val_v = 0;
  auto expect2 = [&](const std::string& n) -> std::pair<std::int64_t, std::int64_t> {
    std::smatch mt;
    if (n == "model.embed_tokens.weight" || n == "lm_head.weight") return {c.vocab, c.hidden};
    if (!std::regex_search(n, mt, proj)) return {-1, -1};
    std::string k = mt[1];
    if (k == "q_proj") return {c.heads * hd, c.hidden};
    if (k == "k_proj" || k == "v_proj") return {c.kv_heads * hd, c.hidden};
    if (k == "o_proj") return {c.hidden, c.heads * hd};
    if (k == "down_proj") return {c.hidden, c.ffn};
    return {c.ffn, c.hidden};
  };
  // tensors_checked counts tensors a shape rule applied to; every tensor's byte size is checked.
  for (const auto& t : m->tensors) {
    ++sized;
    const auto& s = t.shape();
    if (t.source.data.size() != tensor_bytes(t.type(), s)) {
      ++bytes_v;
      o.output += fmt::format("byte size of {}: {} != shape's {}\n", t.name, t.source.data.size(), tensor_bytes(t.type(), s));
    }
    if (s.size() == 2) {
      auto [eo, ei] = expect2(t.name);
      if (eo < 0) continue;
      ++checked;
      if (s[0] != eo || s[1] != ei) {
        ++weight_v;
        if (s[0] == ei && s[1] == eo) ++transposed;
        if (t.name == "lm_head.weight" || t.name == "model.embed_tokens.weight") ++head_v;
        o.output += fmt::format("{}: [{}, {}], expected [{}, {}]\n", t.name, s[0], s[1], eo, ei);
      }
    } else if (s.size() == 1) {
      bool norm = t.name.find("norm") != std::string::npos;
      checked += norm ? 1 : 0;
      if (norm && s[0] != c.hidden) {
        ++vec_v;
        o.output += fmt::format("{}: [{}], expected [{}]\n", t.name, s[0], c.hidden);
      }
    }
  }
  // lm_head values (or the tied embedding): finite and not constant.
  const auto* head = m->find("lm_head.weight");
  if (!head) head = m->find("model.embed_tokens.weight");
  if (head && head->shape().size() == 2) {
    std::vector<float> row(static_cast<std::size_t>(head->source.row_len()));
    std::int64_t rows = head->source.rows();
    double first = NAN;
    bool constant = true;
    for (std::int64_t r = 0; r < rows; r += std::max<std::int64_t>(1, rows / 256)) {
      dequantize_row(head->type(), head->row(r).data(), row.data(), head->source.row_len());
      for (float v : row) {
        if (!std::isfinite(v)) { ++head_val_v; break; }
        if (std::isnan(first)) first = v;
        else if (v != first) constant = false;
      }
    }
    if (constant) ++head_val_v;
  } else {
    ++head_v;
  }
  o.add("tensors_checked", static_cast<double>(checked));
  o.add("tensors_size_checked", static_cast<double>(sized));
  o.add("layout_violations", static_cast<double>(weight_v + vec_v + bytes_v));
  o.add("transposed_tensors", static_cast<double>(transposed));
  o.add("weight_shape_violations", static_cast<double>(weight_v));
  o.add("lm_head_violations", static_cast<double>(head_v));
  o.add("vector_violations", static_cast<double>(vec_v));
  o.add("byte_size_violations", static_cast<double>(bytes_v));
  o.add("lm_head_value_violations", static_cast<double>(head_val_v));
  return o;
}

}  // namespace apr::qa::checks
