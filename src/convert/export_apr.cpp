// apr-qa convert: canonical model -> APR (HF names, row-major dims, rope_type 2 = HF row order,
// config/tokenizer/extra metadata per apr_meta.hpp, tied lm_head left out).
//
// Passthrough tensors (same dtype, identity row order, bytes in a mapped source file) are handed
// to the writer with their source range (formats::ChunkedFill::source), so it copies them file to
// file instead of through a buffer; the plan's producer stays the fallback. Output bytes are
// the same either way.
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "convert/apr_meta.hpp"
#include "convert/export_internal.hpp"
#include "convert/gguf_kv_record.hpp"
#include "core/phase_times.hpp"
#include "formats/apr.hpp"
#include "formats/chunk_producer.hpp"

namespace apr::convert::detail {
namespace {

const MappedFile* mapping_of(const model::CanonicalModel& m, std::span<const std::byte> s) {
  for (const auto& f : m.keep_alive)
    if (f && f->fd() >= 0 && s.data() >= f->data() && s.data() + s.size() <= f->data() + f->size()) return f.get();
  return nullptr;
}

// The plan's chunked producer for t, with its passthrough source set when the output bytes are
// exactly the canonical tensor's stored bytes: APR keeps HF row order (no permutation), so that
// holds when the dtype, shape and row order are unchanged. A spot check of the first and last
// row against the producer guards the assumption. nullopt: keep the plan's producer as it is.
std::optional<formats::ChunkedFill> with_source(const model::CanonicalModel& m, const OutTensor& t) {
  const auto* cf = t.produce ? t.produce.target<formats::ChunkedFill>() : nullptr;
  if (cf == nullptr || t.shape.empty()) return std::nullopt;
  const model::CanonicalTensor* ct = m.find(t.name);
  if (ct == nullptr || ct->type() != t.type || !ct->row_order.empty() || ct->shape() != t.shape) return std::nullopt;
  const auto src = ct->source.data;
  const std::uint64_t total = tensor_bytes(t.type, t.shape);
  if (src.size() != total || total == 0) return std::nullopt;
  const MappedFile* f = mapping_of(m, src);
  if (f == nullptr) return std::nullopt;
  const std::uint64_t rb = t.shape.size() >= 2 ? row_bytes(t.type, static_cast<std::uint64_t>(t.shape.back())) : total;
  if (rb == 0 || rb > (1u << 20) || total % rb != 0) return std::nullopt;
  std::vector<std::byte> row(static_cast<std::size_t>(rb));
  for (const std::uint64_t at : {std::uint64_t{0}, total - rb}) {
    cf->fill(at, row);
    if (std::memcmp(row.data(), src.data() + at, row.size()) != 0) return std::nullopt;
  }
  formats::ChunkedFill out = *cf;
  out.source = f;
  out.source_offset = static_cast<std::uint64_t>(src.data() - f->data());
  return out;
}

}  // namespace

std::filesystem::path export_apr(const model::CanonicalModel& m, const Plan& p, const std::filesystem::path& dst) {
  aprfmt::Writer w;
  std::optional<PhaseScope> phase(std::in_place, "metadata");
  auto meta = apr_metadata(m);
  if (p.file_type) meta["source_metadata"]["general.file_type"] = std::to_string(*p.file_type);
  if (!p.records.empty()) {
    nlohmann::json types = nlohmann::json::object(), shas = nlohmann::json::object();
    for (const auto& [name, rec] : p.records) {
      types[name] = std::string(dtype_name(rec.first));
      if (!rec.second.empty()) shas[name] = rec.second;
    }
    meta["apr_qa.dtype"] = types;
    meta["apr_qa.sha256"] = shas;
  }
  if (m.gguf_kv) meta[kGgufKvRecordKey] = gguf_kv_to_json(m.gguf_kv->entries);
  w.set_metadata(std::move(meta));
  for (const auto& t : p.tensors) {
    if (auto src = with_source(m, t))
      w.add_tensor(t.name, t.type, t.shape, aprfmt::TensorProducer(std::move(*src)));
    else if (t.produce)
      w.add_tensor(t.name, t.type, t.shape, t.produce);
    else
      w.add_tensor(t.name, t.type, t.shape, t.direct);
  }
  phase.reset();
  w.write(dst, p.durability);
  return dst;
}

}  // namespace apr::convert::detail
