// apr-qa core: opening user-named input files without blocking on them.
//
// A FIFO, socket or device named as a model, tokenizer or playbook would block open()/read()
// forever; these helpers open with O_NONBLOCK, check the descriptor is a regular file (fstat,
// no race with a swapped path) and only then read. A missing or unreadable file is an io Error
// (exit 3), a directory an io Error naming it, anything else that is not a regular file a
// validation Error (exit 2, bad input).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace apr {

// Throws unless `path` names a regular file (symlinks followed). `what` names the expected
// input in the message ("a playbook", "tokenizer.json").
void require_regular_file(const std::filesystem::path& path, std::string_view what);

// The whole content of a regular file of at most max_bytes (validation Error when larger).
std::string read_regular_file(const std::filesystem::path& path, std::string_view what,
                              std::uint64_t max_bytes = 1ull << 30);

// Opens `path` read-only and non-blocking, refusing anything but a regular file; returns the
// descriptor (close it yourself) and its size.
int open_regular_file(const std::filesystem::path& path, std::string_view what, std::uint64_t* size);

}  // namespace apr
