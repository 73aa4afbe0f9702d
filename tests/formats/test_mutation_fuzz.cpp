// Seeded mutation fuzzing of the three readers: random byte flips, overwrites with boundary
// values and truncations of valid files must either open or fail with an apr::Error — never
// crash, hang, throw anything else or allocate beyond the file (run under ASan/UBSan in CI's
// asan-ubsan preset).
#include <nlohmann/json.hpp>

#include "formats/apr.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::TempDir;

namespace {

template <typename Open>
void fuzz(const TempDir& dir, const std::string& good, const std::string& name, Open open, std::uint32_t seed) {
  std::mt19937 rng(seed);
  int rejected = 0;
  const int kIters = 600;
  for (int it = 0; it < kIters; ++it) {
    std::string bad = good;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t pos = rng() % bad.size();
      switch (rng() % 4) {
        case 0: bad[pos] = static_cast<char>(bad[pos] ^ (1 << (rng() % 8))); break;
        case 1: bad[pos] = static_cast<char>(rng() & 0xFF); break;
        case 2: {  // a boundary u32/u64 value over a length or count field
          static const std::uint64_t vals[] = {0, 1, 0x7F, 0xFF, 0xFFFF, 0xFFFFFFFFull, 0x7FFFFFFFFFFFFFFFull, ~0ull};
          std::uint64_t v = vals[rng() % 8];
          std::size_t n = std::min<std::size_t>(bad.size() - pos, (rng() & 1) ? 8 : 4);
          std::memcpy(bad.data() + pos, &v, n);
          break;
        }
        default: bad.resize(pos); break;
      }
      if (bad.empty()) break;
    }
    test::write_bytes(dir / name, bad);
    try {
      auto r = open(dir / name);
      if (!r.ok()) ++rejected;
    } catch (const std::exception& ex) {
      FAIL("non-apr exception escaped the reader: " << ex.what() << " (iteration " << it << ")");
    }
  }
  CHECK(rejected > kIters / 2);  // most mutations of a dense header must be caught
}

}  // namespace

TEST_CASE("fuzz: mutated GGUF files never crash the reader") {
  TempDir dir;
  gguf::Writer w;
  w.add_kv("general.architecture", gguf::Value::str("llama"));
  w.add_kv("tokenizer.ggml.tokens", gguf::Value::str_array({"a", "bb", "ccc"}));
  w.add_kv("x.f", gguf::Value::f32(1.5f));
  auto d1 = test::random_bytes(4 * 8, 1), d2 = test::random_bytes(18 * 2, 2);
  w.add_tensor("w", GgmlType::F32, {2, 4}, test::as_span(d1));
  w.add_tensor("q", GgmlType::Q4_0, {2, 32}, test::as_span(d2));
  w.write(dir / "good.gguf");
  fuzz(dir, test::read_bytes(dir / "good.gguf"), "f.gguf", [](const std::filesystem::path& p) { return gguf::Reader::open(p); }, 11);
}

TEST_CASE("fuzz: mutated SafeTensors files never crash the reader") {
  TempDir dir;
  safetensors::Writer w;
  w.set_metadata({{"format", "pt"}});
  auto d1 = test::random_bytes(4 * 8, 1), d2 = test::random_bytes(2 * 6, 2);
  w.add_tensor("w", GgmlType::F32, {2, 4}, test::as_span(d1));
  w.add_tensor("h", GgmlType::BF16, {6}, test::as_span(d2));
  w.write(dir / "good.safetensors");
  fuzz(dir, test::read_bytes(dir / "good.safetensors"), "f.safetensors",
       [](const std::filesystem::path& p) { return safetensors::Reader::open(p); }, 12);
}

TEST_CASE("fuzz: mutated APR files never crash the reader (with and without the footer CRC)") {
  TempDir dir;
  aprfmt::Writer w;
  w.set_metadata({{"architecture", "llama"}, {"v", {1, 2, 3}}});
  auto d1 = test::random_bytes(4 * 8, 1), d2 = test::random_bytes(144, 2);
  w.add_tensor("w", GgmlType::F32, {2, 4}, test::as_span(d1));
  w.add_tensor("k", GgmlType::Q4_K, {1, 256}, test::as_span(d2));
  w.write(dir / "good.apr");
  std::string good = test::read_bytes(dir / "good.apr");
  fuzz(dir, good, "f.apr", [](const std::filesystem::path& p) { return aprfmt::Reader::open(p, true); }, 13);
  fuzz(dir, good, "g.apr", [](const std::filesystem::path& p) { return aprfmt::Reader::open(p, false); }, 14);
}
