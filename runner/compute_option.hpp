// apr-qa CLI: the --compute option of the commands that run the engine (generate, logits,
// perplexity) and the mode it selects. Gates never take it: src/qa always runs the reference mode.
#pragma once

#include <string>

#include <CLI/CLI.hpp>

#include "engine/engine.hpp"

namespace apr::cli {

inline void add_compute_option(CLI::App& sub, std::string& value) {
  sub.add_option("--compute", value,
                 "Compute mode: reference (default: deterministic f32, the mode every gate uses) or fast\n"
                 "(NOT a reference: each matmul's input rows quantized to int8, integer dot kernels for\n"
                 "Q4_0/Q4_1/Q5_0/Q5_1/Q8_0/Q4_K/Q6_K weights as llama.cpp does, every other dtype on the\n"
                 "reference path; deterministic for a given build and CPU; cpu backend only; never used by\n"
                 "gates; its distance to the reference mode is measured in docs/engine.md). Output that\n"
                 "reports a number says which mode produced it (\"compute\" in JSON)")
      ->check(CLI::IsMember({"reference", "fast"}));
}

inline engine::Mode compute_mode(const std::string& value) {
  return value == "fast" ? engine::Mode::fast : engine::Mode::reference;
}

}  // namespace apr::cli
