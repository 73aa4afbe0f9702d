// Measurements -> verdicts; oracles.
#include <doctest/doctest.h>

#include <cmath>

#include "qa/oracle.hpp"
#include "qa/outcome.hpp"

using namespace apr::qa;

TEST_CASE("judge never passes on missing or empty data") {
  CHECK(judge({}, {}).outcome == Outcome::falsified);
  CHECK(judge({{"diff", 0.0, std::nullopt, Comparator::le, ""}}, {"diff"}).outcome == Outcome::falsified);
  auto v = judge({{"diff", 0.0, 1e-6, Comparator::le, ""}}, {"diff", "tensor_max_abs_diff"});
  CHECK(v.outcome == Outcome::falsified);
  CHECK(v.reason.find("tensor_max_abs_diff") != std::string::npos);
}

TEST_CASE("judge compares against thresholds, NaN fails") {
  CHECK(judge({{"diff", 0.0, 1e-6, Comparator::le, ""}}, {"diff"}).outcome == Outcome::corroborated);
  auto v = judge({{"diff", 2e-6, 1e-6, Comparator::le, ""}}, {"diff"});
  CHECK(v.outcome == Outcome::falsified);
  CHECK(v.reason.find("diff = 2e-06 violates <= 1e-06") != std::string::npos);
  CHECK(judge({{"diff", std::nan(""), 1e-6, Comparator::le, ""}}, {"diff"}).outcome == Outcome::falsified);
  CHECK(judge({{"n", 1, 1, Comparator::ge, ""}}, {"n"}).outcome == Outcome::corroborated);
  CHECK(judge({{"n", 0, 1, Comparator::ge, ""}}, {"n"}).outcome == Outcome::falsified);
}

TEST_CASE("oracles") {
  CHECK(arithmetic_oracle("2+2=", "The answer is 4.").pass);
  CHECK_FALSE(arithmetic_oracle("2+2=", "The answer is 5.").pass);
  // The expression is found inside the prompt; number words count as numbers.
  CHECK(arithmetic_oracle("Calculate 7*8", "fifty-six, I think").pass);
  CHECK_FALSE(arithmetic_oracle("Calculate 7*8", "").pass);
  CHECK_FALSE(garbage_oracle("").pass);
  CHECK_FALSE(garbage_oracle("abcabcabcabcabc").pass);
  CHECK_FALSE(garbage_oracle("the the the the the").pass);
  CHECK_FALSE(garbage_oracle("value NaN here").pass);
  CHECK(garbage_oracle("Paris is the capital of France.").pass);
  CHECK(code_oracle("    if n < 2:\n        return n\n    return fib(n-1) + fib(n-2)").pass);
  CHECK_FALSE(code_oracle("return x) + (").pass);
}
