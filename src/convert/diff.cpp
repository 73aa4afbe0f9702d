// apr-qa convert: tensor-level model diff (see diff.hpp).
#include "convert/diff.hpp"

#include <cmath>
#include <cstring>
#include <limits>
#include <set>

#include "convert/import_internal.hpp"
#include "model/arch_traits.hpp"
#include "model/model_check.hpp"
#include "tensor/dequantize.hpp"

namespace apr::convert {
namespace {

using model::CanonicalTensor;

template <typename T>
std::string str(const T& v) {
  if constexpr (std::is_same_v<T, bool>) return v ? "true" : "false";
  else if constexpr (std::is_same_v<T, double>) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.17g", v);
    return buf;
  } else return std::to_string(v);
}

template <typename T>
void field(std::vector<std::string>& out, const char* name, const T& a, const T& b) {
  if (!(a == b)) out.push_back(std::string(name) + ": " + str(a) + " vs " + str(b));
}

std::string opt_str(const std::optional<std::int64_t>& v) { return v ? std::to_string(*v) : "none"; }
std::string opt_str(const std::optional<bool>& v) { return v ? (*v ? "true" : "false") : "none"; }

template <typename V>
void seq(std::vector<std::string>& out, const char* name, const V& a, const V& b) {
  if (a == b) return;
  std::size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  out.push_back(std::string(name) + ": " + std::to_string(a.size()) + " vs " + std::to_string(b.size()) +
                " entries, first difference at index " + std::to_string(i));
}

}  // namespace

std::vector<std::string> config_differences(const model::ModelConfig& a, const model::ModelConfig& b) {
  std::vector<std::string> out;
  if (a.arch != b.arch) out.push_back(std::string("architecture: ") + model::to_string(a.arch) + " vs " + model::to_string(b.arch));
  field(out, "hidden", a.hidden, b.hidden);
  field(out, "layers", a.layers, b.layers);
  field(out, "heads", a.heads, b.heads);
  field(out, "kv_heads", a.kv_heads, b.kv_heads);
  field(out, "head_dim", a.head_dim, b.head_dim);
  field(out, "ffn", a.ffn, b.ffn);
  field(out, "vocab", a.vocab, b.vocab);
  field(out, "context", a.context, b.context);
  field(out, "rope_theta", a.rope_theta, b.rope_theta);
  field(out, "rms_eps", a.rms_eps, b.rms_eps);
  field(out, "tied_embeddings", a.tied_embeddings, b.tied_embeddings);
  field(out, "attention_bias", a.attention_bias, b.attention_bias);
  return out;
}

namespace {

void diff_tokenizer(const model::TokenizerData& a, const model::TokenizerData& b, std::vector<std::string>& out) {
  if (a.model != b.model) out.push_back("model: differs (bpe vs spm)");
  if (a.pre != b.pre) out.push_back("pre: '" + a.pre + "' vs '" + b.pre + "'");
  seq(out, "tokens", a.tokens, b.tokens);
  seq(out, "token_types", a.token_types, b.token_types);
  seq(out, "merges", a.merges, b.merges);
  seq(out, "scores", a.scores, b.scores);
  auto id = [&](const char* n, const auto& x, const auto& y) {
    if (x != y) out.push_back(std::string(n) + ": " + opt_str(x) + " vs " + opt_str(y));
  };
  id("bos_id", a.bos_id, b.bos_id);
  id("eos_id", a.eos_id, b.eos_id);
  id("pad_id", a.pad_id, b.pad_id);
  id("unk_id", a.unk_id, b.unk_id);
  id("sep_id", a.sep_id, b.sep_id);
  id("add_bos", a.add_bos, b.add_bos);
  id("add_eos", a.add_eos, b.add_eos);
  // The SPM dummy prefix as a tokenizer applies it (unset: on for SPM, off for BPE).
  const bool spm_a = a.model == model::TokenizerModel::spm, spm_b = b.model == model::TokenizerModel::spm;
  if (a.add_space_prefix.value_or(spm_a) != b.add_space_prefix.value_or(spm_b))
    out.push_back("add_space_prefix: " + opt_str(a.add_space_prefix) + " vs " + opt_str(b.add_space_prefix));
  if (a.chat_template != b.chat_template)
    out.push_back("chat_template: " + std::to_string(a.chat_template.size()) + " vs " +
                  std::to_string(b.chat_template.size()) + " bytes, contents differ");
  id("eot_id", a.eot_id, b.eot_id);
  if (a.normalizer != b.normalizer)
    out.push_back("normalizer: '" + a.normalizer + "' vs '" + b.normalizer + "'");
  if (a.hf_not_special != b.hf_not_special)
    out.push_back("hf_not_special (added tokens marked special: false): " + std::to_string(a.hf_not_special.size()) +
                  " vs " + std::to_string(b.hf_not_special.size()) + " ids, contents differ");
}

TensorDiff compare(const std::string& name, const CanonicalTensor& a, const CanonicalTensor& b, const DiffOptions& o) {
  TensorDiff d;
  d.name = name;
  d.dtype_a = std::string(dtype_name(a.type()));
  d.dtype_b = std::string(dtype_name(b.type()));
  d.shape_a = a.shape();
  d.shape_b = b.shape();
  if (a.shape() != b.shape()) {
    d.status = "differs";
    d.max_abs = std::numeric_limits<double>::infinity();
    d.rmse = d.max_abs;
    d.cosine = 0;
    return d;
  }
  if (detail::same_bytes(a, b)) {
    d.status = "identical_bytes";
    return d;
  }
  const std::int64_t n = a.source.row_len(), rows = a.source.rows();
  std::vector<float> x(static_cast<std::size_t>(n)), y(static_cast<std::size_t>(n));
  double sum_sq = 0, dot = 0, na = 0, nb = 0, max_abs = 0;
  bool bit_equal = true, within = true;
  for (std::int64_t r = 0; r < rows; ++r) {
    dequantize_row(a.type(), a.row(r).data(), x.data(), n);
    dequantize_row(b.type(), b.row(r).data(), y.data(), n);
    if (std::memcmp(x.data(), y.data(), x.size() * sizeof(float)) != 0) bit_equal = false;
    for (std::int64_t i = 0; i < n; ++i) {
      const double p = x[static_cast<std::size_t>(i)], q = y[static_cast<std::size_t>(i)];
      double diff;
      if (std::isnan(p) || std::isnan(q))
        diff = (std::isnan(p) && std::isnan(q)) ? 0.0 : std::numeric_limits<double>::infinity();
      else if (p == q)
        diff = 0.0;  // also equal infinities
      else
        diff = std::fabs(p - q);
      max_abs = std::max(max_abs, diff);
      sum_sq += diff * diff;
      if (std::isfinite(p) && std::isfinite(q)) {
        dot += p * q;
        na += p * p;
        nb += q * q;
      }
      if (!(diff <= o.atol + o.rtol * std::fabs(q))) within = false;
    }
  }
  const double count = static_cast<double>(n) * static_cast<double>(rows);
  d.max_abs = max_abs;
  d.rmse = count > 0 ? std::sqrt(sum_sq / count) : 0;
  d.cosine = (na > 0 && nb > 0) ? dot / std::sqrt(na * nb) : (na == nb ? 1.0 : 0.0);
  if (bit_equal)
    d.status = "identical_values";
  else if (max_abs == 0)
    d.status = "identical_values";  // only -0 vs +0 or NaN payloads differ
  else if ((o.atol > 0 || o.rtol > 0) && within)
    d.status = "within_tolerance";
  else
    d.status = "differs";
  return d;
}

}  // namespace

nlohmann::json DiffReport::to_json() const {
  nlohmann::json j;
  j["equal"] = equal;
  j["max_abs_diff"] = std::isfinite(max_abs_diff) ? nlohmann::json(max_abs_diff) : nlohmann::json("inf");
  j["config_diffs"] = config_diffs;
  j["tokenizer_diffs"] = tokenizer_diffs;
  j["metadata_diffs"] = metadata_diffs;
  auto num = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json("inf"); };
  nlohmann::json ts = nlohmann::json::array();
  for (const auto& t : tensors)
    ts.push_back({{"name", t.name}, {"status", t.status}, {"dtype_a", t.dtype_a}, {"dtype_b", t.dtype_b},
                  {"shape_a", t.shape_a}, {"shape_b", t.shape_b}, {"max_abs", num(t.max_abs)},
                  {"rmse", num(t.rmse)}, {"cosine", num(t.cosine)}});
  j["tensors"] = ts;
  return j;
}

Result<DiffReport> diff_models(const model::CanonicalModel& a, const model::CanonicalModel& b, const DiffOptions& o) {
  return capture([&]() {
    DiffReport r;
    r.config_diffs = config_differences(a.config, b.config);
    diff_tokenizer(a.tokenizer, b.tokenizer, r.tokenizer_diffs);
    r.metadata_diffs = metadata_differences(a, b);
    std::set<std::string> names;
    for (const auto& t : a.tensors) names.insert(t.name);
    for (const auto& t : b.tensors) names.insert(t.name);
    const CanonicalTensor* emb_a = a.find("model.embed_tokens.weight");
    const CanonicalTensor* emb_b = b.find("model.embed_tokens.weight");
    bool ok = true;
    for (const auto& n : names) {
      const CanonicalTensor* ta = a.find(n);
      const CanonicalTensor* tb = b.find(n);
      // A tied side stands for its lm_head with its embedding.
      if (n == "lm_head.weight") {
        if (!ta && a.config.tied_embeddings) ta = emb_a;
        if (!tb && b.config.tied_embeddings) tb = emb_b;
      }
      TensorDiff d;
      if (!ta || !tb) {
        d.name = n;
        d.status = ta ? "missing_b" : "missing_a";
        const CanonicalTensor* t = ta ? ta : tb;
        (ta ? d.dtype_a : d.dtype_b) = std::string(dtype_name(t->type()));
        (ta ? d.shape_a : d.shape_b) = t->shape();
        d.max_abs = std::numeric_limits<double>::infinity();
        d.cosine = 0;
      } else {
        d = compare(n, *ta, *tb, o);
      }
      if (d.status == "differs" || d.status.rfind("missing", 0) == 0) ok = false;
      r.max_abs_diff = std::max(r.max_abs_diff, d.max_abs);
      r.tensors.push_back(std::move(d));
    }
    r.equal = ok && r.config_diffs.empty() && r.tokenizer_diffs.empty() && r.metadata_diffs.empty() && !r.tensors.empty();
    return r;
  });
}

}  // namespace apr::convert
