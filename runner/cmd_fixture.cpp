// apr-qa fixture: write a deterministic synthetic HF snapshot directory (see src/convert/fixture.hpp).
#include <cstdio>

#include "command.hpp"
#include "core/output_dir.hpp"
#include "convert/fixture.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "fixture",
    "Write a deterministic synthetic HF checkpoint directory (config.json, tokenizer files, model.safetensors)",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto o = std::make_shared<apr::convert::FixtureOptions>();
      auto out = std::make_shared<std::string>();
      auto dtype = std::make_shared<std::string>();
      auto layers = std::make_shared<std::int64_t>(0);
      auto tok = std::make_shared<std::string>();
      auto shared = std::make_shared<std::string>();
      auto untied = std::make_shared<bool>(false);
      sub.add_option("--arch", o->arch, "Architecture: qwen2 or llama")->check(CLI::IsMember({"qwen2", "llama"}))->capture_default_str();
      sub.add_option("--preset", o->preset,
                     "tiny: hidden 256, ffn 512, 2 layers, 4/2 heads, synthetic 299-token BPE tokenizer; "
                     "qwen2.5-0.5b: the real Qwen2.5-0.5B dimensions (896/24 layers/14:2 heads/4864/151936, tied) "
                     "with the real Qwen2.5 tokenizer")
          ->check(CLI::IsMember({"tiny", "qwen2.5-0.5b"}))
          ->capture_default_str();
      sub.add_option("--seed", o->seed, "Seed of the weights: the same seed gives byte-identical files")->capture_default_str();
      sub.add_option("--dtype", *dtype, "Weight dtype: f32 (default for tiny), bf16 (default for qwen2.5-0.5b) or f16")
          ->check(CLI::IsMember({"f32", "bf16", "f16"}));
      sub.add_option("--layers", *layers, "Override the preset's number of layers (e.g. fewer for fast CI)");
      sub.add_flag("--untied", *untied, "Give the model its own lm_head.weight (default: tied embeddings)");
      sub.add_option("--tokenizer", *tok,
                     "qwen2.5-0.5b: directory holding the real tokenizer.json and tokenizer_config.json "
                     "(default: <shared>/tokenizers/qwen2.5)");
      sub.add_option("--shared", *shared, "The shared reference directory (chat templates, tokenizers); default: the build's ../shared");
      sub.add_option("-o,--output", *out, "Output directory (created if needed)")->required();
      return [=]() {
        if (!dtype->empty())
          o->dtype = *dtype == "bf16" ? apr::GgmlType::BF16 : *dtype == "f16" ? apr::GgmlType::F16 : apr::GgmlType::F32;
        if (*layers > 0) o->layers = *layers;
        if (*untied) o->tied = false;
        if (!tok->empty()) o->tokenizer_dir = *tok;
        if (!shared->empty()) o->shared_dir = *shared;
        apr::check_output_dir(*out, "-o/--output", false);  // a file: exit 2; not writable: exit 3
        auto r = apr::convert::write_fixture(*o, *out);
        if (!r.ok()) throw r.error();
        std::printf("%s\n", r->string().c_str());
        return apr::cli::kExitOk;
      };
    },
});

}  // namespace
