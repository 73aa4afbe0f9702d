// apr-qa core: free space of the file system a write goes to.
//
// free_bytes(p) is what an unprivileged writer may still use (statvfs f_bavail * f_frsize) on the
// file system holding p, looked up at p's nearest existing ancestor (the folder may not exist yet).
// switches().test_free_bytes (APR_QA_TEST_FREE_BYTES) replaces the answer so tests can simulate a
// small disk. require_free_bytes throws an io Error with errno ENOSPC (an environment error: a
// run stops with exit 3, docs/reliability.md) naming the folder, the bytes needed and free.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

namespace apr {

// nullopt when the file system cannot be asked (no ancestor exists, statvfs fails).
std::optional<std::uint64_t> free_bytes(const std::filesystem::path& p);
// `what` says what needs the space ("the conversion to SafeTensors").
void require_free_bytes(const std::filesystem::path& dir, std::uint64_t needed, const std::string& what);
// "538.1 MB" (decimal units), for messages.
std::string human_bytes(std::uint64_t n);

}  // namespace apr
