// apr-qa qa: `apr-qa run` as one library call — load the playbook and the catalogue, plan,
// execute, score, report — plus the small helpers the other commands share.
// Exit codes: 0 every gate Corroborated or Skipped (at least one Corroborated); 1 a gate failed
// or nothing was measured; 2 playbook/usage error; 3 environment (model not found); 130
// interrupted.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "qa/evidence.hpp"
#include "qa/gate.hpp"
#include "qa/mqs.hpp"

namespace apr::qa {

struct RunOptions {
  std::string playbook;
  std::optional<std::string> model_path;
  std::string out_dir = "output";
  int jobs = 0;  // 0: from cores and the playbook's size_category
  bool dry_run = false;
  std::optional<std::string> dot_file;
  bool resume = false;
  bool reuse_artifacts = false;  // reuse existing artifact files (planted-fault tests)
  // After a finished run: all | failed (keep only what failed/unevaluated gates used) | none;
  // <out>/artifacts.json lists every artifact file either way (qa/retention.hpp).
  std::string keep_artifacts = "failed";
  std::optional<std::string> failure_policy;
  bool strict = false;
  std::optional<std::int64_t> timeout_ms;
  std::vector<std::string> worker;  // hidden: replaces the `apr-qa __node` worker (tests)
  std::optional<std::string> gates_dir;
  int verbosity = 0;  // -1 quiet, 0 normal, 1 verbose
  std::string log_format = "text";  // text | json
  bool has_cuda = false;
  bool print_summary = true;  // false: the caller prints its own (certify)
  std::optional<std::string> shard;  // "K/N": run only shard K of N (qa/shard.hpp), write shard.json
  // Converted models and shared runs under DIR/apr-qa-<hash> instead of out_dir (qa/scratch.hpp);
  // under out_dir, with a warning, when the run may not fit there. Not with shard.
  std::optional<std::string> scratch;
};

int run_playbook(const RunOptions& o);

// Catalogue from --gates-dir or the compiled-in one (throws apr::Error).
GateCatalogue load_catalogue(const std::optional<std::string>& gates_dir);
// Model id for reports from evidence ("org/name" of the first entry).
std::string model_id_of(const std::vector<Evidence>& ev);

// Live progress (drawn only when stdout and stderr are both terminals, text log format, not -q):
// one line on stderr, redrawn in place, never wider than the terminal, cleared at the end.
// Terminal width of `fd` (TIOCGWINSZ), else $COLUMNS, else 80.
int terminal_columns(int fd);
// `s` cut to at most `columns - 1` display columns (UTF-8 aware; the last column is left free so
// the terminal never wraps), ending in "..." when cut.
std::string fit_columns(const std::string& s, int columns);
// "[3/21] 12s, ETA 30s | running: n4 n5", fitted to `columns`.
std::string progress_line(std::size_t done, std::size_t total, double elapsed_s,
                          const std::vector<std::string>& running, int columns);

// The summary printed at the end of `run` (also with -q): the failed/unevaluated gates with the
// measurements that violated their thresholds (at most 20 lines), then the verdict's headline,
// then the evidence and report paths.
std::string run_summary(const std::vector<Evidence>& entries, const std::string& headline,
                        const std::string& evidence_path, const std::string& report_path);

}  // namespace apr::qa
