// apr-qa convert: helpers shared by the importers, and load_model dispatch.
#include <algorithm>
#include <cstring>
#include <fstream>

#include "convert/import_internal.hpp"
#include "core/hash.hpp"
#include "formats/apr.hpp"
#include "formats/detect.hpp"
#include "formats/gguf.hpp"
#include "convert/apr_meta.hpp"
#include "model/arch_traits.hpp"
#include "model/model_check.hpp"
#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/hf_json.hpp"

namespace apr::convert {
namespace detail {

namespace fs = std::filesystem;

model::TokenizerData load_tokenizer_from(const fs::path& p) {
  std::error_code ec;
  if (fs::is_directory(p, ec)) {
    fs::path tj = p / "tokenizer.json", tc = p / "tokenizer_config.json";
    if (!fs::is_regular_file(tj, ec))
      throw io_error("--tokenizer directory has no tokenizer.json").at_path(p.string());
    std::optional<fs::path> cfg;
    if (fs::is_regular_file(tc, ec)) cfg = tc;
    auto t = tok::load_hf_tokenizer(tj, cfg).value();
    strip_vocab_padding(t);
    return t;
  }
  if (!fs::is_regular_file(p, ec)) throw io_error("--tokenizer path does not exist").at_path(p.string());
  auto fmt = detect_format_of_file(p);
  if (fmt.ok() && *fmt == ModelFormat::gguf) {
    auto r = gguf::Reader::open(p).value();
    if (!r.find("tokenizer.ggml.model"))
      throw validation_error("--tokenizer GGUF has no tokenizer (no tokenizer.ggml.model)").at_path(p.string());
    auto t = tok::tokenizer_from_gguf(r).value();
    strip_vocab_padding(t);
    return t;
  }
  if (fmt.ok() && *fmt == ModelFormat::apr) {
    auto r = aprfmt::Reader::open(p, false).value();
    model::CanonicalModel tmp;
    bool hf_order = true;
    if (!read_apr_metadata(r.metadata(), p.string(), tmp, hf_order))
      throw validation_error("--tokenizer APR file has no tokenizer keys").at_path(p.string());
    return tmp.tokenizer;
  }
  std::optional<fs::path> cfg;
  if (fs::is_regular_file(p.parent_path() / "tokenizer_config.json", ec)) cfg = p.parent_path() / "tokenizer_config.json";
  auto t = tok::load_hf_tokenizer(p, cfg).value();
  strip_vocab_padding(t);
  return t;
}

model::TokenizerData tokenizer_or_override(const LoadOptions& o, const std::string& source, const std::string& what) {
  if (!o.tokenizer)
    throw validation_error(what + ": the model has no tokenizer; pass --tokenizer PATH (tokenizer.json, its directory, or a GGUF with one)")
        .at_path(source);
  return load_tokenizer_from(*o.tokenizer);
}

void strip_vocab_padding(model::TokenizerData& t) {
  std::size_t n = t.tokens.size(), keep = 0;  // a filler a special id names stays (the id stays in range)
  for (const auto* id : {&t.bos_id, &t.eos_id, &t.pad_id, &t.unk_id, &t.sep_id, &t.eot_id})
    if (*id && **id >= 0) keep = std::max(keep, static_cast<std::size_t>(**id) + 1);
  while (n > keep) {
    const std::size_t id = n - 1;
    const bool unused = id < t.token_types.size() && t.token_types[id] == 5;
    if (!unused || t.tokens[id] != "[PAD" + std::to_string(id) + "]") break;
    --n;
  }
  if (n == t.tokens.size()) return;
  t.tokens.resize(n);
  if (t.token_types.size() > n) t.token_types.resize(n);
  if (t.scores.size() > n) t.scores.resize(n);
}

void pad_vocab(model::TokenizerData& t, std::int64_t vocab) {
  const auto target = static_cast<std::size_t>(vocab);
  if (t.tokens.size() >= target) return;
  const bool has_types = !t.token_types.empty(), has_scores = !t.scores.empty();
  if (!has_types) t.token_types.assign(t.tokens.size(), 1);
  for (std::size_t id = t.tokens.size(); id < target; ++id) {
    t.tokens.push_back("[PAD" + std::to_string(id) + "]");
    t.token_types.push_back(5);
    if (has_scores) t.scores.push_back(-1000.0f);
  }
}

model::CanonicalTensor permute_elements(const model::CanonicalTensor& t, const std::vector<std::int32_t>& map) {
  if (t.shape().size() != 1 || is_quantized(t.type()))
    throw unsupported_error("element permutation needs a 1-D plain-float tensor, found " +
                            std::string(dtype_name(t.type())) + " " + model::shape_string(t.shape()))
        .at_tensor(t.name);
  const std::size_t es = row_bytes(t.type(), 1), n = static_cast<std::size_t>(t.shape()[0]);
  if (map.size() != n) throw internal_error("permutation length mismatch").at_tensor(t.name);
  auto buf = std::make_shared<std::vector<std::byte>>(n * es);
  for (std::size_t i = 0; i < n; ++i)
    std::memcpy(buf->data() + i * es, t.source.data.data() + static_cast<std::size_t>(map[i]) * es, es);
  model::CanonicalTensor out;
  out.name = t.name;
  out.source = TensorView{t.type(), t.shape(), std::span<const std::byte>(*buf)};
  out.owned = buf;
  out.original_type = t.original_type;
  out.original_sha256 = t.original_sha256;
  return out;
}

bool same_bytes(const model::CanonicalTensor& a, const model::CanonicalTensor& b) {
  if (a.type() != b.type() || a.shape() != b.shape()) return false;
  if (a.is_identity_order() && b.is_identity_order())
    return a.source.data.size() == b.source.data.size() &&
           std::memcmp(a.source.data.data(), b.source.data.data(), a.source.data.size()) == 0;
  for (std::int64_t r = 0; r < a.source.rows(); ++r) {
    auto x = a.row(r), y = b.row(r);
    if (std::memcmp(x.data(), y.data(), x.size()) != 0) return false;
  }
  return true;
}

void resolve_tied_copy(model::CanonicalModel& m, const std::string& file_name) {
  if (!m.config.tied_embeddings) return;
  auto it = std::find_if(m.tensors.begin(), m.tensors.end(), [](auto& t) { return t.name == "lm_head.weight"; });
  if (it == m.tensors.end()) return;
  const auto* emb = m.find("model.embed_tokens.weight");
  if (!emb || !same_bytes(*emb, *it))
    throw validation_error("conflicting config: embeddings are tied, but " + file_name +
                           " is present and is not an exact copy of the token embedding (expected identical bytes)")
        .at_path(m.provenance.source_file.string())
        .at_tensor(file_name);
  m.tensors.erase(it);
}

void apply_dtype_record(model::CanonicalTensor& t, const std::string& type_name, const std::string& sha,
                        const std::string& where) {
  auto ot = dtype_from_name(type_name);
  if (!ot) throw validation_error("recorded original dtype '" + type_name + "' is not a GGML type").at_path(where).at_tensor(t.name);
  if (t.type() != GgmlType::F32)
    throw validation_error("recorded original dtype " + type_name + ": expected the tensor stored as F32, found " +
                           std::string(dtype_name(t.type())))
        .at_path(where)
        .at_tensor(t.name);
  t.original_type = *ot;
  t.original_sha256 = sha;
}

void finish_model(model::CanonicalModel& m, const LoadOptions& o) {
  model::sort_tensors(m);
  if (o.validate)
    model::check_model(m);
  else
    model::validate_config(m.config, m.provenance.source_file.string());
  if (o.compute_sha256) m.provenance.source_sha256 = sha256_file(m.provenance.source_file).value();
}

}  // namespace detail

Result<model::CanonicalModel> load_model(const ArtifactSet& a, const LoadOptions& o) {
  return capture([&]() -> model::CanonicalModel {
    switch (a.format) {
      case ModelFormat::gguf: return detail::import_gguf(a.model_file, o);
      case ModelFormat::safetensors: return detail::import_safetensors(a, o);
      case ModelFormat::apr: return detail::import_apr(a.model_file, o);
    }
    throw internal_error("unknown model format");
  });
}

Result<model::CanonicalModel> load_model(const std::string& user_input, const LoadOptions& o) {
  auto a = resolve_artifact(user_input);
  if (!a.ok()) return a.error();
  return load_model(*a, o);
}

}  // namespace apr::convert
