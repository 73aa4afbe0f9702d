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
  bool no_copy_file_range = false;  // APR_QA_NO_COPY_FILE_RANGE: buffered writes instead of the kernel copy
  bool no_shared_runs = false;      // APR_QA_NO_SHARED_RUNS: every comparing gate runs both models itself
  std::string serve_exe;            // APR_QA_SERVE_EXE: the server a serve cell starts (tests)
  std::optional<std::int64_t> serve_health_timeout_ms;  // APR_QA_SERVE_HEALTH_TIMEOUT_MS (tests)
  // APR_QA_TEST_FREE_BYTES: the free disk space every disk-space check sees (tests simulate a small disk)
  std::optional<std::uint64_t> test_free_bytes;
  std::string python;               // APR_QA_PYTHON: the Python of the independent consumer (llama-cpp-python)
  // APR_QA_FAULT: a converter fault planted for tests (the gates must catch it; evidence records it).
  //   gguf_qk_unpermuted  the llama Q/K row permutation is skipped on GGUF export *and* import
  std::string fault;
};

Switches& switches();  // the process's switches; set by the runner before any work
// Every switch as (environment variable, effective value), for provenance records.
std::vector<std::pair<std::string, std::string>> describe_switches(const Switches& s);

}  // namespace apr
