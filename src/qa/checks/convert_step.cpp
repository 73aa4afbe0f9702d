#include "qa/checks/convert_step.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "core/error.hpp"
#include "qa/checks/model_access.hpp"
#include "formats/resolve.hpp"
#include "convert/convert.hpp"

namespace apr::qa::checks {

namespace fs = std::filesystem;

CheckOutput resolve_step(const nlohmann::json& p) {
  CheckOutput o;
  const std::string input = p.at("input").get<std::string>();
  const std::string planned = p.at("model_file").get<std::string>();
  const std::string format = p.at("expect_format").get<std::string>();
  auto a = resolve_artifact(input);
  if (!a) throw a.error();
  if (fs::absolute(a->model_file) != fs::absolute(planned))
    throw validation_error(fmt::format("input resolves to {}, but the plan expected {}", a->model_file.string(), planned))
        .at_path(input);
  if (std::string(to_string(a->format)) != format)
    throw validation_error(fmt::format("expected a {} model, found {}", format, to_string(a->format))).at_path(input);
  o.output = fmt::format("resolved {} to {} ({})", input, a->model_file.string(), to_string(a->format));
  o.artifacts.push_back(describe_artifact(planned, format));
  o.add("artifact_bytes", static_cast<double>(o.artifacts.back().bytes), "bytes");
  return o;
}

CheckOutput convert_step(const nlohmann::json& p) {
  CheckOutput o;
  const std::string source = p.at("source").get<std::string>();
  const std::string target = p.at("target").get<std::string>();
  const fs::path output = p.at("output").get<std::string>();
  std::error_code ec;
  // An existing file is reused only when the run asked for it (run --reuse-artifacts).
  bool cached = p.value("reuse", false) && fs::is_regular_file(output, ec) && fs::file_size(output, ec) > 0;
  // The source, loaded once: the conversion exports it and the inspection below lists its tensors
  // (convert_model would import it a second time: for a 0.5B snapshot ≈ 12 % of this node).
  std::shared_ptr<const model::CanonicalModel> src;
  if (!cached) {
    fs::create_directories(output.parent_path());
    auto fmt_to = format_from_name(target);
    if (!fmt_to) throw validation_error("unknown target format '" + target + "'");
    fs::path tmp = output.parent_path() / fmt::format(".partial-{}{}", ::getpid(), file_extension(*fmt_to));
    convert::ConvertOptions co;
    co.to = *fmt_to;
    // A run's artifact is scratch: recorded by sha256, removed when the run ends (docs/run.md).
    co.scratch = true;
    src = load(source);
    auto rep = convert::export_model_report(*src, *fmt_to, tmp, co);
    if (!rep) throw rep.error();
    fs::rename(rep->output, output);
    o.output = fmt::format("converted {} -> {} ({} tensors, {} bytes)\n", source, output.string(), rep->tensors, rep->bytes);
    for (const auto& n : rep->notes) o.output += "note: " + n + "\n";
    for (const auto& l : rep->lossy_tensors) o.output += "lossy: " + l + "\n";
  } else {
    o.output = "reused cached artifact " + output.string() + "\n";
  }
  if (!p.value("inspect", true)) {
    // An intermediate conversion no gate judges by itself: the gates comparing its artifact load
    // and measure it, so it is not loaded twice here.
    o.metrics["cached"] = cached;
    o.artifacts.push_back(describe_artifact(output.string(), target));
    return o;
  }
  if (!src) src = load(source);
  auto out = load(output.string());
  std::size_t missing = 0;
  for (const auto& t : src->tensors)
    if (!out->find(t.name)) {
      ++missing;
      o.output += "missing: " + t.name + "\n";
    }
  o.add("converted_tensors", static_cast<double>(out->tensors.size()));
  o.add("missing_tensors", static_cast<double>(missing));
  o.metrics["cached"] = cached;
  o.artifacts.push_back(describe_artifact(output.string(), target));
  return o;
}

}  // namespace apr::qa::checks
