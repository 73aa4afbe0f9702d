// apr-qa convert: the size of an export, estimated before anything is written.
//
// estimate_output_bytes(m, plan, f) adds what the writer of format f will put on disk: every
// planned tensor's bytes (tensor/dtype's tensor_bytes of its output type and shape) with the
// format's alignment, one index entry per tensor, the tokenizer (tokens, types, scores, merges,
// chat template, in the format's encoding), the GGUF metadata record and a fixed allowance for
// the config and the small sidecars (SafeTensors: config.json, generation_config.json,
// tokenizer.json, tokenizer_config.json). export_model_report compares it with the free space of
// the target's folder before writing (core/disk_space.hpp); measured against the bytes actually
// written in docs/convert.md.
#pragma once

#include <cstdint>

#include "convert/tensor_plan.hpp"

namespace apr::convert::detail {

std::uint64_t estimate_output_bytes(const model::CanonicalModel& m, const Plan& p, ModelFormat f);

}  // namespace apr::convert::detail
