// apr-qa convert: lossless conversion between GGUF, SafeTensors and APR (see src/convert/convert.hpp).
#include <cstdio>
#include <map>
#include <regex>
#include <string>
#include <vector>

#include "command.hpp"
#include "convert/convert.hpp"
#include "core/phase_times.hpp"
#include "tensor/dtype.hpp"

namespace {

// One line for the per-tensor dtype lines: "dtype changes: 210 tensors Q4_1->F32 (exact), ...".
// A line "NAME: A->B (why)" counts under "A->B (why)", "NAME: kept F32: why" under "kept F32
// (why)", a lossy "NAME: A->B" under "A->B (lossy)"; anything else is printed as a note.
void print_dtype_summary(const std::vector<std::string>& lossy, const std::vector<std::string>& notes) {
  static const std::regex arrow(R"(^.+: ([A-Za-z0-9_]+->[A-Za-z0-9_]+)( \((.*)\))?$)");
  static const std::regex kept(R"(^.+: kept F32: (.*)$)");
  std::vector<std::pair<std::string, std::size_t>> groups;  // first-seen order
  auto add = [&](const std::string& key) {
    for (auto& g : groups)
      if (g.first == key) return void(++g.second);
    groups.emplace_back(key, 1);
  };
  std::vector<std::string> other;
  std::smatch m;
  for (const auto& l : lossy)
    if (std::regex_match(l, m, arrow)) add(m[1].str() + " (lossy)");
    else other.push_back("lossy: " + l);
  for (const auto& n : notes)
    if (std::regex_match(n, m, arrow)) add(m[1].str() + (m[3].matched ? " (" + m[3].str() + ")" : ""));
    else if (std::regex_match(n, m, kept)) add("kept F32 (" + m[1].str() + ")");
    else other.push_back("note: " + n);
  if (!groups.empty()) {
    std::string line = "dtype changes:";
    for (std::size_t i = 0; i < groups.size(); ++i)
      line += (i ? ", " : " ") + std::to_string(groups[i].second) + (groups[i].second == 1 ? " tensor " : " tensors ") +
              groups[i].first;
    std::printf("%s (per tensor: -v)\n", line.c_str());
  }
  for (const auto& o : other) std::printf("%s\n", o.c_str());
}

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
      auto verbose = std::make_shared<bool>(false);
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
      auto threads = std::make_shared<int>(0);
      sub.add_option("--threads", *threads,
                     "Threads that re-encode rows (quantize, dequantize, cast); 0 = all hardware threads (default). "
                     "The output bytes do not depend on it")
          ->check(CLI::Range(0, 1024));
      sub.add_flag("--verify", *verify, "After writing, diff the output against the source (a lossless conversion must show max|diff| = 0)");
      sub.add_flag("-v,--verbose", *verbose, "One line per tensor whose dtype changed (default: one summary line), the estimated vs written size, and where the time went (phases)");
      sub.add_flag("--force", *force,
                   "Overwrite existing sidecar files (config.json, generation_config.json, tokenizer.json, "
                   "tokenizer_config.json) beside a SafeTensors target; without it convert refuses (exit 2)");
      return [=]() {
        apr::convert::ConvertOptions o;
        o.threads = *threads;
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
        if (*verbose) {
          std::printf("size: estimated %llu bytes before writing (checked against the folder's free space), wrote %llu\n",
                      static_cast<unsigned long long>(r->estimated_bytes), static_cast<unsigned long long>(r->written_bytes));
          for (const auto& l : r->lossy_tensors) std::printf("lossy: %s\n", l.c_str());
          for (const auto& n : r->notes) std::printf("note: %s\n", n.c_str());
          // Where the time went (wall seconds by phase; "load.tokenizer" is part of "load").
          std::string line = "phases (wall s):";
          for (const auto& [name, s] : apr::phase_snapshot()) line += " " + name + " " + std::to_string(s).substr(0, 5);
          std::printf("%s\n", line.c_str());
        } else {
          print_dtype_summary(r->lossy_tensors, r->notes);
        }
        if (o.verify) std::printf("verify: max|diff| = %g%s\n", r->verify_max_abs_diff, r->lossy_tensors.empty() ? " (lossless: equal)" : " (lossy conversion)");
        return apr::cli::kExitOk;
      };
    },
});

}  // namespace
