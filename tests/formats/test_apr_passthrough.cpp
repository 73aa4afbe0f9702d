// APR writer, passthrough tensors (formats::ChunkedFill::source): the range is copied file to file
// (copy_file_range) and its CRC taken from the mapping. The file must be byte-identical to the
// one written from spans, with the kernel copy and with its write() fallback
// (APR_QA_NO_COPY_FILE_RANGE=1), must open with the footer CRC verified, and a bad source
// range must fail without leaving a file behind.
#include <cstdlib>

#include <nlohmann/json.hpp>

#include "core/mapped_file.hpp"
#include "core/switches.hpp"
#include "formats/apr.hpp"
#include "formats/chunk_producer.hpp"
#include "formats/gguf.hpp"
#include "formats/safetensors.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::TempDir;
namespace fs = std::filesystem;

namespace {

struct Src {
  std::string name;
  GgmlType type;
  std::vector<std::int64_t> shape;
  std::uint64_t offset;  // in the source file
};

// A source file: 100 bytes of "header", then tensors at unaligned offsets; the large ones span
// many of the writer's 256 KiB steps and do not end on one.
struct Fixture {
  TempDir dir;
  std::vector<Src> srcs;
  std::shared_ptr<const MappedFile> map;
  Fixture() {
    std::uint64_t at = 100;
    auto add = [&](std::string n, GgmlType t, std::vector<std::int64_t> s) {
      srcs.push_back({std::move(n), t, s, at});
      at += tensor_bytes(t, s) + 3;
    };
    add("model.embed_tokens.weight", GgmlType::BF16, {1201, 1024});  // 2.35 MiB
    add("lm_head.weight", GgmlType::BF16, {2311, 1024});             // 4.5 MiB
    add("model.layers.0.mlp.down_proj.weight", GgmlType::F32, {3, 7});
    add("model.norm.weight", GgmlType::F16, {1000});
    const auto bytes = test::random_bytes(static_cast<std::size_t>(at + 50), 99);
    test::write_bytes(dir / "src.bin", std::string(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
    map = MappedFile::open(dir / "src.bin").value();
  }
  std::span<const std::byte> bytes(const Src& s) const { return map->slice(s.offset, tensor_bytes(s.type, s.shape)); }
};

aprfmt::Writer base_writer() {
  aprfmt::Writer w;
  w.set_metadata(nlohmann::json{{"general.name", "passthrough"}});
  return w;
}

// Writes through ChunkedFill producers carrying the source range; counts fill calls.
void write_with_source(const Fixture& f, const fs::path& out, int& fills, std::uint64_t offset_delta = 0) {
  auto w = base_writer();
  for (const auto& s : f.srcs) {
    const auto src = f.bytes(s);
    formats::ChunkedFill cf{[src, &fills](std::uint64_t at, std::span<std::byte> dst) {
                          ++fills;
                          std::memcpy(dst.data(), src.data() + at, dst.size());
                        },
                        0, f.map.get(), s.offset + offset_delta};
    w.add_tensor(s.name, s.type, s.shape, aprfmt::TensorProducer(cf));
  }
  w.write(out);
}

struct EnvGuard {
  explicit EnvGuard(const char* v) { apr::switches().no_copy_file_range = std::string(v) != "0"; }
  ~EnvGuard() { apr::switches().no_copy_file_range = false; }
};

}  // namespace

TEST_CASE("apr passthrough: kernel copy and write() fallback give the span writer's bytes") {
  Fixture f;
  auto w = base_writer();
  for (const auto& s : f.srcs) w.add_tensor(s.name, s.type, s.shape, f.bytes(s));
  w.write(f.dir / "span.apr");
  const std::string want = test::read_bytes(f.dir / "span.apr");
  REQUIRE(want.size() > (6u << 20));

  int fills = 0;
  write_with_source(f, f.dir / "copy.apr", fills);
  CHECK(fills == 0);  // the source path was taken, not the producer
  CHECK(test::read_bytes(f.dir / "copy.apr") == want);

  {
    EnvGuard off("1");
    write_with_source(f, f.dir / "fallback.apr", fills);
  }
  CHECK(fills == 0);
  CHECK(test::read_bytes(f.dir / "fallback.apr") == want);

  for (const char* name : {"copy.apr", "fallback.apr"}) {
    auto r = aprfmt::Reader::open(f.dir / name, /*verify_data_crc=*/true);
    REQUIRE_MESSAGE(r.ok(), name);
    REQUIRE(r->tensors().size() == f.srcs.size());
    for (const auto& s : f.srcs) {
      const auto* t = r->find_tensor(s.name);
      REQUIRE(t != nullptr);
      const auto src = f.bytes(s);
      CHECK(std::equal(t->data.begin(), t->data.end(), src.begin(), src.end()));
    }
  }
}

TEST_CASE("apr passthrough: a source range past the file's end fails and leaves nothing") {
  Fixture f;
  int fills = 0;
  const std::uint64_t past = f.map->size();  // every tensor's range now starts beyond the end
  CHECK_THROWS_AS(write_with_source(f, f.dir / "bad.apr", fills, past), Error);
  CHECK_FALSE(fs::exists(f.dir / "bad.apr"));
  std::size_t leftovers = 0;
  for (const auto& e : fs::directory_iterator(f.dir.path)) leftovers += e.path().filename().string().find(".tmp-") != std::string::npos;
  CHECK(leftovers == 0);
}

// The GGUF and SafeTensors writers take the same passthrough source (formats::write_source_range):
// byte-identical to their span-written files, with the kernel copy and with the write() fallback,
// and the producer is never called.
namespace {
template <class W>
std::string write_gguf_or_st(const Fixture& f, const fs::path& out, bool with_source, int& fills) {
  W w;
  for (const auto& s : f.srcs) {
    if (!with_source) {
      w.add_tensor(s.name, s.type, s.shape, f.bytes(s));
      continue;
    }
    const auto src = f.bytes(s);
    formats::ChunkedFill cf{[src, &fills](std::uint64_t at, std::span<std::byte> dst) {
                              ++fills;
                              std::memcpy(dst.data(), src.data() + at, dst.size());
                            },
                            0, f.map.get(), s.offset};
    w.add_tensor(s.name, s.type, s.shape, typename W::Producer(cf));
  }
  w.write(out);
  return test::read_bytes(out);
}
struct GgufW : gguf::Writer {
  using Producer = gguf::TensorProducer;
};
struct StW : safetensors::Writer {
  using Producer = safetensors::TensorProducer;
};
}  // namespace

TEST_CASE("gguf and safetensors passthrough: kernel copy and write() fallback give the span writer's bytes") {
  Fixture f;
  int fills = 0;
  const std::string g = write_gguf_or_st<GgufW>(f, f.dir / "span.gguf", false, fills);
  const std::string s = write_gguf_or_st<StW>(f, f.dir / "span.safetensors", false, fills);
  REQUIRE(g.size() > (6u << 20));
  REQUIRE(s.size() > (6u << 20));
  CHECK(write_gguf_or_st<GgufW>(f, f.dir / "copy.gguf", true, fills) == g);
  CHECK(write_gguf_or_st<StW>(f, f.dir / "copy.safetensors", true, fills) == s);
  {
    EnvGuard off("1");
    CHECK(write_gguf_or_st<GgufW>(f, f.dir / "fallback.gguf", true, fills) == g);
    CHECK(write_gguf_or_st<StW>(f, f.dir / "fallback.safetensors", true, fills) == s);
  }
  CHECK(fills == 0);  // the source range was copied; the producer never ran
}
