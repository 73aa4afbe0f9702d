// apr-qa convert: format conversion with the dtype policy.
//
// convert_model(src, dst, o) loads `src` (any input resolve_artifact accepts) and exports it.
// Target format: o.to, else dst's extension (.gguf/.apr/.safetensors), else (an existing or new
// directory) SafeTensors in HF layout. Dtype policy:
//  * passthrough: a tensor keeps its bytes when the target holds its type (GGUF/APR: every GGML
//    type; SafeTensors: F32/F16/BF16); llama Q/K rows are (un)permuted as whole rows;
//  * a quantized tensor going to SafeTensors is dequantized to F32 (exact values) and its
//    original type and the sha256 of its bytes are recorded in __metadata__; going back to
//    GGUF/APR it is re-quantized only when that reproduces exactly the recorded bytes, otherwise
//    it stays F32 and a note says so;
//  * lossy only on request: o.dtype (F32/F16/BF16) or o.quantize (llama.cpp's tensor-type rules,
//    with the ne0 % 256 fallbacks); the report lists every tensor a conversion touched.
// Outputs are written to a temporary file beside the target and renamed on success: a failed
// conversion leaves nothing. Before writing, the output's size is estimated (convert/output_size.hpp)
// and compared with the free space of the target's folder: an io Error with errno ENOSPC naming
// the folder, the bytes needed and free when it would not fit. o.verify diffs the output against the source after writing.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "formats/detect.hpp"
#include "model/canonical_model.hpp"

namespace apr::convert {

struct ConvertOptions {
  std::optional<ModelFormat> to;
  std::optional<GgmlType> dtype;           // F32/F16/BF16, lossy on request
  std::optional<std::string> quantize;     // q8_0|q4_0|q4_1|q5_0|q5_1|q2_k|q3_k_m|q4_k_m|q5_k_m|q6_k
  std::optional<std::filesystem::path> tokenizer;
  bool verify = false;
  // Threads that re-encode rows (dequantize, quantize, cast) inside each output chunk; 0: the
  // machine's hardware threads. Rows are independent, so the bytes do not depend on it.
  int threads = 0;
  // Refuse (validation error naming the file) when a SafeTensors target would overwrite an
  // existing sidecar (config.json, generation_config.json, tokenizer.json, tokenizer_config.json).
  // The CLI sets it unless --force; `run` writes into its own artifact folders and leaves it off.
  bool keep_existing_sidecars = false;
  // The model file is a run's scratch artifact (core/atomic_file.hpp Durability::scratch: renamed
  // into place but not forced to the disk). `run`'s conversion nodes set it; `apr-qa convert` never.
  bool scratch = false;
};

struct ConvertReport {
  std::filesystem::path output;            // the model file written (model.safetensors inside a dir target)
  ModelFormat format = ModelFormat::gguf;
  std::vector<std::string> lossy_tensors;  // "name: FROM->TO" for value-changing conversions
  std::vector<std::string> notes;          // exact dtype changes, kept-F32 decisions, ...
  std::size_t tensors = 0;
  std::uint64_t bytes = 0;                 // size of the model file written
  // Everything the export was estimated to write (model file and sidecars) before writing; a
  // target folder with less free space refuses the conversion (io Error, errno ENOSPC).
  std::uint64_t estimated_bytes = 0;
  std::uint64_t written_bytes = 0;         // model file plus the SafeTensors sidecars written

  bool verified = false;                   // o.verify ran and found max|diff| = 0 where expected
  double verify_max_abs_diff = 0;
};

Result<ConvertReport> convert_model(const std::string& src, const std::filesystem::path& dst, const ConvertOptions& o);
// Export an already loaded model. Fills `report` when given.
Result<void> export_model(const model::CanonicalModel& m, ModelFormat f, const std::filesystem::path& dst,
                          const ConvertOptions& o);
Result<ConvertReport> export_model_report(const model::CanonicalModel& m, ModelFormat f,
                                          const std::filesystem::path& dst, const ConvertOptions& o);

// The quantize scheme names accepted by ConvertOptions::quantize, for --help and errors.
const std::vector<std::string>& quantize_scheme_names();

}  // namespace apr::convert
