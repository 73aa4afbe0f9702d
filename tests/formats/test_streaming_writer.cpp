// Chunked (streaming) tensor producers in the GGUF, APR and SafeTensors writers: a chunked
// producer must give a file byte-identical to the span and whole-buffer paths, its chunks must
// be row-aligned, cover the tensor exactly once in order, and never exceed the hint (or 16 MiB).
#include <algorithm>
#include <functional>

#include <nlohmann/json.hpp>

#include "formats/apr.hpp"
#include "formats/chunk_producer.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::TempDir;

namespace {

struct Spec {
  std::string name;
  GgmlType type;
  std::vector<std::int64_t> shape;
  std::vector<std::byte> bytes;
};

std::vector<Spec> specs(bool quantized, std::uint32_t seed) {
  std::vector<Spec> v;
  auto add = [&](std::string n, GgmlType t, std::vector<std::int64_t> s) {
    const auto nb = static_cast<std::size_t>(tensor_bytes(t, s));
    v.push_back({std::move(n), t, s, test::random_bytes(nb, seed++)});
  };
  add("blk.0.attn_q.weight", GgmlType::F32, {300, 40});  // row 160 B
  add("blk.0.ffn.weight", GgmlType::BF16, {64, 33});     // row 66 B
  add("output_norm.weight", GgmlType::F32, {17});
  add("blk.0.attn_k.weight", GgmlType::F16, {3, 5, 24});  // 3-D, row 48 B
  if (quantized) add("token_embd.weight", GgmlType::Q8_0, {40, 64});  // row 68 B (2 blocks)
  return v;
}

struct Call {
  std::uint64_t offset, size;
};

// Records every call and fills the requested range from `src`.
formats::ChunkProducer recording(const std::vector<std::byte>& src, std::vector<Call>& calls) {
  return [&src, &calls](std::uint64_t off, std::span<std::byte> dst) {
    calls.push_back({off, dst.size()});
    REQUIRE(off + dst.size() <= src.size());
    std::memcpy(dst.data(), src.data() + off, dst.size());
  };
}

void check_calls(const Spec& s, const std::vector<Call>& calls, std::uint64_t hint) {
  const std::uint64_t total = tensor_bytes(s.type, s.shape);
  const std::uint64_t row = s.shape.size() >= 2 ? row_bytes(s.type, static_cast<std::uint64_t>(s.shape.back()))
                                                : dtype_info(s.type).block_bytes;
  const std::uint64_t limit = hint == 0 ? formats::kMaxChunkBytes : std::min(hint, formats::kMaxChunkBytes);
  REQUIRE(!calls.empty());
  std::uint64_t expect = 0;
  for (const auto& c : calls) {
    CHECK(c.offset == expect);
    CHECK(c.size > 0);
    CHECK(c.size <= std::max(limit, row));  // never more than the hint (unless one row is larger)
    CHECK(c.size <= formats::kMaxChunkBytes);
    CHECK(c.offset % row == 0);
    if (c.offset + c.size < total) CHECK(c.size % row == 0);  // every boundary on a row boundary
    expect = c.offset + c.size;
  }
  CHECK(expect == total);
  if (total > limit) CHECK(calls.size() > 1);
  if (total <= limit) CHECK(calls.size() == 1);
}

// mode 0: spans, 1: whole-buffer producer, 2: chunked producer (hint), 3: ChunkedFill inside a
// whole-buffer producer. Returns the file's bytes; checks chunk calls in modes 2 and 3.
template <typename W, typename Write>
std::string write_mode(const std::vector<Spec>& ts, int mode, std::uint64_t hint, W& w, Write write_file) {
  std::vector<std::vector<Call>> calls(ts.size());
  for (std::size_t k = 0; k < ts.size(); ++k) {
    const Spec& s = ts[k];
    switch (mode) {
      case 0: w.add_tensor(s.name, s.type, s.shape, test::as_span(s.bytes)); break;
      case 1:
        w.add_tensor(s.name, s.type, s.shape, [&s](std::span<std::byte> dst) {
          REQUIRE(dst.size() == s.bytes.size());
          std::memcpy(dst.data(), s.bytes.data(), dst.size());
        });
        break;
      case 2: w.add_tensor(s.name, s.type, s.shape, recording(s.bytes, calls[k]), hint); break;
      default:
        w.add_tensor(s.name, s.type, s.shape,
                     std::function<void(std::span<std::byte>)>(formats::ChunkedFill{recording(s.bytes, calls[k]), hint}));
        break;
    }
  }
  std::string bytes = write_file();
  if (mode >= 2)
    for (std::size_t k = 0; k < ts.size(); ++k) {
      CAPTURE(ts[k].name);
      check_calls(ts[k], calls[k], hint);
    }
  return bytes;
}

}  // namespace

TEST_CASE("streaming writer: GGUF chunked producer is byte-identical and row-aligned") {
  TempDir dir;
  const auto ts = specs(true, 11);
  for (std::uint64_t hint : {std::uint64_t{200}, std::uint64_t{1000}, std::uint64_t{0}}) {
    CAPTURE(hint);
    std::string files[4];
    for (int mode = 0; mode < 4; ++mode) {
      gguf::Writer w;
      w.add_kv("general.architecture", gguf::Value::str("llama"));
      auto p = dir / ("m" + std::to_string(mode) + ".gguf");
      files[mode] = write_mode(ts, mode, hint, w, [&] {
        w.write(p);
        return test::read_bytes(p);
      });
    }
    REQUIRE(files[0].size() > 50000);
    for (int mode = 1; mode < 4; ++mode) CHECK(files[mode] == files[0]);
  }
}

TEST_CASE("streaming writer: APR chunked producer is byte-identical (footer CRC included)") {
  TempDir dir;
  const auto ts = specs(true, 23);
  for (std::uint64_t hint : {std::uint64_t{150}, std::uint64_t{4096}}) {
    CAPTURE(hint);
    std::string files[4];
    for (int mode = 0; mode < 4; ++mode) {
      aprfmt::Writer w;
      w.set_metadata({{"architecture", "llama"}});
      auto p = dir / ("m" + std::to_string(mode) + ".apr");
      files[mode] = write_mode(ts, mode, hint, w, [&] {
        w.write(p);
        return test::read_bytes(p);
      });
    }
    for (int mode = 1; mode < 4; ++mode) CHECK(files[mode] == files[0]);
    auto r = aprfmt::Reader::open(dir / "m2.apr");  // CRCs verified on open
    REQUIRE(r.ok());
    CHECK(r->tensors().size() == ts.size());
  }
}

TEST_CASE("streaming writer: SafeTensors chunked producer is byte-identical, single and sharded") {
  TempDir dir;
  const auto ts = specs(false, 37);
  const std::uint64_t hint = 500;
  std::string files[4];
  for (int mode = 0; mode < 4; ++mode) {
    safetensors::Writer w;
    w.set_metadata({{"format", "pt"}});
    auto p = dir / ("m" + std::to_string(mode) + ".safetensors");
    files[mode] = write_mode(ts, mode, hint, w, [&] {
      w.write(p);
      return test::read_bytes(p);
    });
  }
  for (int mode = 1; mode < 4; ++mode) CHECK(files[mode] == files[0]);

  std::string shard[2];
  for (int mode : {0, 2}) {
    safetensors::Writer w;
    auto d = dir / ("sharded" + std::to_string(mode));
    std::filesystem::create_directories(d);
    shard[mode / 2] = write_mode(ts, mode, hint, w, [&] {
      w.write_sharded(d, 50000);
      return test::read_bytes(d / "model-00001-of-00002.safetensors") + test::read_bytes(d / "model-00002-of-00002.safetensors");
    });
  }
  CHECK(shard[0].size() > 50000);
  CHECK(shard[1] == shard[0]);
}

TEST_CASE("streaming writer: a row-permuting chunked producer receives whole rows") {
  // Output row i = source row (rows-1-i): the producer can only do this with whole rows.
  TempDir dir;
  const std::int64_t rows = 257, cols = 24;
  const std::uint64_t rb = row_bytes(GgmlType::F16, cols);
  const auto src = test::random_bytes(static_cast<std::size_t>(rb * rows), 5);
  std::vector<std::byte> reversed(src.size());
  for (std::int64_t r = 0; r < rows; ++r)
    std::memcpy(reversed.data() + r * rb, src.data() + (rows - 1 - r) * rb, rb);

  gguf::Writer a, b;
  a.add_tensor("t", GgmlType::F16, {rows, cols}, test::as_span(reversed));
  int calls = 0;
  b.add_tensor("t", GgmlType::F16, {rows, cols}, [&](std::uint64_t off, std::span<std::byte> dst) {
    ++calls;
    REQUIRE(off % rb == 0);
    REQUIRE(dst.size() % rb == 0);
    for (std::uint64_t i = 0; i < dst.size() / rb; ++i) {
      const std::uint64_t out_row = off / rb + i;
      std::memcpy(dst.data() + i * rb, src.data() + (rows - 1 - out_row) * rb, rb);
    }
  }, 1000);  // 1000 B -> 20 rows of 48 B per chunk
  a.write(dir / "a.gguf");
  b.write(dir / "b.gguf");
  CHECK(calls == (rows + 19) / 20);
  CHECK(test::read_bytes(dir / "a.gguf") == test::read_bytes(dir / "b.gguf"));
}

TEST_CASE("streaming writer: chunks of a tensor over 16 MiB stay within 16 MiB") {
  TempDir dir;
  const std::vector<std::int64_t> shape = {4200, 1024};  // F32, 17.2 MB, row 4 KiB
  const auto total = static_cast<std::size_t>(tensor_bytes(GgmlType::F32, shape));
  std::vector<std::byte> data(total);
  for (std::size_t i = 0; i < total; ++i) data[i] = static_cast<std::byte>((i * 2654435761u) >> 13);
  std::vector<Call> calls;
  gguf::Writer a, b;
  a.add_tensor("big", GgmlType::F32, shape, test::as_span(data));
  b.add_tensor("big", GgmlType::F32, shape, recording(data, calls), 1ull << 40);  // hint above the cap
  a.write(dir / "a.gguf");
  b.write(dir / "b.gguf");
  REQUIRE(calls.size() == 2);
  CHECK(calls[0].size == (formats::kMaxChunkBytes / 4096) * 4096);
  CHECK(calls[0].size + calls[1].size == total);
  CHECK(test::read_bytes(dir / "a.gguf") == test::read_bytes(dir / "b.gguf"));
}

TEST_CASE("streaming writer: chunk_bytes contract and empty producers") {
  CHECK(formats::chunk_bytes(GgmlType::F32, std::vector<std::int64_t>{10, 100}, 1000) == 800);  // 2 rows of 400 B
  CHECK(formats::chunk_bytes(GgmlType::F32, std::vector<std::int64_t>{10, 1000}, 100) == 4000);  // one row > hint
  CHECK(formats::chunk_bytes(GgmlType::F32, std::vector<std::int64_t>{10, 10}, 0) == 400);       // fits: whole tensor
  CHECK(formats::chunk_bytes(GgmlType::Q8_0, std::vector<std::int64_t>{1024}, 100) == 68);       // 1-D: 2 blocks of 34 B
  gguf::Writer g;
  CHECK_THROWS_AS(g.add_tensor("x", GgmlType::F32, {4}, formats::ChunkProducer{}, 0), Error);
  aprfmt::Writer a;
  CHECK_THROWS_AS(a.add_tensor("x", GgmlType::F32, {4}, formats::ChunkProducer{}, 0), Error);
  safetensors::Writer s;
  CHECK_THROWS_AS(s.add_tensor("x", GgmlType::F32, {4}, formats::ChunkProducer{}, 0), Error);
}
