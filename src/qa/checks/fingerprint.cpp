// Check kind differential_fingerprint (F-ROSETTA-FP-*, F-APR-FORMAT-*): per-tensor finite-value
// scan and statistics of one artifact against the reference format's (a different file; never
// the artifact itself). APR header checks are
// measured by opening the artifact with the APR reader (magic, version, header and footer CRC,
// dtype bytes) and by checking every tensor's absolute data offset for 64-byte alignment. GGUF
// format rules llama.cpp enforces at load are measured on the file itself (the GGUF reader, before
// any canonical import could pad or trim): the token list has exactly as many entries as
// token_embd (and an untied output) has rows — llama.cpp refuses the file otherwise.
#include <cmath>
#include <filesystem>

#include <fmt/format.h>

#include "qa/checks/check.hpp"
#include "qa/checks/tensor_compare.hpp"
#include "formats/apr.hpp"
#include "formats/gguf.hpp"
#include "tensor/dequantize.hpp"

namespace apr::qa::checks {

// gguf_tokens (entries of tokenizer.ggml.tokens) and gguf_vocab_row_mismatches (how many of
// token_embd.weight and output.weight have a row count other than gguf_tokens).
static void measure_gguf_vocab(CheckOutput& o, const std::string& path) {
  auto r = gguf::Reader::open(path);
  if (!r.ok()) {
    for (const char* n : {"gguf_tokens", "gguf_vocab_row_mismatches"})
      o.not_measured(n, std::string("the GGUF reader refuses the file: ") + r.error().what());
    return;
  }
  const gguf::Value* tokens = r->find("tokenizer.ggml.tokens");
  if (!tokens || tokens->type != gguf::ValueType::ARRAY) {
    for (const char* n : {"gguf_tokens", "gguf_vocab_row_mismatches"})
      o.not_measured(n, "the GGUF has no tokenizer.ggml.tokens array");
    return;
  }
  const auto n = static_cast<std::int64_t>(tokens->array_size());
  double mismatches = 0;
  for (const char* name : {"token_embd.weight", "output.weight"}) {
    const gguf::TensorInfo* t = r->find_tensor(name);
    if (!t) continue;  // output.weight is absent when tied; token_embd's absence is the manifest gates' business
    const std::int64_t rows = t->shape.empty() ? 0 : t->shape.front();
    o.output += ::fmt::format("GGUF {}: {} rows, tokenizer.ggml.tokens: {} entries\n", name, rows, n);
    if (rows != n) mismatches += 1;
  }
  o.add("gguf_tokens", static_cast<double>(n));
  o.add("gguf_vocab_row_mismatches", mismatches);
}

CheckOutput differential_fingerprint(const nlohmann::json& p) {
  CheckOutput o;
  if (p.value("format", "") == "gguf") measure_gguf_vocab(o, p.at("model").get<std::string>());
  auto m = load(p.at("model").get<std::string>());
  std::size_t nonfinite = 0;
  std::vector<float> row;
  for (const auto& t : m->tensors)
    for (std::int64_t r = 0; r < t.source.rows(); ++r) {
      row.resize(static_cast<std::size_t>(t.source.row_len()));
      dequantize_row(t.type(), t.row(r).data(), row.data(), t.source.row_len());
      for (float v : row) nonfinite += std::isfinite(v) ? 0 : 1;
    }
  o.add("tensors_scanned", static_cast<double>(m->tensors.size()));
  o.add("nonfinite_values", static_cast<double>(nonfinite));
  // fingerprint_mismatches is measured only against a different file: a model compared with
  // itself cannot mismatch, so without a distinct reference the measurement is not produced and
  // a gate that requires it (a catalogue entry with the key) is Falsified for the missing measurement.
  std::error_code ec;
  const bool has_ref = p.contains("reference") && p["reference"].is_string();
  const bool self = has_ref && (p["reference"].get<std::string>() == p["model"].get<std::string>() ||
                                std::filesystem::equivalent(p["reference"].get<std::string>(), p["model"].get<std::string>(), ec));
  if (has_ref && !self) {
    auto ref = load(p["reference"].get<std::string>());
    auto tc = compare_tensors(*ref, *m, "", true);
    double mism = (tc.max_stat_diff > 0 ? 1 : 0) + tc.missing_in_a + tc.missing_in_b + tc.shape_mismatches;
    o.add("fingerprint_mismatches", mism);
    o.add("max_stat_diff", tc.max_stat_diff);
  } else {
    o.output += self ? "reference is the model itself: fingerprints not compared\n" : "no reference given: fingerprints not compared\n";
  }
  if (p.value("format", "") == "apr") {
    // Re-open the file itself: the canonical model above has no byte offsets.
    auto r = aprfmt::Reader::open(p.at("model").get<std::string>(), /*verify_data_crc=*/true);
    double header_errors = 0, unknown_dtypes = 0, misaligned = 0, scanned = 0;
    if (!r.ok()) {
      (r.error().category() == ErrorCategory::unsupported ? unknown_dtypes : header_errors) = 1;
      o.output += std::string("APR reader: ") + r.error().what() + "\n";
    } else {
      const std::byte* base = r->file()->data();
      for (const auto& t : r->tensors()) {
        scanned += 1;
        if (static_cast<std::uint64_t>(t.data.data() - base) % 64 != 0) misaligned += 1;
      }
    }
    o.add("unknown_dtypes", unknown_dtypes);
    o.add("header_errors", header_errors);
    o.add("apr_tensors_scanned", scanned);
    o.add("misaligned_tensors", misaligned);
  }
  return o;
}

}  // namespace apr::qa::checks
