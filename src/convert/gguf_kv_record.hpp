// apr-qa convert: the GGUF metadata record — every GGUF key carried through every format.
//
// A GGUF source's key/value pairs are kept in the canonical model (`CanonicalModel::gguf_kv`,
// file order, GGUF type and array element type kept). APR and SafeTensors outputs carry them in
// the recorded namespace `apr_qa.gguf_kv` (APR: a JSON array in the metadata; SafeTensors: the
// same array as JSON text in `__metadata__`), so a later GGUF export writes back the same
// key/value set (names, types, values) as the source, unknown vendor keys included.
//
// Keys fall in three classes:
//  * derived — the converter writes them itself from the canonical config, tokenizer and plan
//    (general.architecture/type/file_type/quantization_version, the `{arch}.*` config keys,
//    every key tokenizer_to_gguf writes). Their derived value wins on export (so a lossy option
//    still changes general.file_type), written in the recorded type when it converts exactly;
//    when the canonical model no longer derives one (an intermediate format could not hold it),
//    the recorded value is written. Bulk derived arrays (tokens, merges, token types, scores)
//    record their type only (`has_value` false), not their contents. general.type is derived
//    (apr-qa writes "model") but a recorded value is kept.
//  * consumed — apr-qa's own per-tensor and carrier keys (apr_qa.dtype.*, apr_qa.sha256.*,
//    apr_qa.extra.*, apr_qa.architecture): applied to tensors, extra metadata and the config on
//    import, written again from those on export; never recorded.
//  * carried — everything else (general.name, general.languages, general.alignment, unknown
//    keys): written from the record exactly as read.
// A derived key the source did not have is left out of a lossless export when leaving it out
// reads back the same (general.type, {arch}.vocab_size, head_count_kv = head_count,
// rope.freq_base = 10000, rope.dimension_count, and file_type/quantization_version).
//
// JSON form of one entry: {"key": K, "type": "UINT32", "value": 7};
// arrays {"key": K, "type": "ARRAY", "element_type": "STRING", "value": [...]}; a bulk derived
// array {"key": K, "type": "ARRAY", "element_type": "INT32", "derived": true}. Integers are JSON
// integers (uint64/int64 exact), floats JSON numbers that round-trip the double ("nan", "inf",
// "-inf" as strings), strings that are not valid UTF-8 {"hex": "..."}.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "formats/gguf.hpp"
#include "model/canonical_model.hpp"
#include "model/gguf_kv.hpp"

namespace apr::convert {

inline constexpr const char* kGgufKvRecordKey = "apr_qa.gguf_kv";

bool is_consumed_gguf_key(std::string_view key);
// Derived by the converter for a model of architecture `c.arch` (see above).
bool is_derived_gguf_key(std::string_view key, const model::ModelConfig& c);

// The record of a GGUF file's KVs (consumed keys left out, bulk derived arrays as types only).
using GgufKvPtr = std::shared_ptr<const model::GgufKvRecord>;
GgufKvPtr record_gguf_kvs(const std::vector<gguf::KV>& kvs, const model::ModelConfig& c);

nlohmann::json gguf_kv_to_json(const std::vector<model::GgufKvEntry>& rec);
// Validation Errors name `where` and the entry's key; duplicate keys are refused.
GgufKvPtr gguf_kv_from_json(const nlohmann::json& j, const std::string& where);
// Same from JSON text (SafeTensors __metadata__), nesting limited to the record's own depth.
GgufKvPtr gguf_kv_from_json_text(const std::string& text, const std::string& where);

// The KVs of a GGUF export: `derived` (what the exporter writes from the canonical model and
// plan) merged with the record (rules above). `lossless`: no lossy option changed a tensor.
std::vector<gguf::KV> merge_gguf_kvs(std::vector<gguf::KV> derived, const std::vector<model::GgufKvEntry>& rec,
                                     const model::ModelConfig& c, bool lossless);

// `v` in GGUF type (t, element type et) when that conversion is exact; nullopt otherwise.
std::optional<gguf::Value> gguf_value_as(const gguf::Value& v, gguf::ValueType t, gguf::ValueType et);
// Short printable form of a value ("UINT32 7", "ARRAY[STRING] 3 entries [\"en\", ...]").
std::string gguf_value_repr(const gguf::Value& v, bool with_value = true);

}  // namespace apr::convert
