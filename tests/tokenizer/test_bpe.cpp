// Unit tests: GPT-2 byte map, BPE merge order, pre-tokenizer splits, added tokens.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <set>

#include "tokenizer/byte_level.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer_fixtures.hpp"

using namespace apr::tok;
using namespace apr::tok::testing;

TEST_CASE("GPT-2 byte map: documented code points and a bijection") {
  CHECK(byte_to_unicode(' ') == 0x120);
  CHECK(byte_to_unicode('\n') == 0x10A);
  CHECK(byte_to_unicode('\t') == 0x109);
  CHECK(byte_to_unicode('\r') == 0x10D);
  CHECK(byte_to_unicode(0x7F) == 0x121);
  CHECK(byte_to_unicode(0xAD) == 0x143);
  CHECK(byte_to_unicode(0x00) == 0x100);
  CHECK(byte_to_unicode('!') == '!');
  CHECK(byte_to_unicode(0xA1) == 0xA1);
  CHECK(byte_to_unicode(0xFF) == 0xFF);
  std::set<char32_t> seen;
  for (int b = 0; b < 256; ++b) {
    const auto u = byte_to_unicode(static_cast<std::uint8_t>(b));
    seen.insert(u);
    REQUIRE(unicode_to_byte(u).has_value());
    CHECK(*unicode_to_byte(u) == b);
  }
  CHECK(seen.size() == 256);
  CHECK_FALSE(unicode_to_byte(0x200).has_value());
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  CHECK(byte_level_to_bytes(bytes_to_byte_level(all)) == all);
  CHECK(bytes_to_byte_level("a b\n") == "a\xC4\xA0" "b\xC4\x8A");
}

TEST_CASE("BPE merges: lowest rank first, leftmost on ties") {
  // "a a" merges leftmost: "aaa" -> "aa" + "a".
  auto d = tiny_bpe({"a a"});
  auto t = Tokenizer::from_data(d).value();
  CHECK(t.encode("aaa") == std::vector<std::int32_t>{id_of(d, "aa"), 'a'});
  CHECK(t.encode("aaaa") == std::vector<std::int32_t>{id_of(d, "aa"), id_of(d, "aa")});
  // Rank decides, not position: "b c" (rank 0) beats "a b" (rank 1) in "abc".
  auto d2 = tiny_bpe({"b c", "a b"});
  auto t2 = Tokenizer::from_data(d2).value();
  CHECK(t2.encode("abc") == std::vector<std::int32_t>{'a', id_of(d2, "bc")});
  auto d3 = tiny_bpe({"a b", "b c"});
  auto t3 = Tokenizer::from_data(d3).value();
  CHECK(t3.encode("abc") == std::vector<std::int32_t>{id_of(d3, "ab"), 'c'});
  // Merges chain: "h e", "l l", "he ll", "hell o".
  auto d4 = tiny_bpe({"h e", "l l", "he ll", "hell o"});
  auto t4 = Tokenizer::from_data(d4).value();
  CHECK(t4.encode("hello") == std::vector<std::int32_t>{id_of(d4, "hello")});
  CHECK(t4.encode("hell") == std::vector<std::int32_t>{id_of(d4, "hell")});
  CHECK(t4.decode(t4.encode("hello hell")) == "hello hell");
  // Bytes outside ASCII use their byte symbols.
  CHECK(t4.encode("\xC3\xA9") == std::vector<std::int32_t>{0xC3, 0xA9});
}

TEST_CASE("qwen2 pre-tokenizer splits tricky strings as HF does") {
  const auto* spec = find_pre_tokenizer("qwen2");
  REQUIRE(spec);
  PreTokenizer p(spec->regexes);
  auto split = [&](std::string_view s) {
    std::vector<std::pair<std::size_t, std::size_t>> r;
    p.split(s, r);
    std::vector<std::string> out;
    for (auto [b, e] : r) out.emplace_back(s.substr(b, e - b));
    return out;
  };
  using V = std::vector<std::string>;
  CHECK(split("Hello world") == V{"Hello", " world"});
  CHECK(split("12345") == V{"1", "2", "3", "4", "5"});      // \p{N}: one digit per piece
  CHECK(split("a  b") == V{"a", " ", " b"});                 // \s+(?!\S) leaves the last space to the word
  CHECK(split("I'VE") == V{"I", "'VE"});                     // (?i:'ve)
  CHECK(split("\n\n\n") == V{"\n\n\n"});
  CHECK(split("x = 1;\n") == V{"x", " =", " ", "1", ";\n"});
  // White_Space as Oniguruma defines it: U+0085 is a space, U+180E is not (PCRE2's \s differs).
  CHECK(split("a\xC2\x85\xC2\x85" "b") == V{"a", "\xC2\x85", "\xC2\x85" "b"});
  CHECK(split("a\xE1\xA0\x8E\xE1\xA0\x8E" "b") == V{"a", "\xE1\xA0\x8E\xE1\xA0\x8E", "b"});
  // Invalid UTF-8 never matches and is kept between matches.
  CHECK(split("ab\xFF" "cd") == V{"ab", "\xFF", "cd"});
  // Long whitespace runs do not blow the matcher's stack.
  CHECK(split(std::string(100000, ' ') + "x").size() == 2);
}

TEST_CASE("smollm pre-tokenizer: digits isolated first, then the GPT-2 regex") {
  const auto* spec = find_pre_tokenizer("smollm");
  REQUIRE(spec);
  PreTokenizer p(spec->regexes);
  std::vector<std::pair<std::size_t, std::size_t>> r;
  const std::string s = "abc 123  x's";
  p.split(s, r);
  std::vector<std::string> out;
  for (auto [b, e] : r) out.push_back(s.substr(b, e - b));
  CHECK(out == std::vector<std::string>{"abc", " ", "1", "2", "3", " ", " x", "'s"});
  CHECK(find_pre_tokenizer("starcoder") == spec);
  CHECK(find_pre_tokenizer("nonexistent") == nullptr);
}

TEST_CASE("pre-tokenizer regex rewrite maps \\s to White_Space") {
  const auto pat = to_pcre_pattern(R"([^\s\p{L}]\s+(?!\S))");
  CHECK(pat.find("\\s") == std::string::npos);
  CHECK(pat.find("\\S") == std::string::npos);
  CHECK(pat.find("\\x{85}") != std::string::npos);
}

TEST_CASE("added tokens split out inline; parse_special=false keeps control tokens as text") {
  auto d = tiny_bpe({"a b"});
  auto t = Tokenizer::from_data(d).value();
  const auto start = id_of(d, "<|im_start|>"), end = id_of(d, "<|im_end|>"), tool = id_of(d, "<tool>");
  CHECK(t.encode("ab<|im_start|>ab<|im_end|>") == std::vector<std::int32_t>{id_of(d, "ab"), start, id_of(d, "ab"), end});
  CHECK(t.encode("<|im_start|><|im_end|>") == std::vector<std::int32_t>{start, end});
  CHECK(t.encode("<|im_start") == std::vector<std::int32_t>{'<', '|', 'i', 'm', '_', 's', 't', 'a', 'r', 't'});
  auto plain = t.encode("<|im_end|><tool>", false);
  CHECK(plain.back() == tool);  // user-defined tokens are split even then
  CHECK(std::find(plain.begin(), plain.end(), end) == plain.end());
  CHECK(t.decode(plain) == "<|im_end|><tool>");
  // Decoding drops control tokens only with skip_special.
  CHECK(t.decode(std::vector<std::int32_t>{start, 'a', end, tool}) == "<|im_start|>a<|im_end|><tool>");
  CHECK(t.decode(std::vector<std::int32_t>{start, 'a', end, tool}, true) == "a<tool>");
  CHECK(t.is_end_of_generation(end));
  CHECK_FALSE(t.is_end_of_generation('a'));
  CHECK(t.is_special(start));
  CHECK_FALSE(t.is_special(tool));
}

TEST_CASE("BOS/EOS follow add_bos/add_eos and the override") {
  auto d = tiny_bpe({});
  d.bos_id = id_of(d, "<|im_start|>");
  auto t = Tokenizer::from_data(d).value();
  CHECK(t.encode("a") == std::vector<std::int32_t>{'a'});  // qwen2 default: no BOS
  CHECK(t.encode("a", true, true) == std::vector<std::int32_t>{static_cast<std::int32_t>(*d.bos_id), 'a'});
  d.add_bos = true;
  d.add_eos = true;
  auto t2 = Tokenizer::from_data(d).value();
  CHECK(t2.encode("a") == std::vector<std::int32_t>{static_cast<std::int32_t>(*d.bos_id), 'a', static_cast<std::int32_t>(*d.eos_id)});
  CHECK(t2.encode("a", true, false) == std::vector<std::int32_t>{'a'});
}

TEST_CASE("NFC normalization only when the data asks for it") {
  auto d = tiny_bpe({});
  auto t = Tokenizer::from_data(d).value();
  CHECK(t.encode("e\xCC\x81") == std::vector<std::int32_t>{'e', 0xCC, 0x81});
  d.normalizer = "NFC";
  auto t2 = Tokenizer::from_data(d).value();
  CHECK(t2.encode("e\xCC\x81") == std::vector<std::int32_t>{0xC3, 0xA9});  // U+00E9
  CHECK(t2.decode(t2.encode("Cafe\xCC\x81")) == "Caf\xC3\xA9");
}

TEST_CASE("Tokenizer::from_shared keeps the caller's data (no copy) and encodes as from_data") {
  auto shared = std::make_shared<const TokenizerData>(tiny_bpe({"h e", "l l", "he ll", "hell o"}));
  auto t = Tokenizer::from_shared(shared).value();
  CHECK(&t.data() == shared.get());  // the engine relies on this: one vocabulary in memory
  CHECK(shared.use_count() == 2);    // the tokenizer holds it
  auto copy = Tokenizer::from_data(*shared).value();
  CHECK(&copy.data() != shared.get());
  CHECK(t.encode("hello hell") == copy.encode("hello hell"));
  CHECK(t.decode(t.encode("hello hell")) == "hello hell");
  // An alias into a larger owner (as the engine passes the model's member) keeps the owner alive.
  struct Owner { int other = 0; TokenizerData tok; };
  auto owner = std::make_shared<Owner>();
  owner->tok = tiny_bpe({"a a"});
  std::weak_ptr<Owner> weak = owner;
  auto ta = Tokenizer::from_shared(std::shared_ptr<const TokenizerData>(owner, &owner->tok)).value();
  owner.reset();
  CHECK_FALSE(weak.expired());
  CHECK(ta.encode("aa").size() == 1);
  CHECK_FALSE(Tokenizer::from_shared(nullptr).ok());
}
