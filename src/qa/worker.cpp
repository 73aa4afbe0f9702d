#include "qa/worker.hpp"

#include <fstream>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "qa/checks/check.hpp"
#include "qa/checks/convert_step.hpp"
#include "qa/checks/teacher_forced.hpp"

namespace apr::qa {

using nlohmann::json;

static json to_result(const checks::CheckOutput& o) {
  if (o.skip) return {{"skip", *o.skip}};
  json ms = json::array(), arts = json::array();
  for (const auto& m : o.measurements) ms.push_back(to_json(m));
  for (const auto& a : o.artifacts) arts.push_back(to_json(a));
  json r = {{"measurements", ms}, {"artifacts", arts}, {"output", o.output}, {"metrics", o.metrics}};
  if (!o.note.empty()) r["note"] = o.note;
  return r;
}

int run_node(const std::filesystem::path& spec_path, const std::filesystem::path& result_path) {
  std::ifstream in(spec_path);
  if (!in) throw io_error("cannot read node spec").at_path(spec_path.string());
  json spec = json::parse(in, nullptr, false);
  if (spec.is_discarded() || !spec.is_object()) throw parse_error("node spec is not a JSON object").at_path(spec_path.string());
  const std::string kind = spec.value("kind", "");
  const json& params = spec["params"];
  if (auto kd = spec.find("known_digests"); kd != spec.end() && kd->is_array()) {
    std::vector<FileDigest> digests;
    for (const auto& j : *kd)
      if (j.is_object()) digests.push_back(file_digest_from_json(j));
    checks::set_known_digests(std::move(digests));
  }
  checks::CheckOutput out;
  if (kind == "resolve") {
    out = checks::resolve_step(params);
  } else if (kind == "convert") {
    out = checks::convert_step(params);
  } else if (kind == "infer") {
    out = checks::infer_step(params);
  } else if (kind == "check") {
    const std::string check = spec.value("check", "");
    auto it = checks::check_table().find(check);
    if (it == checks::check_table().end())
      throw validation_error("unknown check kind '" + check + "'").at_path(spec_path.string());
    out = it->second(params);
  } else {
    throw validation_error("unknown node kind '" + kind + "'").at_path(spec_path.string());
  }
  write_file_atomic(result_path, to_result(out).dump(2, ' ', false, json::error_handler_t::replace));
  return 0;
}

}  // namespace apr::qa
