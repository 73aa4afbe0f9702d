// apr-qa convert: tensor-level diff of two models, across formats.
//
// Both sides are canonical models (HF names, row-major shapes, HF row order), so GGUF, APR and
// SafeTensors compare after name and layout mapping. Per tensor (union of names):
//   identical_bytes   same dtype, shape and row bytes;
//   identical_values  dequantized values bit-equal (e.g. Q4_K vs its exact F32 dequantization);
//   within_tolerance  every |a-b| <= atol + rtol*|b| (only when atol or rtol > 0);
//   differs           anything else, including a shape mismatch;
//   missing_a/_b      present on one side only.
// A tied side compares its embedding against the other side's explicit lm_head.weight.
// max_abs, rmse and cosine are computed in double over dequantized values (NaN positions that
// differ count as infinite difference). Config, tokenizer and metadata differences are listed
// field by field / key by key. `equal` = every tensor is identical or within tolerance, and
// config, tokenizer and metadata are identical.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "model/canonical_model.hpp"

namespace apr::convert {

struct DiffOptions {
  double atol = 0, rtol = 0;
};

struct TensorDiff {
  std::string name;
  std::string status;  // identical_bytes|identical_values|within_tolerance|differs|missing_a|missing_b
  std::string dtype_a, dtype_b;
  std::vector<std::int64_t> shape_a, shape_b;
  double max_abs = 0, rmse = 0, cosine = 1;
};

struct DiffReport {
  std::vector<TensorDiff> tensors;
  std::vector<std::string> config_diffs, tokenizer_diffs, metadata_diffs;
  double max_abs_diff = 0;
  bool equal = false;
  nlohmann::json to_json() const;
};

// Every metadata key of a and b, compared like with like; one line per differing or missing key:
//  * extra metadata (general.* strings, SafeTensors __metadata__, APR source_metadata): every key;
//    keys apr-qa derives for GGUF (general.type, general.file_type) only when both sides have
//    them (a format without them derives them);
//  * the GGUF record (CanonicalModel::gguf_kv, from a GGUF file or carried in apr_qa.gguf_kv):
//    when both sides have one, every carried key by name, GGUF type and value, and every derived
//    key (gguf_kv_record.hpp) present on both sides by type and value (a bulk tokenizer array by
//    type only: its contents are the tokenizer's; whether a derived key is written at all
//    follows from config and tokenizer, compared there); when only one side has a record, its
//    carried keys must be on the other side too, as GGUF record or extra string.
std::vector<std::string> metadata_differences(const model::CanonicalModel& a, const model::CanonicalModel& b);

// Every model config field of a and b (architecture, sizes, context length, rope_theta,
// rms_norm_eps, tied embeddings, attention bias); one line per differing field, "name: a vs b".
std::vector<std::string> config_differences(const model::ModelConfig& a, const model::ModelConfig& b);

Result<DiffReport> diff_models(const model::CanonicalModel& a, const model::CanonicalModel& b, const DiffOptions& o);

}  // namespace apr::convert
