#include <fmt/format.h>

#include "core/error.hpp"
#include "core/hash.hpp"
#include "qa/checks/check.hpp"

namespace apr::qa::checks {

const std::map<std::string, CheckFn>& check_table() {
  static const std::map<std::string, CheckFn> t = {
      {"preflight_validate", preflight_validate},
      {"preflight_tensor", preflight_tensor},
      {"preflight_integrity", preflight_integrity},
      {"preflight_layout", preflight_layout},
      {"inference", inference},
      {"conversion_pair", conversion_compare},
      {"roundtrip_chain", conversion_compare},
      {"commutativity", conversion_compare},
      {"byte_roundtrip", byte_roundtrip},
      {"idempotency", idempotency},
      {"tensor_inventory", tensor_inventory},
      {"golden_rule", golden_rule},
      {"format_contract", format_contract},
      {"differential_inference", differential_inference},
      {"differential_tensor", differential_tensor},
      {"differential_fingerprint", differential_fingerprint},
      {"trace_payload", trace_payload},
      {"performance", performance},
      {"backend_parity", backend_parity},
      {"perplexity", perplexity},
      {"quantization_quality", quantization_quality},
      {"independent_consumer", independent_consumer},
  };
  return t;
}

namespace {
std::vector<FileDigest>& known_digests() {
  static std::vector<FileDigest> d;
  return d;
}
}  // namespace

void set_known_digests(std::vector<FileDigest> digests) { known_digests() = std::move(digests); }

ArtifactRef describe_artifact(const std::string& path, const std::string& format) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw io_error("artifact is not a regular file").at_path(path);
  const std::string abs = std::filesystem::absolute(path).string();
  const std::string norm = std::filesystem::path(abs).lexically_normal().string();
  for (const auto& d : known_digests())
    if (d.path == norm && digest_current(d)) return {abs, format, d.sha256, d.bytes};
  auto h = sha256_file(path);
  if (!h) throw h.error();
  return {abs, format, *h, std::filesystem::file_size(path)};
}

}  // namespace apr::qa::checks
