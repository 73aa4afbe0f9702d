#include "core/output_dir.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.hpp"

namespace apr {

namespace fs = std::filesystem;

void check_output_dir(const fs::path& dir, std::string_view label, bool create) {
  const std::string l(label);
  if (dir.empty()) throw validation_error(l + ": expected a directory, found an empty path");
  std::error_code ec;
  // The nearest existing ancestor (dir itself when it exists).
  fs::path at = dir;
  while (!fs::exists(at, ec)) {
    const fs::path up = at.parent_path();
    if (up.empty()) {
      at = ".";
      break;
    }
    if (up == at) break;
    at = up;
  }
  if (fs::exists(at, ec) && !fs::is_directory(at, ec)) {
    if (at == dir)
      throw validation_error(l + " must be a directory, found a file").at_path(dir.string());
    throw validation_error(l + " must be a directory, but " + at.string() + " is a file").at_path(dir.string());
  }
  if (create && !fs::is_directory(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec)
      throw io_error(l + ": cannot create the directory: " + ec.message()).at_path(dir.string()).with_errno(ec.value());
    at = dir;
  }
  if (::access(at.c_str(), W_OK | X_OK) != 0) {
    const int e = errno;
    throw io_error(l + ": " + (at == dir ? std::string("the directory is not writable: ")
                                         : "cannot create the directory (" + at.string() + " is not writable): ") +
                   std::strerror(e))
        .at_path(dir.string())
        .with_errno(e);
  }
}

}  // namespace apr
