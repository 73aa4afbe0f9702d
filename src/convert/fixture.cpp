// apr-qa convert: deterministic fixture checkpoints (see fixture.hpp).
#include "convert/fixture.hpp"

#include <cstring>
#include <fstream>
#include <sstream>

#include "convert/fixture_tokenizer.hpp"
#include "convert/hf_config.hpp"
#include "core/atomic_file.hpp"
#include "formats/safetensors.hpp"
#include "model/arch_traits.hpp"
#include "tensor/fp16.hpp"

namespace apr::convert {

namespace fs = std::filesystem;

namespace {

// Per-architecture fixture data: table rows, not code paths.
struct FixtureFamily {
  const char* arch;
  const char* tokenizer_style;  // passed to make_tiny_tokenizer
  double tiny_rope_theta, tiny_rms_eps;
};
const FixtureFamily& family(const std::string& arch) {
  static const FixtureFamily table[] = {{"qwen2", "qwen2", 1000000.0, 1e-6}, {"llama", "smollm", 10000.0, 1e-5}};
  for (const auto& f : table)
    if (arch == f.arch) return f;
  throw validation_error("fixture --arch '" + arch + "': expected qwen2 or llama").at_key("arch");
}

std::uint64_t splitmix(std::uint64_t& s) {
  std::uint64_t z = (s += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}
std::uint64_t fnv1a(const std::string& s) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}
// Uniform in [0, 1) with 24 bits: exact in float.
float uniform(std::uint64_t& s) { return static_cast<float>(splitmix(s) >> 40) * (1.0f / 16777216.0f); }

// Irwin-Hall(4) scaled to unit variance, times `scale`, plus `offset`. Plain float ops only.
void fill_values(const std::string& name, std::uint64_t seed, float scale, float offset, float* out, std::size_t n) {
  std::uint64_t s = seed * 0x2545F4914F6CDD1Dull ^ fnv1a(name);
  const float k = 1.7320508f * scale;
  for (std::size_t i = 0; i < n; ++i) {
    const float a = uniform(s) + uniform(s), b = uniform(s) + uniform(s);
    out[i] = ((a + b) - 2.0f) * k + offset;
  }
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw io_error("cannot read").at_path(p.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void copy_file_atomic(const fs::path& from, const fs::path& to) { write_file_atomic(to, read_text(from)); }

}  // namespace

fs::path default_shared_dir() { return fs::path(APR_QA_DEFAULT_SHARED_DIR); }

Result<model::ModelConfig> fixture_config(const FixtureOptions& o) {
  return capture([&]() {
    const FixtureFamily& fam = family(o.arch);
    model::ModelConfig c;
    c.arch = model::arch_by_name(fam.arch).arch;
    if (o.preset == "tiny") {
      c.hidden = 256;
      c.ffn = 512;
      c.layers = 2;
      c.heads = 4;
      c.kv_heads = 2;
      c.head_dim = 64;
      c.context = 2048;
      c.rope_theta = fam.tiny_rope_theta;
      c.rms_eps = fam.tiny_rms_eps;
      c.tied_embeddings = o.tied.value_or(true);
      c.vocab = 320;  // 299 tokens, rows padded to a multiple of 32 (like real checkpoints)
    } else if (o.preset == "qwen2.5-0.5b") {
      if (c.arch != model::Arch::qwen2)
        throw validation_error("fixture preset qwen2.5-0.5b needs --arch qwen2, found " + o.arch).at_key("arch");
      c.hidden = 896;
      c.ffn = 4864;
      c.layers = 24;
      c.heads = 14;
      c.kv_heads = 2;
      c.head_dim = 64;
      c.context = 32768;
      c.rope_theta = 1000000.0;
      c.rms_eps = 1e-6;
      c.tied_embeddings = o.tied.value_or(true);
      c.vocab = 151936;
    } else {
      throw validation_error("fixture --preset '" + o.preset + "': expected tiny or qwen2.5-0.5b").at_key("preset");
    }
    if (o.layers) {
      if (*o.layers <= 0 || *o.layers > 1000) throw validation_error("fixture --layers: expected 1..1000, found " + std::to_string(*o.layers)).at_key("layers");
      c.layers = *o.layers;
    }
    c.attention_bias = model::arch_traits(c.arch).attention_bias_required;
    return c;
  });
}

Result<fs::path> write_fixture(const FixtureOptions& o, const fs::path& out_dir) {
  return capture([&]() {
    const model::ModelConfig c = fixture_config(o).value();
    const auto& traits = model::arch_traits(c.arch);
    const GgmlType dtype = o.dtype.value_or(o.preset == "tiny" ? GgmlType::F32 : GgmlType::BF16);
    if (dtype != GgmlType::F32 && dtype != GgmlType::BF16 && dtype != GgmlType::F16)
      throw validation_error("fixture --dtype: expected f32, bf16 or f16, found " + std::string(dtype_name(dtype))).at_key("dtype");
    const fs::path shared = o.shared_dir.value_or(default_shared_dir());

    // Tokenizer files (prepared before anything is written).
    nlohmann::json tok_json, tok_cfg;
    model::TokenizerData ids;
    if (o.preset == "tiny") {
      const fs::path tpl = shared / "chat-templates" / traits.default_chat_template_file;
      std::error_code ec;
      if (shared.empty() || !fs::is_regular_file(tpl, ec))
        throw io_error("chat template not found (pass the shared directory)").at_path(tpl.string());
      auto tt = detail::make_tiny_tokenizer(family(o.arch).tokenizer_style, read_text(tpl));
      tok_json = std::move(tt.tokenizer_json);
      tok_cfg = std::move(tt.tokenizer_config_json);
      ids.bos_id = tt.bos_id;
      ids.eos_id = tt.eos_id;
    } else {
      const fs::path dir = o.tokenizer_dir.value_or(shared / "tokenizers" / "qwen2.5");
      std::error_code ec;
      if (!fs::is_regular_file(dir / "tokenizer.json", ec) || !fs::is_regular_file(dir / "tokenizer_config.json", ec))
        throw io_error("the qwen2.5-0.5b preset needs the real Qwen2.5 tokenizer: expected tokenizer.json and tokenizer_config.json, pass --tokenizer DIR")
            .at_path(dir.string());
      ids.bos_id = 151643;
      ids.eos_id = 151645;
    }

    std::error_code ec;
    fs::create_directories(out_dir, ec);
    if (ec) throw io_error("cannot create directory: " + ec.message()).at_path(out_dir.string()).with_errno(ec.value());

    safetensors::Writer w;
    w.set_metadata({{"format", "pt"}});
    const std::uint64_t seed = o.seed;
    for (const auto& spec : model::tensor_manifest(c)) {
      const bool is_norm = spec.hf_name.find("norm") != std::string::npos;
      const float scale = 0.02f, offset = is_norm ? 1.0f : 0.0f;
      const std::string name = spec.hf_name;
      w.add_tensor(name, dtype, spec.shape, [name, seed, scale, offset, dtype](std::span<std::byte> dst) {
        const std::size_t n = dst.size() / (dtype == GgmlType::F32 ? 4 : 2);
        std::vector<float> v(n);
        fill_values(name, seed, scale, offset, v.data(), n);
        if (dtype == GgmlType::F32) {
          std::memcpy(dst.data(), v.data(), n * 4);
        } else {
          for (std::size_t i = 0; i < n; ++i) {
            const std::uint16_t h = dtype == GgmlType::F16 ? fp32_to_fp16(v[i]) : fp32_to_bf16(v[i]);
            std::memcpy(dst.data() + 2 * i, &h, 2);
          }
        }
      });
    }
    const fs::path model_file = out_dir / "model.safetensors";
    w.write(model_file);
    write_file_atomic(out_dir / "config.json", config_to_hf(c, ids, dtype).dump(2) + "\n");
    write_file_atomic(out_dir / "generation_config.json", generation_config_to_hf(ids).dump(2) + "\n");
    if (o.preset == "tiny") {
      write_file_atomic(out_dir / "tokenizer.json", tok_json.dump(-1, ' ', false) + "\n");
      write_file_atomic(out_dir / "tokenizer_config.json", tok_cfg.dump(2) + "\n");
    } else {
      const fs::path dir = o.tokenizer_dir.value_or(shared / "tokenizers" / "qwen2.5");
      copy_file_atomic(dir / "tokenizer.json", out_dir / "tokenizer.json");
      copy_file_atomic(dir / "tokenizer_config.json", out_dir / "tokenizer_config.json");
    }
    return model_file;
  });
}

}  // namespace apr::convert
