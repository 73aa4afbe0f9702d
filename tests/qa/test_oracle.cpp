// The output oracles: garbage (repetition anywhere, low entropy, few distinct words; thresholds
// from the config), arithmetic (expressions found inside the prompt), known names and configs.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "qa/oracle.hpp"

using namespace apr::qa;
using nlohmann::json;

namespace {

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

// Prose paragraphs of the project's docs (not tables, headings, fences or code blocks).
std::vector<std::string> docs_paragraphs() {
  std::vector<std::string> out;
  for (const auto& e : std::filesystem::directory_iterator(std::string(APR_QA_SOURCE_DIR) + "/docs")) {
    if (e.path().extension() != ".md") continue;
    std::ifstream in(e.path());
    std::string line, para;
    bool fence = false;
    auto flush = [&] {
      if (para.size() >= 60) out.push_back(para);
      para.clear();
    };
    while (std::getline(in, line)) {
      if (line.rfind("```", 0) == 0) {
        fence = !fence;
        flush();
        continue;
      }
      if (fence || line.empty() || line[0] == '|' || line[0] == '#') {
        flush();
        continue;
      }
      para += (para.empty() ? "" : "\n") + line;
    }
    flush();
  }
  return out;
}

}  // namespace

TEST_CASE("garbage: repetition anywhere, any period, any start") {
  const std::vector<std::string> bad = {
      "?zzzzzzzzzzzzzzzzzzzz",
      "ooooooo9999999",
      "Hello world abcabcabcabcabcabcabc",
      "The answer is 4. The answer is 4. The answer is 4. The answer is 4.",
      "Sure! Here is a long and perfectly reasonable start of an answer, and then it breaks: "
      "xyxyxyxyxyxyxyxyxyxyxyxyxyxyxy",
      "!!!!!!!!!!!!!!!!!!!!",
      "ab 12345678901234567890 12345678901234567890 12345678901234567890",
  };
  for (const auto& s : bad) {
    auto v = garbage_oracle(s);
    CAPTURE(s);
    CHECK_FALSE(v.pass);
    CHECK(has(v.reason, "repetition"));
  }
  // The reason names the unit and where it starts.
  auto v = garbage_oracle("?zzzzzzzzzzzzzzzzzzzz");
  CHECK(has(v.reason, "'z' repeated 20x from byte 1"));
}

TEST_CASE("garbage: low entropy and few distinct words, each rule on its own") {
  const json no_rep = {{"max_run_chars", 1e9}, {"max_repeat_fraction", 2.0}};
  // Two symbols in an irregular order: ~1 bit per character.
  std::string two;
  std::uint32_t x = 12345;
  for (int i = 0; i < 200; ++i) {
    x = x * 1103515245u + 12345u;
    two += (x >> 16) & 1 ? 'o' : '9';
  }
  auto e = garbage_oracle(two, no_rep);
  CHECK_FALSE(e.pass);
  CHECK(has(e.reason, "low entropy"));
  CHECK(garbage_oracle(two, {{"max_run_chars", 1e9}, {"max_repeat_fraction", 2.0}, {"min_entropy_bits", 0.5}}).pass);

  const std::string words = "cat dog bird cat bird dog dog cat bird cat dog bird bird cat dog cat bird dog";
  auto w = garbage_oracle(words, no_rep);
  CHECK_FALSE(w.pass);
  CHECK(has(w.reason, "few distinct words: 3 of 18"));
  CHECK(garbage_oracle(words, {{"max_run_chars", 1e9}, {"max_repeat_fraction", 2.0}, {"min_distinct_word_ratio", 0.1}}).pass);

  auto r = garbage_oracle("yes no the the the the the", no_rep);
  CHECK_FALSE(r.pass);
  CHECK(has(r.reason, "5 identical words in a row"));
}

TEST_CASE("garbage: the thresholds are the config's") {
  const std::string s = "Hello world abcabcabcabcabcabcabc";
  CHECK_FALSE(garbage_oracle(s).pass);
  CHECK(garbage_oracle(s, {{"max_repeat_fraction", 0.9}}).pass);
  CHECK(garbage_oracle(s, {{"min_repeats", 8}}).pass);
  CHECK(garbage_oracle(s, {{"max_period", 2}}).pass);
  CHECK_FALSE(garbage_oracle("Hello there abcabcabc", {{"max_run_chars", 9}}).pass);
  CHECK(garbage_oracle("Hello there abcabcabc").pass);
  // The anchor's keys stay off unless set.
  CHECK(garbage_oracle("abcd abcd").pass);
  CHECK_FALSE(garbage_oracle("abcd abcd", {{"min_unique_chars", 6}}).pass);
  // Every documented parameter is accepted; defaults are listed.
  json all = json::object();
  for (const auto& p : garbage_params()) all[p.key] = p.default_value.value_or(1.0);
  CHECK(check_oracle_config("garbage", all).empty());
  CHECK(garbage_params().size() >= 10);
}

TEST_CASE("garbage: real answers pass") {
  std::vector<std::string> good = {
      "4",
      "2 + 2 = 4.",
      "Yes.",
      "The capital of France is Paris.",
      "7 * 6 = 42",
      "The answer is 1000000.",
      "The first five prime numbers are 2, 3, 5, 7 and 11.",
      "Hmm... let me think. The sea is calm tonight, silver under a low moon.",
      "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
      "for (int i = 0; i < n; ++i) {\n    sum += a[i] * b[i];\n}\nreturn sum;",
      "```python\ndef is_prime(n):\n    if n < 2:\n        return False\n    for d in range(2, int(n ** 0.5) + 1):\n"
      "        if n % d == 0:\n            return False\n    return True\n```",
      "| name | value |\n|------|-------|\n| a    | 1     |\n| b    | 2     |",
      "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
      "<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n",
      "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nCutting Knowledge Date: December 2023\n"
      "Today Date: 26 Jul 2024\n\nS<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nU<|eot_id|>"
      "<|start_header_id|>assistant<|end_header_id|>\n\n",
      "<s>[INST] What is the boiling point of water? [/INST] Water boils at 100 degrees Celsius at sea level.</s>",
      "Information about inference: the engine is deterministic, and infinite loops are avoided.",
      "Ha ha, that's a good one! Hahaha. Anyway, the answer is 12.",
      "SELECT name, COUNT(*) FROM users GROUP BY name ORDER BY 2 DESC LIMIT 10;",
  };
  // Docs paragraphs that discuss NaN/Inf values are left out: the anchor's rule rejects an output
  // with such a word by design (a model answer is not expected to print them).
  std::size_t left_out = 0;
  for (const auto& d : docs_paragraphs()) {
    bool non_finite = false;
    for (const char* w : {"NaN", "nan", "Inf", "inf"}) non_finite = non_finite || has(d, w);
    if (non_finite) ++left_out;
    else good.push_back(d);
  }
  REQUIRE(good.size() > 100);
  CHECK(left_out * 5 < good.size());  // the exclusion leaves most of the docs in (it grows with them)
  for (const auto& s : good) {
    auto v = garbage_oracle(s);
    CAPTURE(s);
    CAPTURE(v.reason);
    CHECK(v.pass);
  }
}

TEST_CASE("garbage: non-finite words, control characters, U+FFFD") {
  CHECK_FALSE(garbage_oracle("value NaN here").pass);
  CHECK_FALSE(garbage_oracle("loss = inf").pass);
  CHECK(garbage_oracle("informative infrastructure").pass);
  // Punctuation alone is no answer (a random-weight tiny model's 32 tokens decoded to "??"); one
  // digit is, and so is text in another script.
  CHECK_FALSE(garbage_oracle("??").pass);
  CHECK_FALSE(garbage_oracle("... !? --").pass);
  CHECK(garbage_oracle("4").pass);
  CHECK(garbage_oracle("четыре").pass);
  CHECK(garbage_oracle("??", {{"min_word_chars", 0}}).pass);
  CHECK_FALSE(garbage_oracle("a\x01 b").pass);
  CHECK_FALSE(garbage_oracle("bad \xEF\xBF\xBD char").pass);
  CHECK_FALSE(garbage_oracle("   \n\t ").pass);
}

TEST_CASE("arithmetic: the expression is found inside the prompt") {
  struct Case {
    const char* prompt;
    const char* expr;
    double value;
  };
  const Case cases[] = {
      {"What is 2+2?", "2+2", 4},          {"What is 7 * 6?", "7 * 6", 42},
      {"Compute 12 - 5.", "12 - 5", 7},    {"2+2=", "2+2", 4},
      {"Calculate 100 / 4", "100 / 4", 25}, {"Calculate 999 + 1.", "999 + 1", 1000},
      {"What is 15-7?", "15-7", 8},        {"What is 7*8?", "7*8", 56},
      {"What is 2 + 3 * 4?", "2 + 3 * 4", 14}, {"What is 10 \xC3\xB7 4?", "10 \xC3\xB7 4", 2.5},
      {"Multiply: 7 x 6", "7 x 6", 42},    {"In 2024, what is 1.5 + 2.25?", "1.5 + 2.25", 3.75},
  };
  for (const auto& c : cases) {
    CAPTURE(c.prompt);
    auto e = find_arithmetic(c.prompt);
    REQUIRE(e.has_value());
    CHECK(e->text == c.expr);
    CHECK(e->value == doctest::Approx(c.value));
  }
  for (const char* none : {"What is the capital of France?", "List the first five prime numbers.", "Write 3 sentences.",
                           "def is_prime(n):", "Divide 5 / 0 please", ""})
    CHECK_FALSE(find_arithmetic(none).has_value());
}

TEST_CASE("arithmetic: the output must contain the result as a number") {
  CHECK(arithmetic_oracle("What is 2+2?", "2 + 2 = 4.").pass);
  CHECK(arithmetic_oracle("What is 2+2?", "The answer is four.").pass);
  CHECK_FALSE(arithmetic_oracle("What is 2+2?", "The answer is 14.").pass);  // not a substring match
  CHECK_FALSE(arithmetic_oracle("What is 2+2?", "2 + 2 = 5").pass);
  CHECK(arithmetic_oracle("Calculate 999 + 1.", "999 + 1 equals 1,000.").pass);
  CHECK(arithmetic_oracle("Compute 5 - 12.", "The result is -7.").pass);
  CHECK_FALSE(arithmetic_oracle("Compute 5 - 12.", "The result is 7.").pass);
  CHECK(arithmetic_oracle("What is 10 / 3?", "About 3.33.").pass);
  CHECK_FALSE(arithmetic_oracle("What is 10 / 3?", "About 3.").pass);
  CHECK(arithmetic_oracle("What is 7 * 6?", "forty two").pass);
  auto v = arithmetic_oracle("What is 7 * 6?", "It is 41.");
  CHECK(has(v.reason, "7 * 6 = 42"));
}

TEST_CASE("arithmetic: no expression falls back to garbage and says so") {
  auto ok = arithmetic_oracle("What is the capital of France?", "Paris.");
  CHECK(ok.pass);
  CHECK(has(ok.reason, "no a<op>b expression"));
  auto bad = arithmetic_oracle("What is the capital of France?", "?zzzzzzzzzzzzzzzzzzzz");
  CHECK_FALSE(bad.pass);
  CHECK(has(bad.reason, "no a<op>b expression"));
  CHECK(has(bad.reason, "repetition"));
}

TEST_CASE("oracle names and configs are checked, never a silent fallback") {
  const auto& k = known_oracles();
  CHECK(k == std::vector<std::string>{"arithmetic", "code_syntax", "garbage", "none"});
  CHECK_THROWS_AS(apply_oracle("response", "p", "some output", json::object()), apr::Error);
  CHECK_THROWS_AS(apply_oracle("garbge", "p", "some output", json::object()), apr::Error);
  CHECK(has(check_oracle_config("garbge", json::object()), "unknown oracle 'garbge'"));
  CHECK(has(check_oracle_config("garbage", {{"max_rep", 1}}), "config.max_rep: unknown key"));
  CHECK(has(check_oracle_config("garbage", {{"min_entropy_bits", "high"}}), "expected a finite number"));
  CHECK(has(check_oracle_config("garbage", json::array()), "expected an object"));
  CHECK_THROWS_AS(apply_oracle("garbage", "p", "fine output", {{"max_rep", 1}}), apr::Error);
  CHECK_THROWS_AS(garbage_oracle("fine output", {{"max_rep", 1}}), apr::Error);
  for (const auto& name : k) CHECK_NOTHROW(apply_oracle(name, "What is 2+2?", "4", json::object()));
  CHECK(apply_oracle("arithmetic", "What is 2+2?", "4", json::object()).pass);
  CHECK_FALSE(apply_oracle("none", "p", "", json::object()).pass);
  CHECK(apply_oracle("code_syntax", "def f():", "    return (1)", json::object()).pass);
}

// Recorded outputs (greedy, 32 tokens): SmolLM2-135M-Instruct Q4_1 chat answers and random-weight
// fixtures' continuations (apr-qa fixture --preset tiny / qwen2.5-0.5b, apr-qa generate).
TEST_CASE("recorded outputs: SmolLM2's answers pass the garbage oracle, random-weight outputs fail") {
  const std::vector<std::string> smollm2 = {
      "The answer to this classic math problem is 4.",
      "To calculate 7*8, you multiply 7 by itself, which gives you 49. This is a fundamental operation in mathematics, and it's",
      "To calculate 999 + 1, we need to add 1 to the original number. So, 999 + 1 = ",
      "15-7 is a mathematical constant representing the sum of 15 and 7. In other words, it is the sum of 15 and",
      "The Fibonacci sequence is a classic example of a recursive sequence where each term is the sum of the two "
      "preceding terms. To calculate the Fibonacci sequence, you",
      "The sea is a vast and mysterious realm, teeming with life and unending in its own way, a testament to the "
      "unending beauty of the universe.",
      "The first five prime numbers are 2, 3, 5, 7, and 11.",
      // Raw continuations (the quick playbook's prompts "The capital of France is", "def add(a, b):").
      " Paris.\n\nThe answer is: 2018-01-22 12:12:53.",
      "\n    a += b\n\n# Example usage:\nadd_2_to_5()\n```\n\nIn this example, the `add_2",
  };
  for (const auto& s : smollm2) {
    CAPTURE(s);
    CHECK(garbage_oracle(s).pass);
  }
  // The arithmetic oracle checks what the model answered.
  CHECK(arithmetic_oracle("What is 2+2?", smollm2[0]).pass);
  CHECK_FALSE(arithmetic_oracle("What is 7*8?", smollm2[1]).pass);         // says 49
  CHECK_FALSE(arithmetic_oracle("Calculate 999 + 1.", smollm2[2]).pass);   // cut before the result
  CHECK_FALSE(arithmetic_oracle("What is 15-7?", smollm2[3]).pass);        // never says 8

  const std::vector<std::string> random = {
      "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz",
      "................................",
      "::\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17\x17"
      "\x17\x17\x17\x17",
      "/meta/meta\xEA\xB4\x80\xE9\x89\xA9\xE9\x89\xA9 Shen Shen Shen Shen Shen Shen Shen Shen Shen Shen Shen Shen Shen "
      "Shen Shen Shen Shen Shen smell",
  };
  for (const auto& s : random) {
    CAPTURE(s);
    CHECK_FALSE(garbage_oracle(s).pass);
  }
}
