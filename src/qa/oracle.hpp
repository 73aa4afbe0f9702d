// apr-qa qa: output oracles for matrix scenarios (anchor-spec §2), judged on generated text.
//
// Names (known_oracles()): "arithmetic", "code_syntax", "garbage", and "none" (any non-empty
// output passes; used when gates.g4_output_quality is off). apply_oracle() throws a validation
// apr::Error for any other name and for a config key or value the oracle does not know — never
// a silent fallback to another oracle.
//
// garbage: fails on
//   - empty output (after trimming whitespace), control characters other than \n\t\r,
//     "NaN"/"nan"/"Inf"/"inf" as a word of their own (not inside "information"), U+FFFD;
//   - repetition anywhere: for every period p in [1, max_period] and every start, a tandem repeat
//     (the same p-character unit min_repeats or more times in a row; units of whitespace only are
//     formatting and ignored) — the output fails when one repeat whose unit has a letter or digit
//     spans >= max_run_chars characters, or when repeats cover >= max_repeat_fraction of the
//     output and at least min_repeat_chars characters;
//   - low entropy: Shannon entropy of the code-point distribution < min_entropy_bits (bits per
//     character), for outputs of >= entropy_min_chars code points;
//   - few distinct words: distinct / total whitespace-separated words < min_distinct_word_ratio,
//     for outputs of >= distinct_min_words words; more than max_same_word_run identical words in
//     a row;
//   - the playbook's anchor keys: fewer than min_unique_chars distinct bytes (outputs at least
//     that long), and a trigram repetition ratio (1 - distinct/total character trigrams) above
//     max(max_repetition_ratio, trigram_ratio_floor) — both off unless the config sets them.
//   Every threshold is a config key (garbage_params() lists them with defaults and meaning).
// arithmetic: finds the first `a <op> b [<op> c ...]` expression inside the prompt (integers or
//   decimals; op one of + - * / x × ÷; standard precedence), e.g. "What is 2+2?", "Compute
//   12 - 5.", "Calculate 100 / 4". The output passes when one of the numbers it contains (digits
//   with an optional sign, thousands commas and decimals, or an English number word up to
//   ninety-nine) equals the result (within 1e-2 relative for a non-integer result). A prompt
//   without such an expression is judged by the garbage oracle, and the reason says so.
// code_syntax: the garbage oracle, then brackets never close before they open.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace apr::qa {

struct OracleVerdict {
  bool pass = false;
  std::string reason;
};

// The oracle names apply_oracle accepts.
const std::vector<std::string>& known_oracles();

// One threshold of the garbage oracle: the config key, its default and what it bounds.
struct OracleParam {
  std::string key;
  std::optional<double> default_value;  // nullopt: the rule is off unless the config sets it
  std::string meaning;
};
const std::vector<OracleParam>& garbage_params();

// Empty when `config` is valid for oracle `name` (an object whose keys are garbage_params()
// keys with numeric values); otherwise one line naming the oracle/key and what was expected.
std::string check_oracle_config(const std::string& name, const nlohmann::json& config);

OracleVerdict garbage_oracle(const std::string& output, const nlohmann::json& config = nlohmann::json::object());
OracleVerdict arithmetic_oracle(const std::string& prompt, const std::string& output,
                                const nlohmann::json& config = nlohmann::json::object());
OracleVerdict code_oracle(const std::string& output, const nlohmann::json& config = nlohmann::json::object());
// By name (see known_oracles()); throws apr::Error (validation) for an unknown name or config.
OracleVerdict apply_oracle(const std::string& name, const std::string& prompt, const std::string& output,
                           const nlohmann::json& config);

// The first arithmetic expression in `prompt` and its value; nullopt when there is none.
struct ArithmeticExpr {
  std::string text;  // as found, e.g. "7 * 6"
  double value = 0;
};
std::optional<ArithmeticExpr> find_arithmetic(const std::string& prompt);

}  // namespace apr::qa
