// apr-qa convert: APR -> canonical model. Names are HF names; dims row-major; the metadata
// carries config, tokenizer and extra metadata (apr_meta.hpp). Files whose rope_type says the
// Q/K rows are in GGUF order (aprender's GGUF import) are un-permuted like a GGUF.
#include <map>

#include "convert/apr_meta.hpp"
#include "convert/gguf_kv_record.hpp"
#include "convert/import_internal.hpp"
#include "formats/apr.hpp"
#include "model/arch_traits.hpp"
#include "model/model_check.hpp"
#include "model/qk_permute.hpp"

namespace apr::convert::detail {

model::CanonicalModel import_apr(const std::filesystem::path& file, const LoadOptions& o) {
  auto r = aprfmt::Reader::open(file, true).value();
  const std::string where = file.string();
  model::CanonicalModel m;
  m.provenance = {"apr", file, ""};
  m.keep_alive.push_back(r.file());
  bool hf_order = true;
  const bool has_tok = read_apr_metadata(r.metadata(), where, m, hf_order);
  model::check_layer_count(m.config, r.tensors().size(), where);  // before any per-layer structure

  std::map<std::string, model::TensorSpec> specs;
  if (!hf_order)
    for (auto& s : model::tensor_manifest(m.config)) specs.emplace(s.hf_name, s);
  for (const auto& ti : r.tensors()) {
    model::CanonicalTensor t;
    t.name = ti.name;
    t.source = ti.view();
    if (auto sp = specs.find(ti.name); sp != specs.end() && sp->second.permute != model::RowPermute::none &&
                                       sp->second.shape == ti.shape) {
      const std::int64_t n = sp->second.permute == model::RowPermute::q_heads ? m.config.heads : m.config.kv_heads;
      auto map = model::hf_rows_from_gguf(ti.shape[0], n);
      if (ti.shape.size() == 1)
        t = permute_elements(t, map);
      else
        t.row_order = std::move(map);
    }
    m.tensors.push_back(std::move(t));
  }
  const auto& md = r.metadata();
  if (auto types = md.find("apr_qa.dtype"); types != md.end() && types->is_object()) {
    auto shas = md.find("apr_qa.sha256");
    for (auto& t : m.tensors) {
      auto d = types->find(t.name);
      if (d == types->end() || !d->is_string()) continue;
      std::string sha;
      if (shas != md.end() && shas->is_object())
        if (auto h = shas->find(t.name); h != shas->end() && h->is_string()) sha = h->get<std::string>();
      apply_dtype_record(t, d->get<std::string>(), sha, where);
    }
  }
  if (auto rec = md.find(kGgufKvRecordKey); rec != md.end()) m.gguf_kv = gguf_kv_from_json(*rec, where);
  if (!has_tok) m.tokenizer = tokenizer_or_override(o, where, "APR without tokenizer.* metadata");
  strip_vocab_padding(m.tokenizer);
  resolve_tied_copy(m, "lm_head.weight");
  finish_model(m, o);
  return m;
}

}  // namespace apr::convert::detail
