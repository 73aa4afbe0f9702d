// Bad input: every refusal is an apr::Error naming the file, the tensor or key, what was expected
// and what was found. No silent fallback; a failed conversion leaves no file behind.
#include <nlohmann/json.hpp>

#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"
#include "tensor/fp16.hpp"
#include "tokenizer/hf_json.hpp"
#include "helpers.hpp"

using namespace ct;
using apr::GgmlType;

namespace {

std::string load_error(const fs::path& p, apr::convert::LoadOptions lo = {}) {
  auto m = apr::convert::load_model(p.string(), lo);
  return m.ok() ? std::string("(loaded)") : std::string(m.error().what());
}

nlohmann::json read_json(const fs::path& p) { return nlohmann::json::parse(read_bytes(p)); }
void write_json(const fs::path& p, const nlohmann::json& j) { std::ofstream(p) << j.dump(2); }

// Rewrites model.safetensors with `edit` applied to the tensor list.
void edit_safetensors(const fs::path& dir,
                      const std::function<void(std::vector<std::tuple<std::string, GgmlType, std::vector<std::int64_t>, std::vector<std::byte>>>&)>& edit) {
  std::vector<std::tuple<std::string, GgmlType, std::vector<std::int64_t>, std::vector<std::byte>>> ts;
  {
    auto r = apr::safetensors::Reader::open(dir / "model.safetensors").value();
    for (const auto& t : r.tensors()) ts.emplace_back(t.name, t.type, t.shape, std::vector<std::byte>(t.data.begin(), t.data.end()));
  }
  edit(ts);
  apr::safetensors::Writer w;
  w.set_metadata({{"format", "pt"}});
  for (auto& [n, ty, sh, by] : ts) w.add_tensor(n, ty, sh, std::span<const std::byte>(by));
  w.write(dir / "model.safetensors");
}

bool has(const std::string& s, const std::string& what) { return s.find(what) != std::string::npos; }

}  // namespace

TEST_CASE("bad input: missing config.json") {
  auto S = fixture(scratch("bad-noconfig"), "qwen2", true);
  fs::remove(S / "config.json");
  auto e = load_error(S / "model.safetensors");
  CHECK(has(e, "config.json"));
  CHECK(has(e, "model.safetensors"));
}

TEST_CASE("bad input: config conflicting with the tensors names tensor, expected and found") {
  auto S = fixture(scratch("bad-conflict"), "qwen2", true);
  auto cfg = read_json(S / "config.json");
  cfg["intermediate_size"] = 768;
  write_json(S / "config.json", cfg);
  auto e = load_error(S);
  CHECK(has(e, "model.layers.0."));
  CHECK(has(e, "expected [768, 256]"));
  CHECK(has(e, "found [512, 256]"));
  cfg["intermediate_size"] = 512;
  cfg["vocab_size"] = 300;
  write_json(S / "config.json", cfg);
  e = load_error(S);
  CHECK(has(e, "model.embed_tokens.weight"));
  CHECK(has(e, "expected [300, 256]"));
  CHECK(has(e, "found [320, 256]"));
}

TEST_CASE("bad input: tied config with an lm_head that is not a copy of the embedding") {
  auto S = fixture(scratch("bad-tied"), "llama", false);
  auto cfg = read_json(S / "config.json");
  cfg["tie_word_embeddings"] = true;
  write_json(S / "config.json", cfg);
  auto e = load_error(S);
  CHECK(has(e, "lm_head.weight"));
  CHECK(has(e, "tied"));
}

TEST_CASE("tied input carrying an explicit identical lm_head copy reads as tied without the copy") {
  auto S = fixture(scratch("tied-copy"), "llama", true);
  edit_safetensors(S, [](auto& ts) {
    for (auto& t : ts)
      if (std::get<0>(t) == "model.embed_tokens.weight") {
        auto copy = t;
        std::get<0>(copy) = "lm_head.weight";
        ts.push_back(copy);
        break;
      }
  });
  auto m = load(S);
  CHECK(m.config.tied_embeddings);
  CHECK(m.find("lm_head.weight") == nullptr);
}

TEST_CASE("bad input: a tensor the architecture does not expect") {
  auto S = fixture(scratch("bad-unexpected"), "qwen2", true);
  edit_safetensors(S, [](auto& ts) {
    ts.emplace_back("model.layers.0.mlp.extra_proj.weight", GgmlType::F32, std::vector<std::int64_t>{4, 4}, std::vector<std::byte>(64));
  });
  auto e = load_error(S);
  CHECK(has(e, "unexpected tensor"));
  CHECK(has(e, "model.layers.0.mlp.extra_proj.weight"));
}

TEST_CASE("bad input: a required qwen2 bias is absent") {
  auto S = fixture(scratch("bad-nobias"), "qwen2", true);
  edit_safetensors(S, [](auto& ts) {
    std::erase_if(ts, [](auto& t) { return std::get<0>(t) == "model.layers.1.self_attn.v_proj.bias"; });
  });
  auto e = load_error(S);
  CHECK(has(e, "model.layers.1.self_attn.v_proj.bias"));
  CHECK(has(e, "missing required tensor"));
  CHECK(has(e, "expected shape [128]"));
}

TEST_CASE("bad input: unknown architecture lists the supported ones") {
  auto S = fixture(scratch("bad-arch"), "qwen2", true);
  auto cfg = read_json(S / "config.json");
  cfg["model_type"] = "gpt_neox";
  write_json(S / "config.json", cfg);
  auto e = load_error(S);
  CHECK(has(e, "gpt_neox"));
  CHECK(has(e, "llama, qwen2, mistral"));
}

TEST_CASE("bad input: unsupported rope_scaling is refused, not ignored") {
  auto S = fixture(scratch("bad-rope"), "llama", true);
  auto cfg = read_json(S / "config.json");
  cfg["rope_scaling"] = {{"rope_type", "llama3"}, {"factor", 8.0}};
  write_json(S / "config.json", cfg);
  CHECK(has(load_error(S), "rope_scaling"));
}

TEST_CASE("GGUF without a tokenizer converts only with --tokenizer; a failed conversion leaves nothing") {
  auto dir = scratch("notok");
  auto S = fixture(dir / "S", "llama", true);
  fs::path G = dir / "m.gguf", bare = dir / "bare.gguf";
  convert(S, G);
  {
    auto r = apr::gguf::Reader::open(G).value();
    apr::gguf::Writer w;
    for (const auto& kv : r.kvs())
      if (kv.key.rfind("tokenizer.", 0) != 0) w.add_kv(kv.key, kv.value);
    for (const auto& t : r.tensors()) w.add_tensor(t.name, t.type, t.shape, t.data);
    w.write(bare);
  }
  fs::path out = dir / "out" / "x.apr";
  fs::create_directories(out.parent_path());
  auto r = apr::convert::convert_model(bare.string(), out, {});
  REQUIRE_FALSE(r.ok());
  CHECK(has(r.error().what(), "--tokenizer"));
  CHECK(has(r.error().what(), "bare.gguf"));
  CHECK(fs::is_empty(out.parent_path()));  // nothing behind, not even a temporary file
  apr::convert::ConvertOptions o;
  o.tokenizer = S;  // the HF snapshot directory holds tokenizer.json
  convert(bare, out, o);
  expect_lossless(G, out);
}

TEST_CASE("convert --verify passes on a lossless conversion and reports lossy steps") {
  auto dir = scratch("verify");
  auto S = fixture(dir / "S", "qwen2", true);
  apr::convert::ConvertOptions o;
  o.verify = true;
  auto r = convert(S, dir / "v.gguf", o);
  CHECK(r.verified);
  CHECK(r.verify_max_abs_diff == 0.0);
  CHECK(r.lossy_tensors.empty());
  o.dtype = GgmlType::BF16;
  auto l = convert(S, dir / "v16.apr", o);
  CHECK(l.lossy_tensors.size() == 2 + 2 * 12);  // every tensor of the F32 model touched
  CHECK(l.verify_max_abs_diff > 0);
  CHECK(l.verify_max_abs_diff < 1e-2);
}

TEST_CASE("fixtures are deterministic and seed-dependent") {
  auto dir = scratch("determinism");
  auto a = fixture(dir / "a", "qwen2", true, GgmlType::BF16, 42);
  auto b = fixture(dir / "b", "qwen2", true, GgmlType::BF16, 42);
  auto c = fixture(dir / "c", "qwen2", true, GgmlType::BF16, 43);
  for (const char* f : {"model.safetensors", "config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"})
    CHECK(read_bytes(a / f) == read_bytes(b / f));
  CHECK(read_bytes(a / "model.safetensors") != read_bytes(c / "model.safetensors"));
  auto m = load(a);
  CHECK(m.tokenizer.tokens.size() == 299);
  CHECK(m.config.vocab == 320);
  CHECK_FALSE(m.tokenizer.chat_template.empty());
  // Norm weights near 1, other weights small and centred.
  const auto& norm = m.require("model.norm.weight");
  std::vector<float> v(256);
  for (std::size_t i = 0; i < 256; ++i) {
    std::uint16_t h;
    std::memcpy(&h, norm.source.data.data() + 2 * i, 2);
    v[i] = apr::bf16_to_fp32(h);
  }
  for (float x : v) CHECK((x > 0.9f && x < 1.1f));
}

TEST_CASE("mistral: GGUF arch llama with Q/K permuted, read back as mistral; sliding window refused") {
  auto dir = scratch("mistral");
  auto S = fixture(dir / "S", "llama", false);
  auto cfg = read_json(S / "config.json");
  cfg["model_type"] = "mistral";
  cfg["architectures"] = {"MistralForCausalLM"};
  cfg.erase("attention_bias");
  cfg["sliding_window"] = nullptr;
  write_json(S / "config.json", cfg);
  fs::path G = dir / "m.gguf", back = dir / "back";
  convert(S, G);
  {
    auto r = apr::gguf::Reader::open(G).value();
    REQUIRE(r.find("general.architecture"));
    CHECK(r.find("general.architecture")->s == "llama");
    REQUIRE(r.find("apr_qa.architecture"));
    CHECK(r.find("apr_qa.architecture")->s == "mistral");
  }
  auto m = load(G);
  CHECK(m.config.arch == apr::model::Arch::mistral);
  CHECK_FALSE(m.require("model.layers.0.self_attn.q_proj.weight").is_identity_order());
  expect_lossless(S, G);
  convert(G, back);
  expect_lossless(S, back);
  CHECK(read_json(back / "config.json")["model_type"] == "mistral");
  cfg["sliding_window"] = 1024;  // < max_position_embeddings: a different attention pattern
  write_json(S / "config.json", cfg);
  CHECK(has(load_error(S), "sliding_window"));
}

TEST_CASE("sharded SafeTensors snapshots load like the single file") {
  auto dir = scratch("sharded");
  auto S = fixture(dir / "S", "qwen2", false, GgmlType::BF16);
  fs::path sh = dir / "sharded";
  fs::create_directories(sh);
  {
    auto r = apr::safetensors::Reader::open(S / "model.safetensors").value();
    apr::safetensors::Writer w;
    w.set_metadata({{"format", "pt"}});
    for (const auto& t : r.tensors()) w.add_tensor(t.name, t.type, t.shape, t.data);
    w.write_sharded(sh, 1u << 20);
  }
  for (const char* f : {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"})
    fs::copy_file(S / f, sh / f);
  REQUIRE(fs::exists(sh / "model.safetensors.index.json"));
  expect_lossless(S, sh);
  expect_all_bytes(S, sh);
  convert(sh, dir / "from_shards.gguf");
  expect_lossless(S, dir / "from_shards.gguf");
}

TEST_CASE("bad input: an APR special token id outside the vocabulary is refused at load (no crash on export)") {
  auto S = fixture(scratch("bad-special-id"), "qwen2", true);
  auto m = load(S);
  const auto n = static_cast<std::int64_t>(m.tokenizer.tokens.size());
  const auto dir = scratch("bad-special-id-out");
  const std::pair<const char*, std::optional<std::int64_t> apr::model::TokenizerData::*> fields[] = {
      {"tokenizer.eos_token_id", &apr::model::TokenizerData::eos_id},
      {"tokenizer.bos_token_id", &apr::model::TokenizerData::bos_id},
      {"tokenizer.padding_token_id", &apr::model::TokenizerData::pad_id},
      {"tokenizer.unknown_token_id", &apr::model::TokenizerData::unk_id}};
  for (const auto& [key, member] : fields) {
    CAPTURE(key);
    auto bad = m;
    bad.tokenizer.*member = n + 3;
    const auto apr = dir / "m.apr";
    auto w = apr::convert::export_model(bad, apr::ModelFormat::apr, apr, {});
    REQUIRE_MESSAGE(w.ok(), (w.ok() ? "" : w.error().what()));
    auto e = load_error(apr);
    CHECK(has(e, "m.apr"));
    CHECK(has(e, key));
    CHECK(has(e, "[0, " + std::to_string(n) + ")"));
    CHECK(has(e, std::to_string(n + 3)));
    // The conversion the crash was found on reports the same error instead of indexing past the end.
    apr::convert::ConvertOptions to_st;
    to_st.to = apr::ModelFormat::safetensors;
    auto r = apr::convert::convert_model(apr.string(), dir / "st", to_st);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().category() == apr::ErrorCategory::validation);
    CHECK(has(r.error().what(), key));
  }
  // A negative id is refused the same way.
  auto neg = m;
  neg.tokenizer.pad_id = -1;
  REQUIRE(apr::convert::export_model(neg, apr::ModelFormat::apr, dir / "neg.apr", {}).ok());
  CHECK(has(load_error(dir / "neg.apr"), "tokenizer.padding_token_id"));
}

TEST_CASE("tokenizer.json export refuses a special token id outside the vocabulary instead of indexing past it") {
  auto m = load(fixture(scratch("hf-special-id"), "qwen2", true));
  const auto n = static_cast<std::int64_t>(m.tokenizer.tokens.size());
  m.tokenizer.pad_id = n;
  try {
    (void)apr::tok::to_hf_tokenizer(m.tokenizer);
    FAIL("expected a validation error");
  } catch (const apr::Error& e) {
    CHECK(has(e.what(), "pad_token"));
    CHECK(has(e.what(), "[0, " + std::to_string(n) + ")"));
  }
}
