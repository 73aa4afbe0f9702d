// apr-qa convert (internal): the per-tensor output plan of one export.
//
// For every canonical tensor the plan fixes the target name, dtype and shape before anything is
// written (writers need the header first), and how the bytes are made: a zero-copy span when the
// bytes pass through unchanged in the same row order, otherwise a producer that copies whole rows
// in the target order (llama Q/K permutation) and, only where the dtype changes, dequantizes and
// re-quantizes row by row.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "convert/convert.hpp"
#include "core/atomic_file.hpp"
#include "model/canonical_model.hpp"

namespace apr::convert::detail {

struct OutTensor {
  std::string name;  // target name (HF, or GGUF for GGUF)
  GgmlType type = GgmlType::F32;
  std::vector<std::int64_t> shape;  // row-major
  std::span<const std::byte> direct;  // set for zero-copy passthrough
  std::function<void(std::span<std::byte>)> produce;  // set otherwise
};

struct Plan {
  std::vector<OutTensor> tensors;           // GGUF: manifest order; others: canonical order
  std::vector<std::string> lossy, notes;
  // Tensors written as F32 whose values came from another dtype: HF name -> (original type,
  // sha256 of the original bytes in canonical row order, empty for exact float widening). Every
  // exporter records them (SafeTensors __metadata__ / GGUF KVs apr_qa.dtype.<gguf name> /
  // APR metadata apr_qa.dtype) so a later export can restore the original bytes.
  std::map<std::string, std::pair<GgmlType, std::string>> records;
  std::optional<std::uint32_t> file_type;   // set when a lossy option fixed it
  bool any_quantized = false;
  Durability durability = Durability::durable;  // ConvertOptions::scratch: the model file is a run's scratch
};

Plan plan_tensors(const model::CanonicalModel& m, ModelFormat target, const ConvertOptions& o);

// --quantize scheme: tensor type for a GGUF-named tensor (nullopt = keep as is).
// llama.cpp's per-tensor type mix of a scheme (quant_rules.cpp says what each one changes).
enum class QuantMix { none, k_m, q2_k, q3_k_m };
struct QuantScheme {
  std::string name;
  GgmlType base;
  QuantMix mix;
  std::uint32_t ftype;   // general.file_type
};
const QuantScheme& quant_scheme(const std::string& name);  // validation Error listing the names
std::optional<GgmlType> quant_type_for(const QuantScheme& s, const std::string& gguf_name,
                                       const std::vector<std::int64_t>& shape, std::int64_t n_layers,
                                       bool has_output, std::int64_t n_gqa);

}  // namespace apr::convert::detail
