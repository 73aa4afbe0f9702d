// apr-qa convert: canonical model -> SafeTensors in HF layout (model.safetensors, config.json,
// tokenizer.json, tokenizer_config.json, generation_config.json). __metadata__ holds
// format=pt (transformers requires it), the extra metadata and the apr_qa.dtype/sha256 records
// of dequantized tensors. If a sidecar cannot be written, the model file and any directory this
// call created are removed again.
#include "convert/export_internal.hpp"
#include "convert/gguf_kv_record.hpp"
#include "convert/hf_config.hpp"
#include "core/atomic_file.hpp"
#include "formats/safetensors.hpp"
#include "tokenizer/hf_json.hpp"

namespace apr::convert::detail {

namespace fs = std::filesystem;

fs::path export_safetensors(const model::CanonicalModel& m, const Plan& p, const fs::path& dst) {
  const bool file_target = dst.extension() == ".safetensors";
  const fs::path dir = file_target ? (dst.has_parent_path() ? dst.parent_path() : fs::path(".")) : dst;
  const fs::path model_file = file_target ? dst : dst / "model.safetensors";
  // Everything that can fail before writing is computed first.
  auto hf_tok = tok::to_hf_tokenizer(m.tokenizer);
  const auto config = config_to_hf(m.config, m.tokenizer, dominant_type(p));
  const auto gen = generation_config_to_hf(m.tokenizer);

  std::error_code ec;
  bool created_dir = false;
  if (!fs::exists(dir, ec)) {
    fs::create_directories(dir, ec);
    if (ec) throw io_error("cannot create directory: " + ec.message()).at_path(dir.string()).with_errno(ec.value());
    created_dir = true;
  } else if (!fs::is_directory(dir, ec)) {
    throw io_error("SafeTensors target must be a .safetensors file or a directory, found a non-directory").at_path(dir.string());
  }
  try {
    safetensors::Writer w;
    std::map<std::string, std::string> md{{"format", "pt"}};
    for (const auto& [k, v] : m.extra) md[k] = v;
    if (p.file_type) md["general.file_type"] = std::to_string(*p.file_type);
    for (const auto& [name, rec] : p.records) {
      md["apr_qa.dtype." + name] = std::string(dtype_name(rec.first));
      if (!rec.second.empty()) md["apr_qa.sha256." + name] = rec.second;
    }
    if (m.gguf_kv) md[kGgufKvRecordKey] = gguf_kv_to_json(m.gguf_kv->entries).dump();
    w.set_metadata(std::move(md));
    for (const auto& t : p.tensors) {
      if (t.produce)
        w.add_tensor(t.name, t.type, t.shape, t.produce);
      else
        w.add_tensor(t.name, t.type, t.shape, t.direct);
    }
    w.write(model_file, p.durability);
    try {
      write_file_atomic(dir / "config.json", config.dump(2) + "\n");
      write_file_atomic(dir / "generation_config.json", gen.dump(2) + "\n");
      write_file_atomic(dir / "tokenizer.json", hf_tok.tokenizer_json.dump(-1, ' ', false) + "\n");
      write_file_atomic(dir / "tokenizer_config.json", hf_tok.tokenizer_config_json.dump(2) + "\n");
    } catch (...) {
      fs::remove(model_file, ec);
      throw;
    }
  } catch (...) {
    if (created_dir) fs::remove_all(dir, ec);
    throw;
  }
  return model_file;
}

}  // namespace apr::convert::detail
