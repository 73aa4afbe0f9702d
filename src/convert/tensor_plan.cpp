// apr-qa convert: per-tensor output plans (see tensor_plan.hpp).
#include "convert/tensor_plan.hpp"

#include <algorithm>
#include <cstring>

#include <sys/mman.h>
#include <unistd.h>

#include "core/hash.hpp"
#include "formats/chunk_producer.hpp"
#include "model/arch_traits.hpp"
#include "model/qk_permute.hpp"
#include <thread>
#include <functional>
#include <exception>
#include "tensor/dequantize.hpp"
#include "tensor/quantize.hpp"

namespace apr::convert::detail {
namespace {

using model::CanonicalTensor;

bool st_holds(GgmlType t) { return t == GgmlType::F32 || t == GgmlType::F16 || t == GgmlType::BF16; }

// Bytes of canonical row r re-encoded as `out` (row_len elements).
void encode_row(const CanonicalTensor& t, std::int64_t r, GgmlType out, std::byte* dst, std::vector<float>& scratch) {
  auto src = t.row(r);
  if (t.type() == out) {
    std::memcpy(dst, src.data(), src.size());
    return;
  }
  const std::int64_t n = t.source.row_len();
  scratch.resize(static_cast<std::size_t>(n));
  dequantize_row(t.type(), src.data(), scratch.data(), n);
  quantize_row(out, scratch.data(), dst, n);
}

int encode_threads(int requested) {
  if (requested > 0) return requested;
  return static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
}

// Calls body(i0, i1) on `threads` contiguous slices of [0, n) (this thread takes the first); the
// first exception thrown by a slice is rethrown after every slice has finished.
void parallel_rows(std::int64_t n, int threads, const std::function<void(std::int64_t, std::int64_t)>& body) {
  // Below ~64 rows per thread the thread start costs more than it saves.
  const std::int64_t k = std::max<std::int64_t>(1, std::min<std::int64_t>(threads, n / 64));
  if (k == 1) return body(0, n);
  std::vector<std::thread> pool;
  std::vector<std::exception_ptr> errors(static_cast<std::size_t>(k));
  for (std::int64_t j = 1; j < k; ++j)
    pool.emplace_back([&, j] {
      try {
        body(n * j / k, n * (j + 1) / k);
      } catch (...) {
        errors[static_cast<std::size_t>(j)] = std::current_exception();
      }
    });
  try {
    body(0, n / k);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (auto& th : pool) th.join();
  for (auto& e : errors)
    if (e) std::rethrow_exception(e);
}

std::string sha_of_rows(const CanonicalTensor& t) {
  Sha256 h;
  for (std::int64_t r = 0; r < t.source.rows(); ++r) h.update(t.row(r));
  return h.hex_digest();
}

// Does quantizing the (F32) values of t to `type` reproduce the recorded original bytes?
bool requant_reproduces(const CanonicalTensor& t, GgmlType type) {
  if (t.source.row_len() % static_cast<std::int64_t>(dtype_info(type).block_elems) != 0) return false;
  const std::int64_t n = t.source.row_len();
  const std::uint64_t rb = row_bytes(type, static_cast<std::uint64_t>(n));
  std::vector<std::byte> q(rb);
  std::vector<float> back(static_cast<std::size_t>(n));
  Sha256 h;
  for (std::int64_t r = 0; r < t.source.rows(); ++r) {
    auto src = t.row(r);
    quantize_row(type, reinterpret_cast<const float*>(src.data()), q.data(), n);
    if (t.original_sha256.empty()) {  // no hash recorded: demand bit-identical values back
      dequantize_row(type, q.data(), back.data(), n);
      if (std::memcmp(back.data(), src.data(), src.size()) != 0) return false;
    }
    h.update(q);
  }
  return t.original_sha256.empty() || h.hex_digest() == t.original_sha256;
}

constexpr std::size_t kReleaseMin = 1u << 20;

// Maps the (page-cached) source pages of `s` in one call instead of one fault per page
// (MADV_POPULATE_READ, Linux >= 5.14; advisory: an older kernel just faults them in).
void populate(std::span<const std::byte> s) {
#ifdef __linux__
  constexpr int kPopulateRead = 22;  // MADV_POPULATE_READ
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(s.data()) / page * page;
  const auto end = reinterpret_cast<std::uintptr_t>(s.data() + s.size());
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, kPopulateRead);
#else
  (void)s;
#endif
}

// The mapped file (kept alive by the model) whose bytes hold `s`, or nullptr.
const MappedFile* mapping_of(const model::CanonicalModel& m, std::span<const std::byte> s) {
  for (const auto& f : m.keep_alive)
    if (f && s.data() >= f->data() && s.data() + s.size() <= f->data() + f->size()) return f.get();
  return nullptr;
}

std::string arrow(const std::string& name, GgmlType a, GgmlType b) {
  return name + ": " + std::string(dtype_name(a)) + "->" + std::string(dtype_name(b));
}

}  // namespace

Plan plan_tensors(const model::CanonicalModel& m, ModelFormat target, const ConvertOptions& o) {
  Plan p;
  if (o.quantize && o.dtype) throw validation_error("--dtype and --quantize are exclusive: give one").at_key("dtype");
  if (o.quantize && target == ModelFormat::safetensors)
    throw validation_error("--quantize needs a GGUF or APR target: SafeTensors holds only F32/F16/BF16").at_key("quantize");
  if (o.dtype && !st_holds(*o.dtype))
    throw validation_error("--dtype " + std::string(dtype_name(*o.dtype)) + ": expected f32, f16 or bf16 (use --quantize for GGML types)")
        .at_key("dtype");
  const QuantScheme* qs = o.quantize ? &quant_scheme(*o.quantize) : nullptr;
  if (qs) p.file_type = qs->ftype;
  if (o.dtype) p.file_type = o.dtype == GgmlType::F32 ? 0u : o.dtype == GgmlType::F16 ? 1u : 32u;

  const auto& cfg = m.config;
  for (const auto& spec : model::tensor_manifest(cfg)) {
    const CanonicalTensor* tp = m.find(spec.hf_name);
    if (!tp) continue;
    const CanonicalTensor& t = *tp;
    OutTensor out;
    out.name = target == ModelFormat::gguf ? spec.gguf_name : spec.hf_name;
    out.shape = t.shape();

    // Output row -> canonical row (GGUF llama-family Q/K permutation); 1-D biases permute elements.
    std::vector<std::int32_t> rows, elems;
    if (target == ModelFormat::gguf && spec.permute != model::RowPermute::none) {
      const std::int64_t n = spec.permute == model::RowPermute::q_heads ? cfg.heads : cfg.kv_heads;
      auto map = model::gguf_rows_from_hf(t.shape()[0], n);
      (t.shape().size() == 1 ? elems : rows) = std::move(map);
    }

    const GgmlType in = t.type();
    GgmlType ot = in;
    // GGUF keeps 1-D tensors (norms, biases) in F32: llama.cpp's CPU ops cannot multiply by a
    // BF16/F16 vector. Widening is exact; the original type is recorded.
    const bool gguf_1d = target == ModelFormat::gguf && t.shape().size() == 1;
    if (qs) {
      if (auto q = quant_type_for(*qs, spec.gguf_name, t.shape(), cfg.layers, !cfg.tied_embeddings,
                                    cfg.kv_heads > 0 ? cfg.heads / cfg.kv_heads : 1)) ot = *q;
    } else if (o.dtype) {
      ot = *o.dtype;
    } else if (t.original_type && in == GgmlType::F32) {
      const GgmlType orig = *t.original_type;
      const bool holds = !(gguf_1d && orig != GgmlType::F32) && (target != ModelFormat::safetensors || st_holds(orig));
      if (holds && requant_reproduces(t, orig)) {
        ot = orig;
        p.notes.push_back(arrow(spec.hf_name, in, ot) + " (restored the recorded original type: bytes identical)");
      } else {
        p.records[spec.hf_name] = {orig, t.original_sha256};
        if (holds)
          p.notes.push_back(spec.hf_name + ": kept F32: re-encoding as the recorded original " + std::string(dtype_name(orig)) +
                            " does not reproduce its bytes");
      }
    } else if (target == ModelFormat::safetensors && !st_holds(in)) {
      ot = GgmlType::F32;
      p.records[spec.hf_name] = {in, sha_of_rows(t)};
      p.notes.push_back(arrow(spec.hf_name, in, ot) + " (dequantized exactly; original type recorded)");
    }
    if (gguf_1d && ot != GgmlType::F32) {
      if (!qs && !o.dtype && ot == in) {
        p.records[spec.hf_name] = {in, std::string()};
        p.notes.push_back(arrow(spec.hf_name, in, GgmlType::F32) + " (1-D tensor widened exactly for llama.cpp; original type recorded)");
      }
      ot = GgmlType::F32;
    }
    if (ot != in && (qs || o.dtype)) {
      const bool exact = ot == GgmlType::F32;  // widening or dequantizing never changes a value
      if (exact)
        p.notes.push_back(arrow(spec.hf_name, in, ot) + " (exact)");
      else
        p.lossy.push_back(arrow(spec.hf_name, in, ot));
    }
    if (target == ModelFormat::safetensors && !st_holds(ot))
      throw internal_error("SafeTensors plan with dtype " + std::string(dtype_name(ot))).at_tensor(spec.hf_name);
    out.type = ot;
    p.any_quantized = p.any_quantized || is_quantized(ot);

    const auto identity_rows = model::compose_rows(t.row_order, rows).empty();
    const auto* map = mapping_of(m, t.source.data);
    if (ot == in && elems.empty() && identity_rows && map && t.source.data.size() >= kReleaseMin) {
      // Passthrough from a mapped file: copy, then drop the source pages from our RSS so a
      // multi-GB conversion streams (peak RSS ~ the largest tensor, not the model).
      // Streamed chunk by chunk (the writer holds one chunk), so peak RSS stays ~ one chunk.
      out.produce = formats::ChunkedFill{[map, src = t.source.data](std::uint64_t at, std::span<std::byte> dst) {
        if (at + dst.size() > src.size()) throw internal_error("chunk past the tensor's end");
        const std::uint64_t off = static_cast<std::uint64_t>(src.data() - map->data());
        populate(src.subspan(static_cast<std::size_t>(at), dst.size()));
        std::memcpy(dst.data(), src.data() + at, dst.size());
        map->release(off + at, dst.size());
      }, formats::kMaxChunkBytes};
      // The output is exactly this range of the mapped file: writers may copy it file to file.
      auto* cf = out.produce.target<formats::ChunkedFill>();
      cf->source = map;
      cf->source_offset = static_cast<std::uint64_t>(t.source.data.data() - map->data());
    } else if (ot == in && elems.empty() && identity_rows) {
      out.direct = t.source.data;
    } else if (!elems.empty()) {
      out.produce = [tp, elems, ot](std::span<std::byte> dst) {
        const std::size_t n = elems.size();
        std::vector<float> v(n), w(n);
        dequantize_row(tp->type(), tp->source.data.data(), v.data(), static_cast<std::int64_t>(n));
        if (tp->type() == ot) {
          const std::size_t es = row_bytes(ot, 1);
          for (std::size_t i = 0; i < n; ++i)
            std::memcpy(dst.data() + i * es, tp->source.data.data() + static_cast<std::size_t>(elems[i]) * es, es);
          return;
        }
        for (std::size_t i = 0; i < n; ++i) w[i] = v[static_cast<std::size_t>(elems[i])];
        quantize_row(ot, w.data(), dst.data(), static_cast<std::int64_t>(n));
      };
    } else if (t.shape().size() >= 2) {
      // Whole output rows per chunk (chunks are row-aligned): permute and/or re-encode them. A
      // re-encoded chunk's rows are split over `threads` (each row is independent: same bytes).
      const int threads = ot == in ? 1 : encode_threads(o.threads);
      out.produce = formats::ChunkedFill{[tp, rows, ot, threads](std::uint64_t at, std::span<std::byte> dst) {
        const std::uint64_t rb = row_bytes(ot, static_cast<std::uint64_t>(tp->source.row_len()));
        const std::uint64_t total = rb * static_cast<std::uint64_t>(tp->source.rows());
        if (rb == 0 || at % rb != 0 || dst.size() % rb != 0 || at + dst.size() > total)
          throw internal_error("chunk not on row boundaries").at_tensor(tp->name);
        const auto first = static_cast<std::int64_t>(at / rb), n = static_cast<std::int64_t>(dst.size() / rb);
        parallel_rows(n, threads, [&](std::int64_t i0, std::int64_t i1) {
          std::vector<float> scratch;
          for (std::int64_t i = i0; i < i1; ++i) {
            const std::int64_t r = rows.empty() ? first + i : rows[static_cast<std::size_t>(first + i)];
            encode_row(*tp, r, ot, dst.data() + static_cast<std::size_t>(i) * rb, scratch);
          }
        });
      }, 0};
      // Row-aligned hint for the whole-buffer form (writers recompute their own row-aligned chunks).
      const std::uint64_t rb = row_bytes(ot, static_cast<std::uint64_t>(t.source.row_len()));
      out.produce.target<formats::ChunkedFill>()->chunk_hint = std::max<std::uint64_t>(formats::kMaxChunkBytes / rb, 1) * rb;
    } else {
      out.produce = [tp, rows, ot](std::span<std::byte> dst) {
        const std::int64_t nrows = tp->source.rows();
        const std::uint64_t rb = row_bytes(ot, static_cast<std::uint64_t>(tp->source.row_len()));
        if (dst.size() != rb * static_cast<std::uint64_t>(nrows)) throw internal_error("producer size mismatch").at_tensor(tp->name);
        std::vector<float> scratch;
        for (std::int64_t i = 0; i < nrows; ++i) {
          const std::int64_t r = rows.empty() ? i : rows[static_cast<std::size_t>(i)];
          encode_row(*tp, r, ot, dst.data() + static_cast<std::size_t>(i) * rb, scratch);
        }
      };
    }
    p.tensors.push_back(std::move(out));
  }
  return p;
}

}  // namespace apr::convert::detail
