// apr-qa qa: one child process with captured output, a wall-clock timeout that really kills it,
// and classification of how it ended (exit status, signal, timeout).
//
// The child runs in its own process group (so a kill reaches its children too) and gets
// PR_SET_PDEATHSIG=SIGKILL, so a runner killed with SIGKILL leaves no orphan writing artifacts.
// stdout and stderr go to files. Non-blocking: poll() reaps the child when it has ended.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

namespace apr::qa {

struct ProcessEnd {
  enum class How { exited, signaled, timed_out, killed } how = How::exited;
  int exit_code = 0;   // when exited
  int signal = 0;      // when signaled
  std::int64_t duration_ms = 0;
  double cpu_seconds = 0;  // user + system CPU time of the child itself (wait4 rusage)
};

class ChildProcess {
 public:
  // Throws apr::Error (io) if fork/exec setup fails; an exec failure inside the child shows up
  // as exit code 127 with the reason on its stderr.
  ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& stdout_file,
               const std::filesystem::path& stderr_file, std::int64_t timeout_ms);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reaps the child if it has ended; kills it when the timeout has passed.
  std::optional<ProcessEnd> poll();
  void kill_now();  // SIGKILL to the process group, then reap (records How::killed)
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::int64_t timeout_ms_;
  bool timed_out_ = false, killed_ = false, reaped_ = false;
};

// Last `max_bytes` of a file (for stderr tails in evidence).
std::string file_tail(const std::filesystem::path& p, std::size_t max_bytes = 4000);

}  // namespace apr::qa
