// Layer counts that the file cannot justify (GGUF block_count = 2^32-1 in a 274 KB file, config
// num_hidden_layers = 1e9, APR num_layers = 2^40) are refused before any per-layer structure is
// built, with the file and the key named.
#include <doctest/doctest.h>

#include <chrono>
#include <string>

#include "model/arch_traits.hpp"
#include "model/model_check.hpp"

using namespace apr;
using namespace apr::model;

namespace {

ModelConfig tiny(std::int64_t layers) {
  ModelConfig c;
  c.arch = Arch::llama;
  c.hidden = 8;
  c.layers = layers;
  c.heads = 2;
  c.kv_heads = 2;
  c.head_dim = 4;
  c.ffn = 16;
  c.vocab = 32;
  c.context = 64;
  return c;
}

std::string error_of_check(const ModelConfig& c, std::size_t tensors) {
  try {
    check_layer_count(c, tensors, "model.gguf");
  } catch (const Error& e) {
    CHECK(e.category() == ErrorCategory::validation);
    return e.what();
  }
  return {};
}

}  // namespace

TEST_CASE("hostile layers: counts beyond the tensors present are refused up front") {
  const auto t0 = std::chrono::steady_clock::now();
  for (std::int64_t layers : {std::int64_t{4294967295}, std::int64_t{1000000000}, std::int64_t{1} << 40}) {
    const auto e = error_of_check(tiny(layers), 291);
    CHECK(e.find("model.gguf") != std::string::npos);
    CHECK(e.find("num_hidden_layers") != std::string::npos);
    CHECK(e.find("expected at most 32") != std::string::npos);  // 291 tensors / 9
    CHECK(e.find("found " + std::to_string(layers)) != std::string::npos);
  }
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 1.0);
  // A real tiny model: 2 layers in 3 + 2 * 9 tensors.
  CHECK(error_of_check(tiny(2), 21).empty());
  CHECK(tensor_manifest(tiny(2)).size() == 21);
}

TEST_CASE("hostile layers: the manifest itself refuses an absurd layer count") {
  bool threw = false;
  try {
    (void)tensor_manifest(tiny(std::int64_t{1} << 40));
  } catch (const Error& e) {
    threw = true;
    CHECK(std::string(e.what()).find("num_hidden_layers") != std::string::npos);
  }
  CHECK(threw);
}
