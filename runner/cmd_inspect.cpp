// apr-qa inspect: describe a model file (GGUF, SafeTensors, APR) without loading its weights.
#include <cstdio>
#include <iostream>
#include <memory>

#include "command.hpp"
#include "formats/resolve.hpp"
#include "formats/summary.hpp"

namespace apr::cli {
namespace {

struct InspectArgs {
  std::string path;
  bool json = false;
  bool full = false;
  bool hashes = false;
  bool no_crc = false;
  std::size_t max_array = 16;
};

int run_inspect(const InspectArgs& a) {
  auto art = resolve_artifact(a.path);
  if (!art) throw art.error();
  SummaryOptions o;
  o.full = a.full;
  o.max_array = a.max_array;
  o.hashes = a.hashes;
  o.verify_crc = !a.no_crc;
  auto s = summarize_artifact(art.value(), o);
  if (!s) throw s.error();
  if (a.json) {
    std::cout << s.value().dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << render_summary_text(s.value());
  }
  return kExitOk;
}

const bool registered = register_command({
    "inspect",
    "Show a model's format, typed metadata, tensor table and totals (reads headers only)",
    [](CLI::App& sub) -> RunFn {
      auto a = std::make_shared<InspectArgs>();
      sub.footer(
          "PATH may be a model file (format detected by magic bytes, never by extension), a\n"
          "model.safetensors.index.json, a directory (an HF snapshot with model.safetensors or\n"
          "model.safetensors.index.json, or a folder holding exactly one model file), or an HF repo id\n"
          "org/name looked up in the HF cache (HF_HUB_CACHE, else HF_HOME/hub, else\n"
          "~/.cache/huggingface/hub).\n\n"
          "Output: format and version; metadata with types (GGUF value types, SafeTensors __metadata__\n"
          "strings, APR metadata JSON); one row per tensor (name, dtype, row-major shape, bytes,\n"
          "absolute offset in its file); totals (tensors, parameters, bytes, per dtype).\n\n"
          "Exit codes: 0 ok; 2 malformed or unsupported file (one-line error naming file, field,\n"
          "offset, expected vs found); 3 missing file or directory.");
      sub.add_option("PATH", a->path, "Model file, directory, index.json or HF repo id (org/name)")->required();
      sub.add_flag("--json", a->json, "Print JSON instead of text (arrays abbreviated unless --full)");
      sub.add_flag("--full", a->full, "Print every element of long metadata arrays (vocabularies, merges)");
      sub.add_option("--max-array", a->max_array, "Elements shown of longer arrays when not --full (default 16)")
          ->check(CLI::PositiveNumber);
      sub.add_flag("--hash", a->hashes, "Add the sha256 of every tensor's bytes (reads all tensor data)");
      sub.add_flag("--no-crc", a->no_crc,
                   "APR: skip the footer CRC32 over the whole file (header-only open; the header CRC is "
                   "always checked)");
      return [a] { return run_inspect(*a); };
    },
});

}  // namespace
}  // namespace apr::cli
