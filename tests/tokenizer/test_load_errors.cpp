// Unit tests: bad tokenizer data fails at load time with a message naming the field; round
// trips through GGUF KVs and tokenizer.json keep the data.
#include <doctest/doctest.h>

#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/hf_json.hpp"
#include "tokenizer/tokenizer.hpp"
#include "tokenizer_fixtures.hpp"

using namespace apr::tok;
using namespace apr::tok::testing;

namespace {
std::string load_error(const TokenizerData& d) {
  auto r = Tokenizer::from_data(d);
  return r.ok() ? std::string() : std::string(r.error().what());
}
bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("load errors: merges, duplicates, ids, types, pre-tokenizer") {
  CHECK(load_error(tiny_bpe({"a b", "ab c"})).empty());
  {
    auto d = tiny_bpe({"a b"});
    d.merges.push_back("a zz");  // right side not a token
    const auto e = load_error(d);
    CHECK(has(e, "merges"));
    CHECK(has(e, "zz"));
  }
  {
    auto d = tiny_bpe({"a b"});
    d.merges.push_back("a c");  // "ac" is not a token
    CHECK(has(load_error(d), "\"ac\""));
  }
  {
    auto d = tiny_bpe({"a b"});
    d.merges.push_back("a b");
    CHECK(has(load_error(d), "repeats"));
  }
  {
    auto d = tiny_bpe({"a b"});
    d.merges.push_back("ab");
    CHECK(has(load_error(d), "left right"));
  }
  {
    auto d = tiny_bpe({"a b"});
    d.tokens.set(256, "a");  // duplicates token 97
    const auto e = load_error(d);
    CHECK(has(e, "duplicates token 97"));
  }
  {
    auto d = tiny_bpe({});
    d.bos_id = 100000;
    CHECK(has(load_error(d), "bos_token_id"));
    d.bos_id = -2;
    CHECK(has(load_error(d), "bos_token_id"));
  }
  {
    auto d = tiny_bpe({});
    d.token_types[5] = 9;
    CHECK(has(load_error(d), "token type"));
    d.token_types.pop_back();
    CHECK(has(load_error(d), "token_type"));
  }
  {
    auto d = tiny_bpe({});
    d.pre = "klingon";
    const auto e = load_error(d);
    CHECK(has(e, "klingon"));
    auto r = Tokenizer::from_data(d);
    CHECK(r.error().category() == apr::ErrorCategory::unsupported);
  }
  {
    auto d = tiny_bpe({});
    d.normalizer = "NFKC";
    CHECK(has(load_error(d), "NFKC"));
  }
  {
    TokenizerData d;
    CHECK(has(load_error(d), "no tokens"));
  }
}

TEST_CASE("GGUF KVs: round trip and errors") {
  auto d = tiny_bpe({"a b", "ab c"});
  d.bos_id = 256;
  d.add_bos = false;
  d.add_space_prefix = false;
  d.chat_template = "{{ messages }}";
  const auto kvs = tokenizer_to_gguf(d);
  auto back = tokenizer_from_gguf_kvs(kvs, "mem.gguf");
  REQUIRE(back.ok());
  CHECK(back.value() == d);

  auto without = [&](const std::string& key) {
    std::vector<apr::gguf::KV> k;
    for (const auto& kv : kvs)
      if (kv.key != key) k.push_back(kv);
    return k;
  };
  auto r = tokenizer_from_gguf_kvs(without("tokenizer.ggml.model"), "m.gguf");
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.error().what(), "m.gguf"));
  CHECK(has(r.error().what(), "tokenizer.ggml.model"));
  auto r2 = tokenizer_from_gguf_kvs(without("tokenizer.ggml.merges"), "m.gguf");
  REQUIRE_FALSE(r2.ok());
  CHECK(has(r2.error().what(), "tokenizer.ggml.merges"));

  auto bad = kvs;
  for (auto& kv : bad)
    if (kv.key == "tokenizer.ggml.model") kv.value.s = "bert";
  auto r3 = tokenizer_from_gguf_kvs(bad, "m.gguf");
  REQUIRE_FALSE(r3.ok());
  CHECK(r3.error().category() == apr::ErrorCategory::unsupported);
  CHECK(has(r3.error().what(), "bert"));

  auto wrong_type = kvs;
  for (auto& kv : wrong_type)
    if (kv.key == "tokenizer.ggml.bos_token_id") {
      kv.value.type = apr::gguf::ValueType::STRING;
      kv.value.s = "1";
    }
  auto r4 = tokenizer_from_gguf_kvs(wrong_type, "m.gguf");
  REQUIRE_FALSE(r4.ok());
  CHECK(has(r4.error().what(), "bos_token_id"));

  auto out_of_range = kvs;
  for (auto& kv : out_of_range)
    if (kv.key == "tokenizer.ggml.bos_token_id") kv.value.u = 999999;
  auto r5 = tokenizer_from_gguf_kvs(out_of_range, "m.gguf");
  REQUIRE_FALSE(r5.ok());
  CHECK(has(r5.error().what(), "bos_token_id"));
}

TEST_CASE("tokenizer.json: round trip and errors") {
  auto d = tiny_bpe({"a b", "ab c"});
  d.normalizer = "NFC";
  d.add_space_prefix = false;
  d.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}";
  const auto f = to_hf_tokenizer(d);
  auto back = hf_tokenizer_from_json(f.tokenizer_json, &f.tokenizer_config_json);
  REQUIRE(back.ok());
  CHECK(back.value() == d);

  // Unused "[PAD<id>]" fillers (as converters pad to the embedding size) keep id, text and type.
  auto padded = d;
  for (int k = 0; k < 3; ++k) {
    padded.tokens.push_back("[PAD" + std::to_string(padded.tokens.size()) + "]");
    padded.token_types.push_back(kTokenUnused);
  }
  const auto fp = to_hf_tokenizer(padded);
  auto back_p = hf_tokenizer_from_json(fp.tokenizer_json, &fp.tokenizer_config_json);
  REQUIRE(back_p.ok());
  CHECK(back_p.value() == padded);

  auto j = f.tokenizer_json;
  j["model"]["type"] = "WordPiece";
  auto r = hf_tokenizer_from_json(j, nullptr, "x/tokenizer.json");
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.error().what(), "WordPiece"));
  CHECK(has(r.error().what(), "x/tokenizer.json"));

  j = f.tokenizer_json;
  j["model"].erase("merges");
  auto r2 = hf_tokenizer_from_json(j, nullptr);
  REQUIRE_FALSE(r2.ok());
  CHECK(has(r2.error().what(), "merges"));

  j = f.tokenizer_json;
  j["model"]["merges"].push_back("a q");  // "aq" is no token
  CHECK_FALSE(hf_tokenizer_from_json(j, nullptr).ok());

  j = f.tokenizer_json;
  j["model"]["vocab"]["zzz"] = 97;  // id used twice
  auto r3 = hf_tokenizer_from_json(j, nullptr);
  REQUIRE_FALSE(r3.ok());
  CHECK(has(r3.error().what(), "97"));

  j = f.tokenizer_json;
  j["pre_tokenizer"]["pretokenizers"][0]["pattern"]["Regex"] = "\\w+";
  auto r4 = hf_tokenizer_from_json(j, nullptr);
  REQUIRE_FALSE(r4.ok());
  CHECK(r4.error().category() == apr::ErrorCategory::unsupported);

  j = f.tokenizer_json;
  j["model"]["merges"] = nlohmann::json::array({nlohmann::json::array({"a", "b"}), nlohmann::json::array({"ab", "c"})});
  auto r5 = hf_tokenizer_from_json(j, &f.tokenizer_config_json);  // [a, b] pair form
  REQUIRE(r5.ok());
  CHECK(r5.value().merges == d.merges);

  auto cfg = f.tokenizer_config_json;
  cfg["eos_token"] = "<not-a-token>";
  auto r6 = hf_tokenizer_from_json(f.tokenizer_json, &cfg);
  REQUIRE_FALSE(r6.ok());
  CHECK(has(r6.error().what(), "eos_token"));
}

TEST_CASE("real Qwen2.5 tokenizer.json: formats.md §6.3 vectors") {
  const std::filesystem::path dir = std::filesystem::path(APR_QA_SHARED_DIR) / "tokenizers" / "qwen2.5";
  REQUIRE(std::filesystem::exists(dir / "tokenizer.json"));
  auto d = load_hf_tokenizer(dir / "tokenizer.json", dir / "tokenizer_config.json");
  REQUIRE(d.ok());
  CHECK(d.value().tokens.size() == 151665);
  CHECK(d.value().merges.size() == 151387);
  CHECK(d.value().pre == "qwen2");
  CHECK(d.value().normalizer == "NFC");
  CHECK(d.value().eos_id == 151645);
  CHECK(d.value().token_types[151657] == kTokenUserDefined);  // <tool_call>: not special
  CHECK(d.value().token_types[151659] == kTokenControl);      // <|fim_prefix|>: <|…|>-looking
  auto t = Tokenizer::from_data(d.value()).value();
  using V = std::vector<std::int32_t>;
  CHECK(t.encode("Hello world") == V{9707, 1879});
  CHECK(t.encode("12345") == V{16, 17, 18, 19, 20});
  CHECK(t.encode("  leading spaces") == V{220, 6388, 12621});
  CHECK(t.encode("I've") == V{40, 3003});
  CHECK(t.encode("I'VE") == V{40, 6, 4491});
  CHECK(t.encode("a  b") == V{64, 220, 293});
  CHECK(t.encode("\n\n\n") == V{1406});
  CHECK(t.encode("def f(x):\n    return x*2\n") == V{750, 282, 2075, 982, 262, 470, 856, 9, 17, 198});
  CHECK(t.encode("h\xC3\xA9llo w\xC3\xB6rld") == V{71, 18503, 385, 289, 9416, 507});
  CHECK(t.encode("x<|fim_prefix|>y") == V{87, 151659, 88});
  CHECK(t.encode("e\xCC\x81") == V{963});  // NFC
  CHECK(t.is_end_of_generation(151645));
  CHECK(t.is_end_of_generation(151643));
  CHECK_FALSE(t.bos().has_value());
}

TEST_CASE("a chat template that does not parse fails when the tokenizer is loaded") {
  auto d = tiny_bpe({"a b"});
  d.chat_template = "{% for m in messages %}{{ m.content }}{% endfor %}";
  CHECK(load_error(d).empty());
  d.chat_template = "{% for m in messages %}{{ m.content }}";  // unclosed for
  const auto e = load_error(d);
  CHECK(has(e, "chat template"));
  CHECK(has(e, "for"));
}

TEST_CASE("GGUF KVs: the NFC normalizer and special:false flags are recorded, carried, not applied") {
  auto d = tiny_bpe({});
  d.normalizer = "NFC";
  const std::int32_t im_end = static_cast<std::int32_t>(d.tokens.size()) - 1;
  d.token_types[static_cast<std::size_t>(im_end)] = kTokenControl;
  d.hf_not_special = {im_end};
  const auto kvs = tokenizer_to_gguf(d);
  auto back = tokenizer_from_gguf_kvs(kvs, "mem.gguf");
  REQUIRE(back.ok());
  CHECK(back.value().normalizer == "NFC");
  CHECK(back.value().hf_not_special == d.hf_not_special);
  CHECK(back.value().gguf_records_not_applied);
  // Tokenizing with the GGUF applies no normalizer (as llama.cpp); the source data does.
  const std::string decomposed = "cafe\xcc\x81", composed = "caf\xc3\xa9";
  auto src = Tokenizer::from_data(d);
  auto gguf = Tokenizer::from_data(back.value());
  REQUIRE(src.ok());
  REQUIRE(gguf.ok());
  CHECK(src.value().encode(decomposed) == src.value().encode(composed));
  CHECK(gguf.value().encode(decomposed) != gguf.value().encode(composed));
  // A GGUF record apr-qa cannot use is refused naming the key.
  auto bad = kvs;
  for (auto& kv : bad)
    if (kv.key == "tokenizer.apr_qa.normalizer") kv.value.s = "NFKC";
  auto r = tokenizer_from_gguf_kvs(bad, "mem.gguf");
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.error().what(), "tokenizer.apr_qa.normalizer"));
}
