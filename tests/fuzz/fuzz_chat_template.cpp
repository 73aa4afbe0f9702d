// libFuzzer target: chat template (Jinja subset) parse and render with a fixed conversation.
// Every input ends in a rendered string or a template error, within the interpreter's budgets.
// The libFuzzer binary (APR_QA_LIBFUZZER) renders with 100,000 steps and 8 MiB built: at the
// defaults (5,000,000 steps, 128 MiB) each budget-exceeding input takes seconds and hundreds of MB
// under ASan. The replay (fuzz.replay.chat_template) keeps the defaults, so the committed budget
// probes are checked against the limits apr-qa uses. A 4-message render takes < 5,000 steps.
#include <cstddef>
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

#include "fuzz_input.hpp"
#include "tokenizer/chat_template.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const nlohmann::json messages = nlohmann::json::parse(R"([
    {"role": "system", "content": "You are helpful."},
    {"role": "user", "content": "Hi {{ there }}"},
    {"role": "assistant", "content": "Hello!"},
    {"role": "user", "content": "2 + 2?"}])");
  try {
    auto t = apr::tok::ChatTemplate::parse(std::string(reinterpret_cast<const char*>(data), size));
    if (!t.ok()) return apr::fuzz::expect_clean(t.error()), 0;
    apr::tok::ChatTemplateOptions o;
    o.bos_token = "<s>";
    o.eos_token = "</s>";
#ifdef APR_QA_LIBFUZZER
    o.max_steps = 100'000;
    o.max_built_bytes = 8u << 20;
#endif
    auto r = t->render(messages, o);
    if (!r.ok()) apr::fuzz::expect_clean(r.error());
  } catch (const apr::Error& e) {
    apr::fuzz::expect_clean(e);
  }
  return 0;
}
