// apr-qa core: process-wide switches (A/B escape hatches and test hooks).
//
// The runner reads them once from the environment at start (runner/main.cpp, the only place that
// reads APR_* variables) and `apr-qa run` records every one in its evidence, so a number measured
// with a switch set says so. Libraries read `switches()`; nothing below the runner calls getenv
// for them.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace apr {

struct Switches {
  bool engine_no_avx512 = false;    // APR_ENGINE_NO_AVX512: AVX2 kernels instead of AVX-512 (same bits)
  bool engine_no_amx = false;       // APR_ENGINE_NO_AMX: the fast mode's VNNI kernel instead of AMX (same bits)
  bool no_copy_file_range = false;  // APR_QA_NO_COPY_FILE_RANGE: buffered writes instead of the kernel copy
  bool no_shared_runs = false;      // APR_QA_NO_SHARED_RUNS: every comparing gate runs both models itself
  bool no_drafts = false;           // APR_QA_NO_DRAFTS: shared runs decode token by token, no draft verification
  std::string serve_exe;            // APR_QA_SERVE_EXE: the server a serve cell starts (tests)
  std::optional<std::int64_t> serve_health_timeout_ms;  // APR_QA_SERVE_HEALTH_TIMEOUT_MS (tests)
  // APR_QA_TEST_FREE_BYTES: the free disk space every disk-space check sees (tests simulate a small disk)
  std::optional<std::uint64_t> test_free_bytes;
  std::string python;               // APR_QA_PYTHON: the Python of the independent consumer (llama-cpp-python)
  // APR_QA_FAULT: a converter fault planted for tests (test-only hook: the gates must catch it;
  // evidence records it). Unset (the default), every hook is inert: one empty-string test. The
  // names and what each plants: src/convert/fault_hooks.hpp and docs/mutation.md; e.g.
  //   gguf_qk_unpermuted  the llama Q/K row permutation is skipped on GGUF export *and* import
  std::string fault;
};

Switches& switches();  // the process's switches; set by the runner before any work

// True when APR_QA_FAULT names this planted fault (tests/mutation); false whenever it is unset.
inline bool fault_planted(const char* name) {
  const std::string& f = switches().fault;
  return !f.empty() && f == name;
}

// The faults APR_QA_FAULT may name (src/convert/fault_hooks.hpp says what each plants).
inline const std::vector<std::string>& planted_fault_names() {
  static const std::vector<std::string> names = {
      "apr_rope_theta_x1_01",
      "apr_rms_eps_x1_1",
      "gguf_context_halved",
      "apr_untie_lm_head",
      "nfc_dropped",
      "gguf_token_renamed",
      "apr_merges_dropped",
      "safetensors_eos_changed",
      "gguf_chat_template_dropped",
      "apr_add_bos_flipped",
      "gguf_name_changed",
      "safetensors_timestamp",
      "apr_one_ulp",
      "apr_tensors_swapped",
      "apr_q_proj_transposed",
      "apr_k_rows_reversed",
      "gguf_tensor_dropped",
      "apr_bias_dropped",
      "apr_shape_swapped",
      "apr_dtype_mislabelled",
      "apr_embed_widened",
      "gguf_f16_widened",
      "gguf_vocab_padded",
      "gguf_timestamp",
      "gguf_qk_unpermuted",
      "st_f16_read_as_bf16",
  };
  return names;
}

// Every switch as (environment variable, effective value), for provenance records.
std::vector<std::pair<std::string, std::string>> describe_switches(const Switches& s);

}  // namespace apr
