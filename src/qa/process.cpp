#include "qa/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>

#include "core/error.hpp"

namespace apr::qa {

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::filesystem::path& out,
                           const std::filesystem::path& err, std::int64_t timeout_ms)
    : timeout_ms_(timeout_ms) {
  if (argv.empty()) throw internal_error("empty worker command");
  std::vector<char*> cargv;
  for (const auto& a : argv) cargv.push_back(const_cast<char*>(a.c_str()));
  cargv.push_back(nullptr);
  int ofd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  int efd = ::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (ofd < 0 || efd < 0) {
    const int e = errno;
    if (ofd >= 0) ::close(ofd);
    if (efd >= 0) ::close(efd);
    throw io_error(std::string("cannot create worker output files: ") + std::strerror(e)).at_path(out.parent_path().string()).with_errno(e);
  }
  pid_t parent = ::getpid();
  start_ = std::chrono::steady_clock::now();
  pid_ = ::fork();
  if (pid_ < 0) {
    ::close(ofd);
    ::close(efd);
    throw io_error(std::string("fork failed: ") + std::strerror(errno));
  }
  if (pid_ == 0) {
    ::setpgid(0, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != parent) ::_exit(125);
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::dup2(ofd, 1);
    ::dup2(efd, 2);
    int devnull = ::open("/dev/null", O_RDONLY);
    if (devnull >= 0) ::dup2(devnull, 0);
    ::execv(cargv[0], cargv.data());
    const char* msg = "apr-qa: cannot execute worker: ";
    (void)!::write(2, msg, std::strlen(msg));
    (void)!::write(2, cargv[0], std::strlen(cargv[0]));
    (void)!::write(2, "\n", 1);
    ::_exit(127);
  }
  ::setpgid(pid_, pid_);
  ::close(ofd);
  ::close(efd);
}

ChildProcess::~ChildProcess() {
  if (pid_ > 0 && !reaped_) kill_now();
}

std::optional<ProcessEnd> ChildProcess::poll() {
  if (reaped_) return std::nullopt;
  int status = 0;
  struct rusage ru{};
  pid_t r = ::wait4(pid_, &status, WNOHANG, &ru);
  auto now = std::chrono::steady_clock::now();
  std::int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now - start_).count();
  if (r == 0) {
    if (timeout_ms_ > 0 && ms > timeout_ms_ && !timed_out_) {
      timed_out_ = true;
      ::kill(-pid_, SIGKILL);
      ::kill(pid_, SIGKILL);
    }
    return std::nullopt;
  }
  reaped_ = true;
  ::kill(-pid_, SIGKILL);  // grandchildren left in the group
  ProcessEnd e;
  e.duration_ms = ms;
  if (r > 0)
    e.cpu_seconds = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                    static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
  if (r < 0) {
    e.how = ProcessEnd::How::killed;
    return e;
  }
  if (timed_out_) e.how = ProcessEnd::How::timed_out;
  else if (killed_) e.how = ProcessEnd::How::killed;
  else if (WIFSIGNALED(status)) {
    e.how = ProcessEnd::How::signaled;
    e.signal = WTERMSIG(status);
  } else {
    e.how = ProcessEnd::How::exited;
    e.exit_code = WEXITSTATUS(status);
  }
  return e;
}

void ChildProcess::kill_now() {
  if (reaped_ || pid_ <= 0) return;
  killed_ = true;
  ::kill(-pid_, SIGKILL);
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  reaped_ = true;
}

std::string file_tail(const std::filesystem::path& p, std::size_t max_bytes) {
  std::ifstream in(p, std::ios::binary | std::ios::ate);
  if (!in) return "";
  auto size = static_cast<std::size_t>(in.tellg());
  std::size_t start = size > max_bytes ? size - max_bytes : 0;
  in.seekg(static_cast<std::streamoff>(start));
  std::string s(size - start, '\0');
  in.read(s.data(), static_cast<std::streamsize>(s.size()));
  return s;
}

}  // namespace apr::qa
