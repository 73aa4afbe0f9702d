// apr-qa diff: tensor-level comparison of two models across formats (see src/convert/diff.hpp).
#include <cstdio>

#include "command.hpp"
#include "convert/diff.hpp"
#include "convert/load.hpp"

namespace {

const bool registered = apr::cli::register_command({
    "diff",
    "Compare two models tensor by tensor after name/layout mapping, plus config and tokenizer (exit 0 equal, 1 different, 2 error)",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto a = std::make_shared<std::string>();
      auto b = std::make_shared<std::string>();
      auto json = std::make_shared<bool>(false);
      auto o = std::make_shared<apr::convert::DiffOptions>();
      auto tok = std::make_shared<std::string>();
      sub.add_option("A", *a, "First model (file, HF snapshot directory or HF repo id)")->required();
      sub.add_option("B", *b, "Second model")->required();
      sub.add_flag("--json", *json, "Print the full report as JSON");
      sub.add_option("--atol", o->atol, "Absolute tolerance: |a-b| <= atol + rtol*|b| counts as within tolerance")->capture_default_str();
      sub.add_option("--rtol", o->rtol, "Relative tolerance (see --atol)")->capture_default_str();
      sub.add_option("--tokenizer", *tok, "Tokenizer for a side that has none (tokenizer.json, its directory, or a GGUF)");
      return [=]() {
        apr::convert::LoadOptions lo;
        lo.validate = false;  // report broken tensors instead of refusing the file
        if (!tok->empty()) lo.tokenizer = *tok;
        auto ma = apr::convert::load_model(*a, lo);
        if (!ma.ok()) throw ma.error();
        auto mb = apr::convert::load_model(*b, lo);
        if (!mb.ok()) throw mb.error();
        auto d = apr::convert::diff_models(*ma, *mb, *o);
        if (!d.ok()) throw d.error();
        if (*json) {
          std::printf("%s\n", d->to_json().dump(2).c_str());
        } else {
          std::size_t counts[6] = {0, 0, 0, 0, 0, 0};
          const char* names[6] = {"identical_bytes", "identical_values", "within_tolerance", "differs", "missing_a", "missing_b"};
          for (const auto& t : d->tensors) {
            for (int i = 0; i < 6; ++i)
              if (t.status == names[i]) counts[i]++;
            if (t.status == "differs" || t.status.rfind("missing", 0) == 0 || t.status == "within_tolerance")
              std::printf("%-16s %s  %s vs %s  max|d|=%g rmse=%g cos=%.9f\n", t.status.c_str(), t.name.c_str(), t.dtype_a.c_str(),
                          t.dtype_b.c_str(), t.max_abs, t.rmse, t.cosine);
          }
          for (const auto& s : d->config_diffs) std::printf("config: %s\n", s.c_str());
          for (const auto& s : d->tokenizer_diffs) std::printf("tokenizer: %s\n", s.c_str());
          for (const auto& s : d->metadata_diffs) std::printf("metadata: %s\n", s.c_str());
          std::printf("%zu tensors: %zu identical bytes, %zu identical values, %zu within tolerance, %zu differ, %zu missing\n",
                      d->tensors.size(), counts[0], counts[1], counts[2], counts[3], counts[4] + counts[5]);
          std::printf("max|diff| = %g -> %s\n", d->max_abs_diff, d->equal ? "EQUAL" : "DIFFERENT");
        }
        return d->equal ? apr::cli::kExitOk : apr::cli::kExitFailed;
      };
    },
});

}  // namespace
