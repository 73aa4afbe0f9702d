// Environment errors (issue 13): io errors carry their errno; the disk/permission ones are
// recognised so `run` stops with exit 3 instead of scoring them as model failures.
#include <doctest/doctest.h>

#include <cerrno>
#include <sys/resource.h>
#include <csignal>
#include <filesystem>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

TEST_CASE("environment errors: errno classification") {
  for (int e : {ENOSPC, EDQUOT, EFBIG, EACCES, EPERM, EROFS}) CHECK(apr::is_environment_errno(e));
  for (int e : {0, ENOENT, EINVAL, EIO, EISDIR}) CHECK_FALSE(apr::is_environment_errno(e));
  CHECK(apr::is_environment_error(apr::io_error("write failed").with_errno(ENOSPC)));
  CHECK_FALSE(apr::is_environment_error(apr::io_error("write failed")));                       // no errno recorded
  CHECK_FALSE(apr::is_environment_error(apr::validation_error("bad").with_errno(ENOSPC)));    // not an io error
  auto e = apr::io_error("x").at_path("/p").with_errno(EACCES);
  CHECK(e.sys_errno() == EACCES);
  CHECK(std::string(e.what()) == "/p: x");  // errno is not part of the line
}

TEST_CASE("environment errors: a refused AtomicFile write carries its errno") {
  // RLIMIT_FSIZE with SIGXFSZ ignored: writes past the limit fail with EFBIG, root or not.
  struct rlimit old{};
  REQUIRE(getrlimit(RLIMIT_FSIZE, &old) == 0);
  auto old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit lim = old;
  lim.rlim_cur = 4096;
  REQUIRE(setrlimit(RLIMIT_FSIZE, &lim) == 0);
  auto dir = std::filesystem::temp_directory_path() / "apr_qa_env_error_test";
  std::filesystem::create_directories(dir);
  int err = 0;
  bool env = false;
  try {
    apr::write_file_atomic(dir / "big.bin", std::string(1 << 20, 'x'));
  } catch (const apr::Error& e) {
    err = e.sys_errno();
    env = apr::is_environment_error(e);
  }
  setrlimit(RLIMIT_FSIZE, &old);
  std::signal(SIGXFSZ, old_handler);
  std::filesystem::remove_all(dir);
  CHECK(err == EFBIG);
  CHECK(env);
}
