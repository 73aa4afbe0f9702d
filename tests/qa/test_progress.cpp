// `run`'s terminal output: the live progress line fits the terminal, and the end-of-run summary
// (printed with -q too) names the violated measurements and the one verdict.
// The pty-driven check of the real binary at 60 columns is tests/oracle/test_qa_progress.py.
#include <doctest/doctest.h>

#include <cstdlib>

#include "qa/run.hpp"
#include "qa/verdict.hpp"

using namespace apr::qa;

static std::size_t columns_of(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

TEST_CASE("fit_columns keeps the last column free and cuts with an ellipsis") {
  CHECK(fit_columns("short", 60) == "short");
  std::string long_line(100, 'x');
  auto f = fit_columns(long_line, 60);
  CHECK(f.size() == 59);
  CHECK(f.substr(56) == "...");
  CHECK(fit_columns(std::string(59, 'y'), 60) == std::string(59, 'y'));
  CHECK(fit_columns(std::string(60, 'y'), 60).size() == 59);
  // UTF-8: counted in code points, never cut inside one
  std::string u;
  for (int i = 0; i < 40; ++i) u += "×";
  auto fu = fit_columns(u, 20);
  CHECK(columns_of(fu) == 19);
  CHECK(fu.substr(fu.size() - 3) == "...");
  CHECK(fit_columns("abcdef", 1) == "a");
}

TEST_CASE("progress_line at 60 columns with many running nodes") {
  std::vector<std::string> running{"n012_convert_safetensors_to_apr", "n013_convert_apr_to_gguf", "n014_check_F-CONV-G-A_cpu",
                                   "n015_infer_gguf"};
  auto l = progress_line(3, 21, 12.4, running, 60);
  CHECK(columns_of(l) <= 59);
  CHECK(l.rfind("[3/21] 12s, ETA 74s | running: n012_convert", 0) == 0);
  CHECK(progress_line(0, 5, 0, {}, 60) == "[0/5] 0s, ETA 0s");
  for (int cols : {10, 20, 40, 80, 200}) CHECK(columns_of(progress_line(7, 100, 3.0, running, cols)) <= static_cast<std::size_t>(cols - 1));
}

TEST_CASE("terminal_columns falls back to $COLUMNS, then 80, when the fd is not a terminal") {
  int fd = -1;  // never a terminal
  const char* old = std::getenv("COLUMNS");
  std::string saved = old ? old : "";
  setenv("COLUMNS", "60", 1);
  CHECK(terminal_columns(fd) == 60);
  unsetenv("COLUMNS");
  CHECK(terminal_columns(fd) == 80);
  if (old) setenv("COLUMNS", saved.c_str(), 1);
}

TEST_CASE("run_summary: the violated measurements of each failed gate, then the headline and paths") {
  Evidence ok;
  ok.gate_id = "G0-INTEGRITY-CONFIG";
  ok.category = "STAB";
  ok.outcome = Outcome::corroborated;
  ok.reason = "measured config_ok=1 (>= 1)";
  Evidence bad = ok;
  bad.gate_id = "G0-INTEGRITY-HIDDEN";
  bad.outcome = Outcome::falsified;
  bad.severity = "P0";
  bad.reason = judge({{"config_ok", 1, 1.0, Comparator::ge, "", ""}, {"hidden_mismatch", 1, 0.0, Comparator::le, "", ""}},
                     {"config_ok", "hidden_mismatch"})
                   .reason;
  std::vector<Evidence> entries{ok, bad};
  auto v = compute_verdict(entries, "quick");
  auto s = run_summary(entries, headline(v), "out/evidence.json", "out/report.html");
  CHECK(s ==
        "1 gate result failed or could not be evaluated:\n"
        "  G0-INTEGRITY-HIDDEN [run/cpu/safetensors] Falsified: hidden_mismatch = 1 violates <= 0\n"
        "NOT CERTIFIED (quick): 1 P0 failure (G0-INTEGRITY-HIDDEN) | score 100/200, grade F | not measured: QUAL, PERF, COMP, "
        "EDGE, REGR | coverage 2/2 gates | 1 passed, 1 failed, 0 skipped\n"
        "evidence: out/evidence.json\n"
        "report: out/report.html\n");
  CHECK(s.find("config_ok") == std::string::npos);
}
