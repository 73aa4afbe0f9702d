#include "convert/output_size.hpp"

#include "convert/gguf_kv_record.hpp"
#include "tensor/dtype.hpp"

namespace apr::convert::detail {

namespace {

std::uint64_t align_up(std::uint64_t n, std::uint64_t a) { return (n + a - 1) / a * a; }

std::uint64_t digits(std::uint64_t v) {
  std::uint64_t d = 1;
  while (v >= 10) {
    v /= 10;
    ++d;
  }
  return d;
}

}  // namespace

std::uint64_t estimate_output_bytes(const model::CanonicalModel& m, const Plan& p, ModelFormat f) {
  // Tensor data and one index entry per tensor.
  const std::uint64_t align = f == ModelFormat::gguf ? 32 : f == ModelFormat::apr ? 64 : 1;
  std::uint64_t total = 0;
  for (const auto& t : p.tensors) {
    const std::uint64_t nb = tensor_bytes(t.type, t.shape);
    total += align_up(nb, align);
    std::uint64_t entry = t.name.size();
    switch (f) {
      case ModelFormat::gguf: entry += 8 + 4 + 8 * t.shape.size() + 4 + 8; break;
      case ModelFormat::apr: entry += 2 + 1 + 1 + 8 * t.shape.size() + 8 + 8; break;
      case ModelFormat::safetensors:  // "name":{"dtype":"F32","shape":[..],"data_offsets":[a,b]},
        entry += 44 + 2 * digits(total);
        for (auto d : t.shape) entry += digits(static_cast<std::uint64_t>(d)) + 1;
        break;
    }
    total += entry;
  }
  // The tokenizer as each format stores it.
  const auto& tk = m.tokenizer;
  std::uint64_t tok_text = 0, merge_text = 0;
  for (const auto& s : tk.tokens) tok_text += s.size();
  for (const auto& s : tk.merges) merge_text += s.size();
  const std::uint64_t n = tk.tokens.size(), k = tk.merges.size();
  const std::uint64_t id_digits = digits(n ? n - 1 : 0);
  switch (f) {
    case ModelFormat::gguf:  // u64 length + bytes per string, i32 types, f32 scores
      total += tok_text + 8 * n + 4 * tk.token_types.size() + 4 * tk.scores.size() + merge_text + 8 * k;
      total += tk.chat_template.size();
      break;
    case ModelFormat::apr:  // JSON arrays in the metadata
      total += tok_text + 3 * n + 2 * tk.token_types.size() + 10 * tk.scores.size() + merge_text + 3 * k;
      total += tk.chat_template.size();
      break;
    case ModelFormat::safetensors:  // tokenizer.json: "tok":id in the vocab, "a b" merges; the
                                    // template in tokenizer_config.json
      total += tok_text + (4 + id_digits) * n + merge_text + 3 * k;
      total += tk.chat_template.size();
      break;
  }
  // apr_qa.dtype.<name> / apr_qa.sha256.<name> records of widened tensors and the extra metadata,
  // as GGUF KVs or JSON members (either way: key, value and ~20 bytes of framing each).
  for (const auto& [name, rec] : p.records)
    total += 2 * (name.size() + 14 + 20) + std::string(dtype_name(rec.first)).size() + rec.second.size();
  for (const auto& [key, value] : m.extra) total += key.size() + value.size() + 20;
  if (m.gguf_kv && f != ModelFormat::gguf) {
    const auto rec = gguf_kv_to_json(m.gguf_kv->entries).dump().size();
    total += f == ModelFormat::safetensors ? rec + rec / 8 : rec;  // SafeTensors: JSON text inside JSON (escaped quotes)
  }
  return total + 16 * 1024;  // header, config, extra metadata, small sidecars
}

}  // namespace apr::convert::detail
