// apr-qa convert: canonical model -> GGUF. KV order: general.*, {arch}.*, tokenizer.*, then
// extra metadata (non-general keys as apr_qa.extra.<key>), merged with the source GGUF's
// recorded keys (gguf_kv_record.hpp: same key/value set as the source on a lossless path). {arch}.rope.freq_base is always
// written; the vocabulary is padded with "[PAD<id>]" unused tokens to the embedding rows, as
// llama.cpp requires; the tied lm_head is left out (llama.cpp reuses token_embd).
#include <chrono>
#include <map>

#include "convert/export_internal.hpp"
#include "convert/gguf_kv_record.hpp"
#include "convert/gguf_meta.hpp"
#include "convert/import_internal.hpp"
#include "core/switches.hpp"
#include "formats/gguf.hpp"
#include "model/arch_traits.hpp"
#include "tokenizer/gguf_tokenizer.hpp"

namespace apr::convert::detail {

GgmlType dominant_type(const Plan& p) {
  std::map<GgmlType, int> count;
  for (const auto& t : p.tensors)
    if (t.shape.size() >= 2) count[t.type]++;
  GgmlType best = GgmlType::F32;
  int n = -1;
  for (auto [t, c] : count)
    if (c > n) best = t, n = c;
  return best;
}

std::filesystem::path export_gguf(const model::CanonicalModel& m, const Plan& p, const std::filesystem::path& dst) {
  const auto& traits = model::arch_traits(m.config.arch);
  std::vector<gguf::KV> kvs;
  auto add = [&](std::string k, gguf::Value v) { kvs.push_back({std::move(k), std::move(v)}); };
  add("general.architecture", gguf::Value::str(traits.gguf_arch));
  if (model::arch_by_gguf(traits.gguf_arch).arch != m.config.arch)
    add("apr_qa.architecture", gguf::Value::str(traits.name));
  add("general.type", gguf::Value::str("model"));
  for (const auto& [k, v] : m.extra)
    if (k.rfind("general.", 0) == 0 && k != "general.file_type" && k != "general.type") add(k, gguf::Value::str(v));
  std::uint32_t ftype = llama_ftype_for(dominant_type(p));
  if (p.file_type) {
    ftype = *p.file_type;
  } else if (auto it = m.extra.find("general.file_type"); it != m.extra.end()) {
    try {
      ftype = static_cast<std::uint32_t>(std::stoul(it->second));
    } catch (...) {
      throw validation_error("extra metadata general.file_type '" + it->second + "' is not a number").at_key("general.file_type");
    }
  }
  add("general.file_type", gguf::Value::u32(ftype));
  if (fault_planted("gguf_timestamp"))
    add("general.date", gguf::Value::str(std::to_string(std::chrono::system_clock::now().time_since_epoch().count())));
  if (p.any_quantized) add("general.quantization_version", gguf::Value::u32(2));
  for (auto& kv : config_to_gguf(m.config)) kvs.push_back(std::move(kv));
  auto tok = m.tokenizer;
  // Test-only planted faults (APR_QA_FAULT, fault_hooks.hpp); inert when it is unset.
  pad_vocab(tok, m.config.vocab + (fault_planted("gguf_vocab_padded") ? 16 : 0));
  for (auto& kv : tok::tokenizer_to_gguf(tok)) kvs.push_back(std::move(kv));
  for (const auto& [k, v] : m.extra)
    if (k.rfind("general.", 0) != 0) add("apr_qa.extra." + k, gguf::Value::str(v));
  for (const auto& [name, rec] : p.records) {
    const auto g = model::hf_to_gguf_name(name).value_or(name);
    add("apr_qa.dtype." + g, gguf::Value::str(std::string(dtype_name(rec.first))));
    if (!rec.second.empty()) add("apr_qa.sha256." + g, gguf::Value::str(rec.second));
  }
  gguf::Writer w;
  // The source GGUF's own keys (recorded on every path) come back with their types and values.
  for (auto& kv : merge_gguf_kvs(std::move(kvs), model::gguf_kv_entries(m), m.config, p.lossy.empty() && !p.file_type))
    w.add_kv(std::move(kv.key), std::move(kv.value));
  for (const auto& t : p.tensors) {
    if (t.produce)
      w.add_tensor(t.name, t.type, t.shape, t.produce);
    else
      w.add_tensor(t.name, t.type, t.shape, t.direct);
  }
  w.write(dst, p.durability);
  return dst;
}

}  // namespace apr::convert::detail
