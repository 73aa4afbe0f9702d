// apr-qa convert: planted converter faults, a TEST-ONLY hook for the mutation suite
// (tests/mutation, docs/mutation.md).
//
// APR_QA_FAULT=<name> (read once by the runner into core/switches.hpp) plants exactly one fault
// into every conversion the process makes, so that the suite can show which gate catches it.
// Unset, which is how apr-qa is always run outside the suite, each hook is one empty-string test
// and changes nothing. An unknown name plants nothing (the suite checks that each fault moves a
// gate). Model-level faults act on a copy of the canonical model before the plan is made;
// plan-level ones on the plan; a few live where the bytes are read or written
// (formats/safetensors_reader.cpp, model/tensor_manifest.cpp, convert/export_gguf.cpp).
// The names, what each plants, and for which target format:
//   apr_rope_theta_x1_01       APR: rope_theta x 1.01
//   apr_rms_eps_x1_1           APR: rms_norm_eps x 1.1
//   gguf_context_halved        GGUF: context_length / 2
//   apr_untie_lm_head          APR: a tied model declares itself untied and carries an lm_head copy
//   nfc_dropped                APR and GGUF: the tokenizer's NFC normalizer is dropped
//   gguf_token_renamed         GGUF: one token's text changes
//   apr_merges_dropped         APR: the last BPE merge is dropped
//   safetensors_eos_changed    SafeTensors: eos id points at another token
//   gguf_chat_template_dropped GGUF: the chat template is dropped
//   apr_add_bos_flipped        APR: add_bos flipped
//   gguf_name_changed          GGUF: general.name changes
//   safetensors_timestamp      SafeTensors: the write time goes into the file's metadata
//   apr_one_ulp                APR: one value of one tensor moves by 1 ulp
//   apr_tensors_swapped        APR: layer 0's gate_proj and up_proj trade data
//   apr_q_proj_transposed      APR: layer 0's (square) q_proj is written transposed, same shape
//   apr_k_rows_reversed        APR: layer 0's k_proj rows are written in reverse order
//   gguf_tensor_dropped        GGUF: layer 0's ffn_norm is not written
//   apr_bias_dropped           APR: layer 0's q_proj bias is not written (qwen2)
//   apr_shape_swapped          APR: layer 0's down_proj declares the transposed shape (same bytes)
//   apr_dtype_mislabelled      APR: the 16-bit float tensors carry the other 16-bit label (F16 <-> BF16)
//   apr_embed_widened          APR: the embedding is widened to F32 with no provenance record
//   gguf_f16_widened           GGUF: every F16 tensor is widened to F32 with no provenance record
//   gguf_vocab_padded          GGUF: the token list is 16 entries longer than token_embd (export_gguf.cpp)
//   gguf_timestamp             GGUF: the write time goes into a metadata key (export_gguf.cpp)
//   gguf_qk_unpermuted         GGUF export and import skip the llama Q/K permutation (tensor_manifest.cpp)
//   st_f16_read_as_bf16        the SafeTensors reader maps "F16" to BF16 (formats/safetensors_reader.cpp)
#pragma once

#include <optional>

#include "convert/tensor_plan.hpp"

namespace apr::convert::detail {

// A faulty copy of m when a model-level fault applies to target format f; nullopt otherwise.
std::optional<model::CanonicalModel> planted_model_fault(const model::CanonicalModel& m, ModelFormat f);
// Applies a plan-level fault for target format f, if one is planted.
void planted_plan_fault(Plan& p, ModelFormat f);

}  // namespace apr::convert::detail
