// apr-qa qa: output oracles for matrix scenarios (anchor-spec §2), judged on generated text.
//
// arithmetic: prompt with an operator and a digit; the trailing '='/'?' stripped, split at the
//   first operator (order + - * /); when both sides are integers the output must contain the
//   result, otherwise the arithmetic check does not apply and the garbage oracle decides
//   (unlike the anchor, which passes it outright).
// code_syntax: the garbage oracle, then balanced brackets.
// garbage: fails on empty output, control characters other than \n\t\r, "NaN"/"Inf"/"inf",
//   U+FFFD, a repeated period (p in [2, min(20, len/3)] repeated ≥3× from the start covering
//   ≥70%), ≥5 identical consecutive words, or fewer than min_unique_chars distinct characters,
//   or a trigram repetition ratio above max_repetition_ratio (both from the playbook's config).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace apr::qa {

struct OracleVerdict {
  bool pass = false;
  std::string reason;
};

OracleVerdict garbage_oracle(const std::string& output, const nlohmann::json& config = nlohmann::json::object());
OracleVerdict arithmetic_oracle(const std::string& prompt, const std::string& output,
                                const nlohmann::json& config = nlohmann::json::object());
OracleVerdict code_oracle(const std::string& output, const nlohmann::json& config = nlohmann::json::object());
// By name: "arithmetic" | "code_syntax" | "garbage"; "none" passes any non-empty output.
OracleVerdict apply_oracle(const std::string& name, const std::string& prompt, const std::string& output,
                           const nlohmann::json& config);

}  // namespace apr::qa
