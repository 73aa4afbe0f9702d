// apr-qa convert: GGUF -> canonical model. Names via the arch name map, shapes already row-major
// (the reader reverses ne), bytes zero-copy; llama(-permuted) Q/K rows un-permuted through
// row_order (2-D) or an element-permuted copy (1-D biases).
#include <map>

#include "convert/gguf_kv_record.hpp"
#include "convert/gguf_meta.hpp"
#include "convert/import_internal.hpp"
#include "core/phase_times.hpp"
#include "formats/gguf.hpp"
#include "model/arch_traits.hpp"
#include "model/model_check.hpp"
#include "model/qk_permute.hpp"
#include "tokenizer/gguf_tokenizer.hpp"

namespace apr::convert::detail {

model::CanonicalModel import_gguf(const std::filesystem::path& file, const LoadOptions& o) {
  auto reader = std::make_shared<gguf::Reader>(gguf::Reader::open(file).value());
  const gguf::Reader& r = *reader;
  const std::string where = file.string();
  model::CanonicalModel m;
  m.provenance = {"gguf", file, ""};
  m.keep_alive.push_back(r.file());
  m.config = config_from_gguf(r);
  model::check_layer_count(m.config, r.tensors().size(), where);  // before any per-layer structure
  const auto& traits = model::arch_traits(m.config.arch);

  const auto* emb = r.find_tensor("token_embd.weight");
  if (!emb)
    throw validation_error("missing required tensor token_embd.weight: expected [vocab, " + std::to_string(m.config.hidden) +
                           "], found no tensor")
        .at_path(where)
        .at_tensor("token_embd.weight");
  if (emb->shape.size() != 2)
    throw validation_error("expected a 2-D embedding, found " + model::shape_string(emb->shape)).at_path(where).at_tensor("token_embd.weight");
  m.config.vocab = emb->shape[0];
  if (const auto* vs = r.find(std::string(traits.gguf_arch) + ".vocab_size"); vs && vs->is_integer() &&
                                                                              vs->as_i64() != m.config.vocab)
    throw validation_error("conflicting config: vocab_size " + std::to_string(vs->as_i64()) + " but token_embd.weight has " +
                           std::to_string(m.config.vocab) + " rows")
        .at_path(where)
        .at_key(std::string(traits.gguf_arch) + ".vocab_size");
  if (const auto* ec = r.find(std::string(traits.gguf_arch) + ".expert_count"); ec && ec->is_integer() && ec->as_i64() > 0)
    throw unsupported_error("mixture-of-experts models are not supported").at_path(where).at_key(std::string(traits.gguf_arch) + ".expert_count");
  m.config.tied_embeddings = r.find_tensor("output.weight") == nullptr;
  m.config.attention_bias = traits.attention_bias_required || r.find_tensor("blk.0.attn_q.bias") != nullptr;

  std::map<std::string, model::TensorSpec> specs;
  for (auto& s : model::tensor_manifest(m.config)) specs.emplace(s.hf_name, s);
  for (const auto& ti : r.tensors()) {
    auto hf = model::gguf_to_hf_name(ti.name);
    if (!hf)
      throw validation_error(std::string("unexpected tensor for ") + traits.name + ": expected a name of the " + traits.name +
                             " tensor map, found '" + ti.name + "' " + model::shape_string(ti.shape))
          .at_path(where)
          .at_tensor(ti.name);
    model::CanonicalTensor t;
    t.name = *hf;
    t.source = ti.view();
    auto sp = specs.find(*hf);
    if (sp != specs.end() && sp->second.permute != model::RowPermute::none && sp->second.shape == ti.shape) {
      const std::int64_t n = sp->second.permute == model::RowPermute::q_heads ? m.config.heads : m.config.kv_heads;
      auto map = model::hf_rows_from_gguf(ti.shape[0], n);
      if (ti.shape.size() == 1) {
        t = permute_elements(t, map);
      } else {
        t.row_order = std::move(map);
      }
    }
    m.tensors.push_back(std::move(t));
  }

  for (auto& t : m.tensors) {
    const auto g = model::hf_to_gguf_name(t.name).value_or(t.name);
    if (const auto* d = r.find("apr_qa.dtype." + g); d && d->type == gguf::ValueType::STRING) {
      const auto* h = r.find("apr_qa.sha256." + g);
      apply_dtype_record(t, d->s, h && h->type == gguf::ValueType::STRING ? h->s : std::string(), where);
    }
  }
  if (r.find("tokenizer.ggml.model")) {
    PhaseScope phase("load.tokenizer");
    m.tokenizer = tok::tokenizer_from_gguf(r).value();
    strip_vocab_padding(m.tokenizer);
  } else {
    m.tokenizer = tokenizer_or_override(o, where, "GGUF without tokenizer.ggml.* keys");
  }

  for (const auto& kv : r.kvs()) {
    const std::string& k = kv.key;
    if (k.rfind("apr_qa.extra.", 0) == 0 && kv.value.type == gguf::ValueType::STRING) {
      m.extra[k.substr(13)] = kv.value.s;
    } else if (k.rfind("general.", 0) == 0 && k != "general.architecture" && k != "general.alignment" &&
               k != "general.quantization_version") {
      if (kv.value.type == gguf::ValueType::STRING)
        m.extra[k] = kv.value.s;
      else if (k == "general.file_type" && kv.value.is_integer())
        m.extra[k] = std::to_string(kv.value.as_u64());
    }
  }
  m.gguf_kv = record_gguf_kvs(r.kvs(), m.config);
  finish_model(m, o);
  return m;
}

}  // namespace apr::convert::detail
