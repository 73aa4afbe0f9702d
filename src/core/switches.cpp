#include "core/switches.hpp"

namespace apr {

Switches& switches() {
  static Switches s;
  return s;
}

std::vector<std::pair<std::string, std::string>> describe_switches(const Switches& s) {
  auto b = [](bool v) { return std::string(v ? "1" : "0"); };
  return {{"APR_ENGINE_NO_AVX512", b(s.engine_no_avx512)},
          {"APR_ENGINE_NO_AMX", b(s.engine_no_amx)},
          {"APR_QA_NO_COPY_FILE_RANGE", b(s.no_copy_file_range)},
          {"APR_QA_NO_SHARED_RUNS", b(s.no_shared_runs)},
          {"APR_QA_NO_DRAFTS", b(s.no_drafts)},
          {"APR_QA_SERVE_EXE", s.serve_exe},
          {"APR_QA_SERVE_HEALTH_TIMEOUT_MS", s.serve_health_timeout_ms ? std::to_string(*s.serve_health_timeout_ms) : ""},
          {"APR_QA_TEST_FREE_BYTES", s.test_free_bytes ? std::to_string(*s.test_free_bytes) : ""},
          {"APR_QA_PYTHON", s.python},
          {"APR_QA_FAULT", s.fault}};
}

}  // namespace apr
