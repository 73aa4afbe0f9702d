// apr-qa convert (internal): per-format exporters. Each writes atomically and returns the path
// of the model file written.
#pragma once

#include <filesystem>

#include "convert/tensor_plan.hpp"

namespace apr::convert::detail {

std::filesystem::path export_gguf(const model::CanonicalModel& m, const Plan& p, const std::filesystem::path& dst);
std::filesystem::path export_apr(const model::CanonicalModel& m, const Plan& p, const std::filesystem::path& dst);
// dst ending in ".safetensors": that file plus config.json, tokenizer.json, tokenizer_config.json
// and generation_config.json beside it; otherwise dst is a directory in HF layout.
std::filesystem::path export_safetensors(const model::CanonicalModel& m, const Plan& p, const std::filesystem::path& dst);
// The dominant dtype of the >= 2-D output tensors (file_type and torch_dtype).
GgmlType dominant_type(const Plan& p);

}  // namespace apr::convert::detail
