// apr-qa qa: a run's artifact files in a scratch folder (`run --scratch DIR`).
//
// A run writes converted models under artifacts/ and shared runs under runs/ (qa/plan.hpp
// Plan::work_dir) and, with --keep-artifacts failed|none, removes most of them seconds after
// their last reader (qa/early_release.hpp). On a disk file system the kernel still writes most of
// those bytes back before they are removed (the seed playbook: ~9 of 15 GB). With --scratch on a
// tmpfs they never reach the disk. The run's folder there is DIR/apr-qa-<hash of -o>: the same
// for a run and its --resume, different for two runs into different -o.
//
// A scratch folder must hold what the run may write: plan_fits_scratch() compares an upper bound
// (one file the size of the input model per conversion, plus the run files) with what DIR has
// free — on a tmpfs also with the memory the kernel reports available, since its files are
// memory. When it does not fit, run.cpp warns and plans under -o instead (relocate_work_dir).
// After the run, the artifact folders a failed gate keeps are moved into -o (qa/retention.cpp)
// and the run's scratch folder is removed; an interrupted run leaves it for --resume.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace apr::qa {

struct Plan;

// DIR/apr-qa-<first 16 hex digits of sha256(absolute out_dir)>, absolute.
std::filesystem::path work_dir_for(const std::filesystem::path& scratch, const std::filesystem::path& out_dir);

struct ScratchSpace {
  std::uint64_t free_bytes = 0;       // core/disk_space.hpp free_bytes (APR_QA_TEST_FREE_BYTES in tests)
  bool tmpfs = false;                 // the folder is on a tmpfs (its files are memory)
  std::uint64_t mem_available = 0;    // /proc/meminfo MemAvailable (tmpfs only; 0 if unknown)
  std::uint64_t usable() const;       // free_bytes, on a tmpfs also at most mem_available
};
// Throws apr::Error (environment) when DIR is not an existing, writable folder.
ScratchSpace scratch_space(const std::filesystem::path& dir);

// The input model's size: the files the planner hashed (every shard of a sharded snapshot), or
// the resolved model file when larger.
std::uint64_t input_model_bytes(const Plan& plan);

// What the plan may write under its work_dir at most: one input-sized file per conversion and
// quantized variant (nothing is larger than its source), plus 64 MiB for runs and logits.
std::uint64_t scratch_bytes_needed(const Plan& plan, std::uint64_t model_bytes);

// Empty when the plan fits DIR, else why not (one line, for the warning).
std::string plan_fits_scratch(const Plan& plan, std::uint64_t model_bytes, const ScratchSpace& space,
                              const std::filesystem::path& dir);

// Moves every artifact path of the plan (node artifacts and path parameters) from its work_dir to
// `to`, and sets work_dir = to.
void relocate_work_dir(Plan& plan, const std::filesystem::path& to);

// Moves a file or folder to `to` (rename, else copy and remove: the scratch folder is usually on
// another file system). An existing `to` is replaced. Throws apr::Error (environment).
void move_path(const std::filesystem::path& from, const std::filesystem::path& to);

}  // namespace apr::qa
