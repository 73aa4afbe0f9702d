// Unit tests: SentencePiece BPE with byte fallback, streaming decode, UTF-8 repair.
#include <doctest/doctest.h>

#include "tokenizer/tokenizer.hpp"
#include "tokenizer/unicode.hpp"
#include "tokenizer_fixtures.hpp"

using namespace apr::tok;
using namespace apr::tok::testing;

namespace {
TokenizerData hello_spm() {
  return tiny_spm({{"\xE2\x96\x81", -1}, {"h", -2}, {"e", -2}, {"l", -2}, {"o", -2}, {"\xE2\x96\x81h", -3}, {"he", -4},
                   {"ll", -5}, {"\xE2\x96\x81he", -6}, {"llo", -7}, {"\xE2\x96\x81hello", -8}, {"\xE2\x96\x81hell", -9}});
}
}  // namespace

TEST_CASE("SPM: score-driven merges, dummy prefix, BOS by default") {
  auto d = hello_spm();
  auto t = Tokenizer::from_data(d).value();
  const auto hello = id_of(d, "\xE2\x96\x81hello");
  CHECK(t.encode("hello") == std::vector<std::int32_t>{1, hello});
  CHECK(t.encode("hello hello", true, false) == std::vector<std::int32_t>{hello, hello});
  // A special token resets the dummy prefix: the text after it gets '▁' again.
  CHECK(t.encode("<s>hello", true, false) == std::vector<std::int32_t>{1, hello});
  // As llama_detokenize: the dummy space is removed only when the first token is text.
  CHECK(t.decode(t.encode("hello hello")) == "<s> hello hello");
  CHECK(t.decode(t.encode("hello hello", true, false)) == "hello hello");
  CHECK(t.decode(t.encode("hello hello"), true) == "hello hello");
  // Without the dummy prefix.
  d.add_space_prefix = false;
  auto t2 = Tokenizer::from_data(d).value();
  CHECK(t2.encode("hello", true, false) == std::vector<std::int32_t>{id_of(d, "he"), id_of(d, "llo")});
}

TEST_CASE("SPM: characters outside the vocabulary fall back to <0xXX> byte tokens") {
  auto d = hello_spm();
  auto t = Tokenizer::from_data(d).value();
  const auto ids = t.encode("h\xC3\xA9", true, false);  // "hé"
  CHECK(ids == std::vector<std::int32_t>{id_of(d, "\xE2\x96\x81h"), id_of(d, "<0xC3>"), id_of(d, "<0xA9>")});
  CHECK(t.decode(ids) == "h\xC3\xA9");
  CHECK(t.token_text(id_of(d, "<0xC3>")) == "\xC3");
  CHECK(t.decode(t.encode("  lol  x", true, false)) == "  lol  x");
}

TEST_CASE("SPM: missing byte-fallback tokens or scores are load errors") {
  auto d = hello_spm();
  d.scores.pop_back();
  auto r = Tokenizer::from_data(d);
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("scores") != std::string::npos);
  auto d2 = hello_spm();
  d2.tokens.set(3 + 0x41, "<0x41-gone>");
  auto r2 = Tokenizer::from_data(d2);
  REQUIRE_FALSE(r2.ok());
  CHECK(std::string(r2.error().what()).find("<0x41>") != std::string::npos);
}

TEST_CASE("utf8_lossy replaces maximal invalid subparts as Python does") {
  CHECK(utf8_lossy("ok") == "ok");
  CHECK(utf8_lossy("\xF0\x9F\x98") == "\xEF\xBF\xBD");                               // truncated 4-byte: one U+FFFD
  CHECK(utf8_lossy("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");       // surrogate: one per byte
  CHECK(utf8_lossy("\xC0\x80" "a") == "\xEF\xBF\xBD\xEF\xBF\xBD" "a");               // overlong
  CHECK(utf8_lossy("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
  CHECK(utf8_lossy("\xE2\x82" "x") == "\xEF\xBF\xBD" "x");
}

TEST_CASE("StreamDecoder holds split multi-byte characters and replaces invalid bytes") {
  auto d = tiny_bpe({});
  auto t = Tokenizer::from_data(d).value();
  StreamDecoder s(t);
  // U+1F600 as four byte tokens.
  CHECK(s.push(0xF0) == "");
  CHECK(s.push(0x9F) == "");
  CHECK(s.push(0x98) == "");
  CHECK(s.push(0x80) == "\xF0\x9F\x98\x80");
  CHECK(s.push('a') == "a");
  CHECK(s.push(0xFF) == "\xEF\xBF\xBD");            // can never start a character: replaced at once
  CHECK(s.push(0xE2) == "");
  CHECK(s.push('b') == "\xEF\xBF\xBD" "b");         // the held lead byte turned out invalid
  CHECK(s.push(0xC3) == "");
  CHECK(s.flush() == "\xEF\xBF\xBD");               // incomplete at the end
  CHECK(s.flush() == "");
  // Streaming equals one-shot decoding for a mixed sequence.
  const std::string text = "h\xC3\xA9llo \xE4\xBD\xA0\xE5\xA5\xBD \xF0\x9F\x91\x8D<|im_end|>";
  const auto ids = t.encode(text);
  StreamDecoder s2(t);
  std::string streamed;
  for (auto id : ids) streamed += s2.push(id);
  streamed += s2.flush();
  CHECK(streamed == t.decode(ids));
  CHECK(streamed == text);
}

TEST_CASE("decode rejects ids out of range") {
  auto t = Tokenizer::from_data(tiny_bpe({})).value();
  CHECK_THROWS_AS(t.decode(std::vector<std::int32_t>{100000}), apr::Error);
  CHECK_THROWS_AS(t.decode(std::vector<std::int32_t>{-1}), apr::Error);
  CHECK(t.token_text(100000).empty());
}
