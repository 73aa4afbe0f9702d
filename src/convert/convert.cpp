// apr-qa convert: convert_model / export_model (see convert.hpp).
#include "convert/convert.hpp"

#include <optional>

#include "convert/diff.hpp"
#include "convert/export_internal.hpp"
#include "convert/fault_hooks.hpp"
#include "convert/load.hpp"
#include "convert/output_size.hpp"
#include "core/disk_space.hpp"
#include "core/phase_times.hpp"
#include "core/output_dir.hpp"
#include "model/model_check.hpp"

namespace apr::convert {

namespace fs = std::filesystem;

namespace {

ModelFormat target_format(const fs::path& dst, const ConvertOptions& o) {
  if (o.to) return *o.to;
  const auto ext = dst.extension().string();
  if (ext == ".gguf") return ModelFormat::gguf;
  if (ext == ".apr") return ModelFormat::apr;
  if (ext == ".safetensors") return ModelFormat::safetensors;
  std::error_code ec;
  if (fs::is_directory(dst, ec) || ext.empty()) return ModelFormat::safetensors;
  throw validation_error("cannot tell the target format from the extension '" + ext +
                         "': expected .gguf, .apr, .safetensors or a directory, or pass --to")
      .at_path(dst.string());
}

void check_target_path(const fs::path& dst, ModelFormat f) {
  if (f == ModelFormat::safetensors) return;  // a .safetensors file or a directory
  if (dst.extension() != file_extension(f))
    throw validation_error(std::string("target path must end in ") + file_extension(f) + ", found '" +
                           dst.filename().string() + "'")
        .at_path(dst.string());
}

// The sidecars a SafeTensors target writes beside the model file must not exist already.
void check_sidecars(const fs::path& dst, ModelFormat f, const ConvertOptions& o) {
  if (f != ModelFormat::safetensors || !o.keep_existing_sidecars) return;
  const bool file_target = dst.extension() == ".safetensors";
  const fs::path dir = file_target ? (dst.has_parent_path() ? dst.parent_path() : fs::path(".")) : dst;
  for (const char* name : {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
    std::error_code ec;
    const auto st = fs::symlink_status(dir / name, ec);
    if (!ec && st.type() != fs::file_type::not_found)
      throw validation_error(
          "exists and would be overwritten by the SafeTensors target's sidecar files (pass --force to overwrite, or "
          "write to an empty directory)")
          .at_path((dir / name).string());
  }
}

}  // namespace

Result<ConvertReport> export_model_report(const model::CanonicalModel& source, ModelFormat f, const fs::path& dst,
                                          const ConvertOptions& o) {
  return capture([&]() {
    std::optional<PhaseScope> phase(std::in_place, "plan");
    check_target_path(dst, f);
    check_sidecars(dst, f, o);
    model::check_model(source);  // export writes exactly the manifest: refuse anything else up front
    // Test-only (tests/mutation): a fault planted with APR_QA_FAULT; inert when it is unset.
    const auto faulty = detail::planted_model_fault(source, f);
    const model::CanonicalModel& m = faulty ? *faulty : source;
    auto plan = detail::plan_tensors(m, f, o);
    detail::planted_plan_fault(plan, f);
    plan.durability = o.scratch ? Durability::scratch : Durability::durable;
    ConvertReport rep;
    rep.format = f;
    // A conversion that cannot fit is refused before a byte is written (exit 3, environment).
    rep.estimated_bytes = detail::estimate_output_bytes(m, plan, f);
    const bool file_target = f != ModelFormat::safetensors || dst.extension() == ".safetensors";
    const fs::path folder = file_target ? (dst.has_parent_path() ? dst.parent_path() : fs::path(".")) : dst;
    check_output_dir(folder, "the target folder", false);  // a file, below a file (exit 2), not writable (3)
    require_free_bytes(folder, rep.estimated_bytes, std::string("the conversion to ") + to_string(f));
    phase.reset();
    switch (f) {
      case ModelFormat::gguf: rep.output = detail::export_gguf(m, plan, dst); break;
      case ModelFormat::apr: rep.output = detail::export_apr(m, plan, dst); break;
      case ModelFormat::safetensors: rep.output = detail::export_safetensors(m, plan, dst); break;
    }
    rep.lossy_tensors = std::move(plan.lossy);
    rep.notes = std::move(plan.notes);
    rep.tensors = plan.tensors.size();
    std::error_code ec;
    rep.bytes = fs::file_size(rep.output, ec);
    rep.written_bytes = rep.bytes;
    if (f == ModelFormat::safetensors)
      for (const char* name : {"config.json", "generation_config.json", "tokenizer.json", "tokenizer_config.json"}) {
        const auto sz = fs::file_size(rep.output.parent_path() / name, ec);
        if (!ec) rep.written_bytes += sz;
      }
    return rep;
  });
}

Result<void> export_model(const model::CanonicalModel& m, ModelFormat f, const fs::path& dst, const ConvertOptions& o) {
  auto r = export_model_report(m, f, dst, o);
  if (!r.ok()) return r.error();
  return {};
}

Result<ConvertReport> convert_model(const std::string& src, const fs::path& dst, const ConvertOptions& o) {
  return capture([&]() {
    LoadOptions lo;
    lo.tokenizer = o.tokenizer;
    std::optional<PhaseScope> phase(std::in_place, "load");
    auto m = load_model(src, lo).value();
    phase.reset();
    const ModelFormat f = target_format(dst, o);
    auto rep = export_model_report(m, f, dst, o).value();
    if (o.verify) {
      auto out = load_model(rep.output.string(), {}).value();
      auto d = diff_models(m, out, {}).value();
      rep.verify_max_abs_diff = d.max_abs_diff;
      const bool lossless = rep.lossy_tensors.empty();
      if (lossless && !d.equal) {
        std::string what = d.config_diffs.empty() ? "" : "config: " + d.config_diffs.front() + "; ";
        if (!d.tokenizer_diffs.empty()) what += "tokenizer: " + d.tokenizer_diffs.front() + "; ";
        if (!d.metadata_diffs.empty()) what += "metadata: " + d.metadata_diffs.front() + "; ";
        for (const auto& t : d.tensors)
          if (t.status == "differs" || t.status.rfind("missing", 0) == 0) {
            what += "tensor " + t.name + ": " + t.status;
            break;
          }
        std::error_code ec;
        fs::remove(rep.output, ec);  // a failed conversion leaves no model file behind
        throw validation_error("--verify: the converted model differs from the source (" + what + ")").at_path(rep.output.string());
      }
      rep.verified = true;
    }
    return rep;
  });
}

}  // namespace apr::convert
