// Planted faults: deliberately broken outputs that `diff` must report, one per fault class the
// reference system shipped (transposed non-square weight, dims not reversed, dropped bias, Q/K
// permutation applied twice, merges dropped, rope theta changed, a dtype byte changed).
#include <cstring>

#include "core/hash.hpp"
#include "formats/gguf.hpp"
#include "helpers.hpp"
#include "model/qk_permute.hpp"

using namespace ct;
using apr::GgmlType;
namespace gguf = apr::gguf;

namespace {

using Edit = std::function<bool(std::string& name, GgmlType& type, std::vector<std::int64_t>& shape, std::vector<std::byte>& bytes)>;
using KvEdit = std::function<bool(gguf::KV& kv)>;

// Copies a GGUF, letting `edit` change or drop (return false) tensors and `kv_edit` KVs.
void rewrite_gguf(const fs::path& src, const fs::path& dst, const Edit& edit, const KvEdit& kv_edit = {}) {
  auto r = gguf::Reader::open(src).value();
  gguf::Writer w;
  for (auto kv : r.kvs())
    if (!kv_edit || kv_edit(kv)) w.add_kv(kv.key, kv.value);
  std::vector<std::shared_ptr<std::vector<std::byte>>> keep;
  for (const auto& t : r.tensors()) {
    std::string name = t.name;
    GgmlType type = t.type;
    std::vector<std::int64_t> shape = t.shape;
    auto bytes = std::make_shared<std::vector<std::byte>>(t.data.begin(), t.data.end());
    if (edit && !edit(name, type, shape, *bytes)) continue;
    keep.push_back(bytes);
    w.add_tensor(name, type, shape, std::span<const std::byte>(*bytes));
  }
  w.write(dst);
}

apr::convert::DiffReport lenient_diff(const fs::path& a, const fs::path& b) {
  apr::convert::LoadOptions lo;
  lo.validate = false;
  auto ma = apr::convert::load_model(a.string(), lo);
  REQUIRE_MESSAGE(ma.ok(), (ma.ok() ? "" : ma.error().what()));
  auto mb = apr::convert::load_model(b.string(), lo);
  REQUIRE_MESSAGE(mb.ok(), (mb.ok() ? "" : mb.error().what()));
  auto d = apr::convert::diff_models(*ma, *mb, {});
  REQUIRE(d.ok());
  return *d;
}

const apr::convert::TensorDiff* find(const apr::convert::DiffReport& d, const std::string& n) {
  for (const auto& t : d.tensors)
    if (t.name == n) return &t;
  return nullptr;
}

std::string load_error(const fs::path& p) {
  auto m = apr::convert::load_model(p.string());
  return m.ok() ? std::string() : std::string(m.error().what());
}

struct Base {
  fs::path dir, S, G;
};
Base base(const std::string& arch, GgmlType dtype = GgmlType::F32) {
  Base b;
  b.dir = scratch("faults-" + arch + std::string(apr::dtype_name(dtype)));
  b.S = fixture(b.dir / "S", arch, false, dtype);
  b.G = b.dir / "good.gguf";
  convert(b.S, b.G);
  auto d = diff(b.S, b.G);
  REQUIRE(d.equal);  // the unbroken conversion is clean: every fault below is the fault's doing
  return b;
}

}  // namespace

TEST_CASE("planted fault: a non-square weight transposed in place is reported") {
  auto b = base("qwen2");
  fs::path bad = b.dir / "transposed.gguf";
  rewrite_gguf(b.G, bad, [](std::string& name, GgmlType& type, std::vector<std::int64_t>& shape, std::vector<std::byte>& bytes) {
    if (name == "blk.0.ffn_gate.weight") {  // [512, 256] row-major: write its transpose, keep the header
      REQUIRE(type == GgmlType::F32);
      const auto R = shape[0], C = shape[1];
      std::vector<std::byte> t(bytes.size());
      for (std::int64_t r = 0; r < R; ++r)
        for (std::int64_t c = 0; c < C; ++c) std::memcpy(&t[static_cast<std::size_t>((c * R + r) * 4)], &bytes[static_cast<std::size_t>((r * C + c) * 4)], 4);
      bytes = t;
    }
    return true;
  });
  auto d = lenient_diff(b.G, bad);
  CHECK_FALSE(d.equal);
  const auto* t = find(d, "model.layers.0.mlp.gate_proj.weight");
  REQUIRE(t);
  CHECK(t->status == "differs");
  CHECK(t->max_abs > 0);
  CHECK(t->cosine < 0.5);
  CHECK(find(d, "model.layers.0.mlp.up_proj.weight")->status == "identical_bytes");
}

TEST_CASE("planted fault: dims not reversed is reported (and refused by a strict load)") {
  auto b = base("qwen2");
  fs::path bad = b.dir / "dims.gguf";
  rewrite_gguf(b.G, bad, [](std::string& name, GgmlType&, std::vector<std::int64_t>& shape, std::vector<std::byte>&) {
    if (name == "blk.1.ffn_down.weight") std::reverse(shape.begin(), shape.end());  // ne written in HF order
    return true;
  });
  auto d = lenient_diff(b.G, bad);
  CHECK_FALSE(d.equal);
  const auto* t = find(d, "model.layers.1.mlp.down_proj.weight");
  REQUIRE(t);
  CHECK(t->status == "differs");
  CHECK(t->shape_a == std::vector<std::int64_t>{256, 512});
  CHECK(t->shape_b == std::vector<std::int64_t>{512, 256});
  auto err = load_error(bad);
  CHECK(err.find("model.layers.1.mlp.down_proj.weight") != std::string::npos);
  CHECK(err.find("expected [256, 512]") != std::string::npos);
  CHECK(err.find("found [512, 256]") != std::string::npos);
}

TEST_CASE("planted fault: a dropped qwen2 bias is reported (and refused by a strict load)") {
  auto b = base("qwen2");
  fs::path bad = b.dir / "nobias.gguf";
  rewrite_gguf(b.G, bad, [](std::string& name, GgmlType&, std::vector<std::int64_t>&, std::vector<std::byte>&) {
    return name != "blk.0.attn_k.bias";
  });
  auto d = lenient_diff(b.G, bad);
  CHECK_FALSE(d.equal);
  const auto* t = find(d, "model.layers.0.self_attn.k_proj.bias");
  REQUIRE(t);
  CHECK(t->status == "missing_b");
  auto err = load_error(bad);
  CHECK(err.find("model.layers.0.self_attn.k_proj.bias") != std::string::npos);
  CHECK(err.find("missing required tensor") != std::string::npos);
}

TEST_CASE("planted fault: llama Q/K permutation applied twice is reported") {
  auto b = base("llama");
  fs::path bad = b.dir / "twice.gguf";
  rewrite_gguf(b.G, bad, [](std::string& name, GgmlType& type, std::vector<std::int64_t>& shape, std::vector<std::byte>& bytes) {
    const bool q = name == "blk.0.attn_q.weight", k = name == "blk.0.attn_k.weight";
    if (q || k) {
      auto map = apr::model::gguf_rows_from_hf(shape[0], q ? 4 : 2);
      const std::size_t rb = static_cast<std::size_t>(shape[1]) * 4;
      std::vector<std::byte> t(bytes.size());
      for (std::size_t i = 0; i < map.size(); ++i) std::memcpy(&t[i * rb], &bytes[static_cast<std::size_t>(map[i]) * rb], rb);
      bytes = t;
    }
    return true;
  });
  auto d = diff(b.G, bad);  // a strict load accepts it: shapes are right, only the row order is wrong
  CHECK_FALSE(d.equal);
  CHECK(find(d, "model.layers.0.self_attn.q_proj.weight")->status == "differs");
  CHECK(find(d, "model.layers.0.self_attn.k_proj.weight")->status == "differs");
  CHECK(find(d, "model.layers.0.self_attn.v_proj.weight")->status == "identical_bytes");
  CHECK(find(d, "model.layers.1.self_attn.q_proj.weight")->status == "identical_bytes");
}

TEST_CASE("planted fault: merges dropped and rope theta changed are reported") {
  auto b = base("qwen2");
  fs::path nomerges = b.dir / "nomerges.gguf", theta = b.dir / "theta.gguf";
  rewrite_gguf(b.G, nomerges, {}, [](gguf::KV& kv) { return kv.key != "tokenizer.ggml.merges"; });
  rewrite_gguf(b.G, theta, {}, [](gguf::KV& kv) {
    if (kv.key == "qwen2.rope.freq_base") kv.value = gguf::Value::f32(10000.0f);
    return true;
  });
  {
    // A BPE GGUF without merges may be refused by the tokenizer reader; either way it is reported.
    apr::convert::LoadOptions lo;
    lo.validate = false;
    auto m = apr::convert::load_model(nomerges.string(), lo);
    if (m.ok()) {
      auto d = apr::convert::diff_models(load(b.G), *m, {}).value();
      CHECK_FALSE(d.equal);
      REQUIRE_FALSE(d.tokenizer_diffs.empty());
      CHECK(d.tokenizer_diffs.front().find("merges") != std::string::npos);
    } else {
      CHECK(std::string(m.error().what()).find("merges") != std::string::npos);
    }
  }
  auto d = diff(b.G, theta);
  CHECK_FALSE(d.equal);
  REQUIRE(d.config_diffs.size() == 1);
  CHECK(d.config_diffs[0].find("rope_theta: 1000000 vs 10000") != std::string::npos);
  for (const auto& t : d.tensors) CHECK(t.status == "identical_bytes");
}

TEST_CASE("planted fault: an APR dtype byte changed (BF16 -> F16) is reported") {
  auto b = base("qwen2", GgmlType::BF16);
  fs::path A = b.dir / "good.apr", bad = b.dir / "dtype.apr";
  convert(b.S, A);
  std::string bytes = read_bytes(A);
  // Find the index entry of the tensor and flip its dtype byte 30 (BF16) to 1 (F16): same size.
  const std::string name = "model.layers.0.mlp.up_proj.weight";
  std::uint64_t index_off = 0;
  std::memcpy(&index_off, bytes.data() + 24, 8);
  const std::string key = std::string(1, static_cast<char>(name.size())) + std::string(1, '\0') + name;
  auto pos = bytes.find(key, index_off);
  REQUIRE(pos != std::string::npos);
  const std::size_t dtype_pos = pos + key.size();
  REQUIRE(static_cast<unsigned char>(bytes[dtype_pos]) == 30);
  bytes[dtype_pos] = 1;
  // Keep the file otherwise valid: recompute the footer CRC over everything before it.
  const std::uint32_t crc = apr::crc32({reinterpret_cast<const std::byte*>(bytes.data()), bytes.size() - 4});
  std::memcpy(bytes.data() + bytes.size() - 4, &crc, 4);
  std::ofstream(bad, std::ios::binary) << bytes;
  auto d = diff(A, bad);
  CHECK_FALSE(d.equal);
  const auto* t = find(d, name);
  REQUIRE(t);
  CHECK(t->status == "differs");
  CHECK(t->dtype_a == "BF16");
  CHECK(t->dtype_b == "F16");
  std::size_t other_differs = 0;
  for (const auto& x : d.tensors) other_differs += (x.name != name && x.status != "identical_bytes");
  CHECK(other_differs == 0);
}
