// apr-qa convert: lossless conversion between GGUF, SafeTensors and APR (see src/convert/convert.hpp).
#include <cstdio>

#include "command.hpp"
#include "convert/convert.hpp"
#include "tensor/dtype.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "convert",
    "Convert a model between GGUF, SafeTensors and APR (lossless unless --dtype/--quantize is given)",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto src = std::make_shared<std::string>();
      auto dst = std::make_shared<std::string>();
      auto to = std::make_shared<std::string>();
      auto dtype = std::make_shared<std::string>();
      auto quant = std::make_shared<std::string>();
      auto tok = std::make_shared<std::string>();
      auto verify = std::make_shared<bool>(false);
      auto force = std::make_shared<bool>(false);
      sub.add_option("SRC", *src, "Source: a .gguf/.apr/.safetensors file, an HF snapshot directory or an HF repo id in the HF cache")
          ->required();
      sub.add_option("DST", *dst,
                     "Target: a .gguf or .apr file, a .safetensors file (config.json and tokenizer files are written "
                     "beside it) or a directory (HF layout)")
          ->required();
      sub.add_option("--to", *to, "Target format (default: from DST's extension; a directory means safetensors)")
          ->check(CLI::IsMember({"gguf", "apr", "safetensors"}));
      sub.add_option("--dtype", *dtype, "Lossy on request: cast every tensor to f32, f16 or bf16 (quantized ones are dequantized first)")
          ->check(CLI::IsMember({"f32", "f16", "bf16"}));
      std::string qhelp = "Lossy on request: quantize the weight matrices with llama.cpp's tensor-type rules, one of:";
      for (const auto& n : apr::convert::quantize_scheme_names()) qhelp += " " + n;
      sub.add_option("--quantize", *quant, qhelp)->check(CLI::IsMember(apr::convert::quantize_scheme_names()));
      sub.add_option("--tokenizer", *tok,
                     "Tokenizer to embed when the source has none: tokenizer.json, its directory, or a GGUF/APR file");
      sub.add_flag("--verify", *verify, "After writing, diff the output against the source (a lossless conversion must show max|diff| = 0)");
      sub.add_flag("--force", *force,
                   "Overwrite existing sidecar files (config.json, generation_config.json, tokenizer.json, "
                   "tokenizer_config.json) beside a SafeTensors target; without it convert refuses (exit 2)");
      return [=]() {
        apr::convert::ConvertOptions o;
        if (!to->empty()) o.to = apr::format_from_name(*to);
        if (!dtype->empty()) o.dtype = apr::dtype_from_name(*dtype);
        if (!quant->empty()) o.quantize = *quant;
        if (!tok->empty()) o.tokenizer = *tok;
        o.verify = *verify;
        o.keep_existing_sidecars = !*force;
        auto r = apr::convert::convert_model(*src, *dst, o);
        if (!r.ok()) throw r.error();
        std::printf("wrote %s (%s, %zu tensors, %llu bytes)\n", r->output.string().c_str(), apr::to_string(r->format),
                    r->tensors, static_cast<unsigned long long>(r->bytes));
        for (const auto& l : r->lossy_tensors) std::printf("lossy: %s\n", l.c_str());
        for (const auto& n : r->notes) std::printf("note: %s\n", n.c_str());
        if (o.verify) std::printf("verify: max|diff| = %g%s\n", r->verify_max_abs_diff, r->lossy_tensors.empty() ? " (lossless: equal)" : " (lossy conversion)");
        return apr::cli::kExitOk;
      };
    },
});

}  // namespace
