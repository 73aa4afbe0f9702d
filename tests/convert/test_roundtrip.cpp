// The converter's lossless guarantees on tiny qwen2 and llama fixtures (tied and untied; F32,
// BF16 and quantized Q8_0 / Q4_K_M (Q4_K + Q6_K) / Q6_K GGUF sources): the six direct
// conversions, the chains RT-001..004, idempotency and commutativity, each with max|diff| = 0,
// identical config and tokenizer, and byte-identical tensors wherever the dtype is kept.
#include <fstream>

#include "helpers.hpp"

using namespace ct;
using apr::GgmlType;

namespace {

struct Case {
  std::string arch;
  bool tied;
  GgmlType dtype;
  std::string quantize;  // "" = the fixture itself; else the GGUF source is quantized with it
};

void run_case(const Case& c) {
  const std::string tag = c.arch + (c.tied ? "-tied-" : "-untied-") + std::string(apr::dtype_name(c.dtype)) +
                          (c.quantize.empty() ? "" : "-" + c.quantize);
  INFO("case ", tag);
  auto dir = scratch(tag);
  auto S = fixture(dir / "S", c.arch, c.tied, c.dtype);
  fs::path G = dir / "src.gguf";
  apr::convert::ConvertOptions q;
  if (!c.quantize.empty()) q.quantize = c.quantize;
  auto rep = convert(S, G, q);
  if (!c.quantize.empty()) CHECK_FALSE(rep.lossy_tensors.empty());
  else expect_lossless(S, G);
  // When the GGUF is quantized, the SafeTensors side is its exact dequantization.
  fs::path Sq = c.quantize.empty() ? S : dir / "Sq";
  if (!c.quantize.empty()) convert(G, Sq);

  // Six direct conversions.
  fs::path GA = dir / "g2a.apr", AG = dir / "a2g.gguf", GS = dir / "g2s", SG = dir / "s2g.gguf", AS = dir / "a2s",
           SA = dir / "s2a.apr";
  convert(G, GA);
  expect_lossless(G, GA);
  expect_identical_bytes(G, GA);
  convert(GA, AG);
  expect_lossless(GA, AG);
  expect_identical_bytes(GA, AG);
  convert(G, GS);
  expect_lossless(G, GS);
  convert(Sq, SG);
  expect_lossless(Sq, SG);
  convert(GA, AS);
  expect_lossless(GA, AS);
  auto sa = convert(Sq, SA);
  expect_lossless(Sq, SA);
  if (c.quantize.empty()) {
    expect_identical_bytes(Sq, SA);
  } else {
    // Dequantized tensors are re-quantized only where that reproduces the original bytes.
    std::size_t kept = 0, requant = 0;
    for (const auto& n : sa.notes) {
      if (n.find("kept F32") != std::string::npos) ++kept;
      if (n.find("restored") != std::string::npos) ++requant;
    }
    MESSAGE(tag, ": S->A re-quantized ", requant, " tensors, kept ", kept, " as F32");
    CHECK(requant + kept > 0);
    if (kept == 0) expect_identical_bytes(G, SA);
  }

  // RT-001 G->A->S->G
  fs::path r1a = dir / "rt1.apr", r1s = dir / "rt1_s", r1g = dir / "rt1.gguf";
  convert(G, r1a);
  convert(r1a, r1s);
  convert(r1s, r1g);
  expect_lossless(G, r1g);
  if (c.quantize.empty()) expect_all_bytes(G, r1g);
  // RT-002 S->A->G->S
  fs::path r2a = dir / "rt2.apr", r2g = dir / "rt2.gguf", r2s = dir / "rt2_s";
  convert(Sq, r2a);
  convert(r2a, r2g);
  convert(r2g, r2s);
  expect_lossless(Sq, r2s);
  expect_all_bytes(Sq, r2s);  // original dtypes restored from the records
  // RT-003 S->A->G->A->S
  fs::path r3a = dir / "rt3.apr", r3g = dir / "rt3.gguf", r3a2 = dir / "rt3b.apr", r3s = dir / "rt3_s";
  convert(Sq, r3a);
  convert(r3a, r3g);
  convert(r3g, r3a2);
  convert(r3a2, r3s);
  expect_lossless(Sq, r3s);
  expect_all_bytes(Sq, r3s);
  // RT-004 S->A->G->A
  expect_lossless(Sq, r3a2);
  expect_all_bytes(r3a, r3a2);

  // Idempotency: G->A twice gives byte-identical files.
  fs::path i1 = dir / "idem1.apr", i2 = dir / "idem2.apr";
  convert(G, i1);
  convert(G, i2);
  CHECK(read_bytes(i1) == read_bytes(i2));
  CHECK(read_bytes(i1).size() > 1000);
  // Commutativity: G->A and G->S->A give identical tensor values.
  fs::path cs = dir / "com_s", ca = dir / "com.apr";
  convert(G, cs);
  convert(cs, ca);
  expect_lossless(i1, ca);
  fs::remove_all(dir);
}

}  // namespace

TEST_CASE("round trips: qwen2 tied F32") { run_case({"qwen2", true, GgmlType::F32, ""}); }
TEST_CASE("round trips: qwen2 untied BF16") { run_case({"qwen2", false, GgmlType::BF16, ""}); }
TEST_CASE("round trips: llama tied F32 (Q/K permutation)") { run_case({"llama", true, GgmlType::F32, ""}); }
TEST_CASE("round trips: llama untied BF16") { run_case({"llama", false, GgmlType::BF16, ""}); }
TEST_CASE("round trips: qwen2 Q8_0") { run_case({"qwen2", true, GgmlType::F32, "q8_0"}); }
TEST_CASE("round trips: llama Q4_K_M (Q4_K + Q6_K rows permuted)") { run_case({"llama", false, GgmlType::F32, "q4_k_m"}); }
TEST_CASE("round trips: qwen2 Q6_K") { run_case({"qwen2", false, GgmlType::BF16, "q6_k"}); }
TEST_CASE("round trips: llama Q4_K_M tied") { run_case({"llama", true, GgmlType::F32, "q4_k_m"}); }

TEST_CASE("round trips: the real SmolLM2-135M-Instruct Q4_1 GGUF (when present)") {
  const fs::path G = fs::path(APR_QA_MODELS_DIR) / "SmolLM2-135M-Instruct.Q4_1.gguf";
  if (!fs::exists(G)) {
    MESSAGE("SmolLM2 GGUF not present at ", G.string(), ": real-model round trips not run");
    return;
  }
  auto dir = scratch("smollm2");
  auto src = load(G);
  CHECK(src.config.arch == apr::model::Arch::llama);
  CHECK(src.config.layers == 30);
  CHECK(src.config.hidden == 576);
  CHECK(src.config.heads == 9);
  CHECK(src.config.kv_heads == 3);
  CHECK(src.config.tied_embeddings);
  CHECK(src.tokenizer.tokens.size() == 49152);
  CHECK_FALSE(src.tokenizer.merges.empty());
  CHECK_FALSE(src.require("model.layers.0.self_attn.q_proj.weight").is_identity_order());  // un-permuted
  fs::path GA = dir / "g.apr", AG = dir / "ag.gguf", GS = dir / "gs", SG = dir / "sg.gguf";
  convert(G, GA);
  expect_lossless(G, GA);
  expect_identical_bytes(G, GA);
  convert(GA, AG);
  expect_identical_bytes(G, AG);
  convert(G, GS);  // RT-001 via S: Q4_1 dequantized to F32 with the type recorded
  expect_lossless(G, GS);
  auto rep = convert(GS, SG);
  expect_lossless(G, SG);
  std::size_t requant = 0;
  for (const auto& n : rep.notes) requant += n.find("restored") != std::string::npos;
  MESSAGE("SmolLM2 S->G re-quantized ", requant, " of ", rep.notes.size(), " dequantized tensors byte-exactly");
  fs::path i2 = dir / "g2.apr";
  convert(G, i2);
  CHECK(read_bytes(GA) == read_bytes(i2));
  fs::remove_all(dir);
}
