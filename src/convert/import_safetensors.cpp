// apr-qa convert: SafeTensors (+ config.json, tokenizer files) -> canonical model. Tensor names
// are HF names already; __metadata__ keys "apr_qa.dtype.<tensor>" / "apr_qa.sha256.<tensor>"
// record a GGML type the values were dequantized from (see canonical_model.hpp); "format" is
// format-managed; every other key is carried as extra metadata.
#include <map>

#include <nlohmann/json.hpp>

#include "convert/gguf_kv_record.hpp"
#include "convert/hf_config.hpp"
#include "core/json_parse.hpp"
#include "convert/import_internal.hpp"
#include "formats/safetensors.hpp"
#include "tokenizer/hf_json.hpp"

namespace apr::convert::detail {

namespace {
// A regular file only (never a FIFO), nesting bounded (core/json_parse.hpp).
nlohmann::json read_json(const std::filesystem::path& p) { return read_json_file(p); }
}  // namespace

model::CanonicalModel import_safetensors(const ArtifactSet& a, const LoadOptions& o) {
  const std::string where = a.model_file.string();
  auto reader = (a.model_file.filename().string().size() > 11 &&
                 a.model_file.filename().string().ends_with(".index.json"))
                    ? safetensors::Reader::open_index(a.model_file).value()
                    : safetensors::Reader::open(a.model_file).value();
  model::CanonicalModel m;
  m.provenance = {"safetensors", a.model_file, ""};
  if (!a.config_json)
    throw validation_error("missing config.json beside the SafeTensors file (needed for the architecture and dimensions)")
        .at_path(where);
  m.config = config_from_hf(read_json(*a.config_json), a.config_json->string());

  // The reader's maps die with it: map the shards ourselves and point the views into our maps
  // (data starts at 8 + header length; begin/end are relative to it).
  std::map<std::string, std::pair<std::shared_ptr<const MappedFile>, std::uint64_t>> maps;
  for (const auto& f : reader.files()) {
    auto mf = MappedFile::open(f).value();
    auto head = mf->slice(0, 8);
    std::uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | static_cast<std::uint8_t>(head[static_cast<std::size_t>(i)]);
    maps[f.string()] = {mf, 8 + n};
    m.keep_alive.push_back(mf);
  }

  const auto& md = reader.metadata();
  for (const auto& ti : reader.tensors()) {
    model::CanonicalTensor t;
    t.name = ti.name;
    auto mit = maps.find(ti.file.string());
    if (mit == maps.end()) throw internal_error("shard not mapped").at_path(ti.file.string());
    t.source = ti.view();
    t.source.data = mit->second.first->slice(mit->second.second + ti.begin, ti.end - ti.begin);
    if (auto d = md.find("apr_qa.dtype." + ti.name); d != md.end()) {
      auto h = md.find("apr_qa.sha256." + ti.name);
      apply_dtype_record(t, d->second, h == md.end() ? std::string() : h->second, where);
    }
    m.tensors.push_back(std::move(t));
  }
  for (const auto& [k, v] : md)
    if (k != "format" && k.rfind("apr_qa.", 0) != 0) m.extra[k] = v;
  if (auto rec = md.find(kGgufKvRecordKey); rec != md.end()) m.gguf_kv = gguf_kv_from_json_text(rec->second, where);

  if (a.tokenizer_json) {
    m.tokenizer = tok::load_hf_tokenizer(*a.tokenizer_json, a.tokenizer_config_json).value();
    strip_vocab_padding(m.tokenizer);
  } else {
    m.tokenizer = tokenizer_or_override(o, where, "SafeTensors without tokenizer.json beside it");
  }
  resolve_tied_copy(m, "lm_head.weight");
  finish_model(m, o);
  return m;
}

}  // namespace apr::convert::detail
