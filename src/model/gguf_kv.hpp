// apr-qa model layer: the GGUF metadata record of a canonical model (CanonicalModel::gguf_kv).
//
// One entry per metadata key of the GGUF file the model came from (directly, or recorded by an
// earlier conversion in `apr_qa.gguf_kv`), in file order, with its GGUF type and element type.
// `has_value` is false only for the bulk arrays the converter derives from the tokenizer (tokens,
// merges, token types, scores): those record their type, not their contents. Carried and written
// back by convert/ (convert/gguf_kv_record.hpp).
#pragma once

#include <vector>

#include "formats/gguf.hpp"
#include "model/canonical_model.hpp"

namespace apr::model {

struct GgufKvEntry {
  gguf::KV kv;
  bool has_value = true;
  bool operator==(const GgufKvEntry&) const = default;
};

struct GgufKvRecord {
  std::vector<GgufKvEntry> entries;
};

// The entries of m's record; empty when it has none.
inline const std::vector<GgufKvEntry>& gguf_kv_entries(const CanonicalModel& m) {
  static const std::vector<GgufKvEntry> kNone;
  return m.gguf_kv ? m.gguf_kv->entries : kNone;
}

}  // namespace apr::model
