// libFuzzer target: tokenizer.json (HF tokenizers format) -> TokenizerData -> Tokenizer, then
// encode and decode a fixed text. Every input ends in an error or a working tokenizer.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "core/json_parse.hpp"
#include "fuzz_input.hpp"
#include "tokenizer/hf_json.hpp"
#include "tokenizer/tokenizer.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    auto j = apr::parse_json_bounded(text, "tokenizer.json");
    auto d = apr::tok::hf_tokenizer_from_json(j, nullptr, "tokenizer.json");
    if (!d.ok()) return apr::fuzz::expect_clean(d.error()), 0;
    auto t = apr::tok::Tokenizer::from_data(d.value());
    if (!t.ok()) return apr::fuzz::expect_clean(t.error()), 0;
    auto ids = t->encode("Hello, world! 123 \xc3\xbc <|im_start|>user\n  tabs\tand\r\nnewlines");
    (void)t->decode(ids);
    (void)t->decode(ids, true);
  } catch (const apr::Error& e) {
    apr::fuzz::expect_clean(e);
  }
  return 0;
}
