// Helpers for the convert tests: fixtures in a scratch directory, conversions and diffs.
#pragma once

#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <unistd.h>

#include "convert/convert.hpp"
#include "convert/diff.hpp"
#include "convert/fixture.hpp"
#include "convert/load.hpp"

namespace ct {

namespace fs = std::filesystem;

inline fs::path scratch_root() {
  return fs::temp_directory_path() / ("apr-qa-convert-test-" + std::to_string(::getpid()));
}
// Removes this process's scratch tree when the test binary exits.
inline struct ScratchCleanup {
  ~ScratchCleanup() {
    std::error_code ec;
    fs::remove_all(scratch_root(), ec);
  }
} scratch_cleanup;

inline fs::path scratch(const std::string& name) {
  fs::path p = scratch_root() / name;
  fs::remove_all(p);
  fs::create_directories(p);
  return p;
}

inline fs::path fixture(const fs::path& dir, const std::string& arch, bool tied, apr::GgmlType dtype = apr::GgmlType::F32,
                        std::uint64_t seed = 7) {
  apr::convert::FixtureOptions o;
  o.arch = arch;
  o.preset = "tiny";
  o.seed = seed;
  o.dtype = dtype;
  o.tied = tied;
  o.shared_dir = fs::path(APR_QA_SHARED_DIR);
  auto r = apr::convert::write_fixture(o, dir);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().what()));
  return dir;
}

inline apr::convert::ConvertReport convert(const fs::path& src, const fs::path& dst, apr::convert::ConvertOptions o = {}) {
  auto r = apr::convert::convert_model(src.string(), dst, o);
  REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().what()));
  return *r;
}

inline apr::model::CanonicalModel load(const fs::path& p) {
  auto m = apr::convert::load_model(p.string());
  REQUIRE_MESSAGE(m.ok(), (m.ok() ? "" : m.error().what()));
  return std::move(*m);
}

inline apr::convert::DiffReport diff(const fs::path& a, const fs::path& b) {
  auto ma = load(a), mb = load(b);
  auto d = apr::convert::diff_models(ma, mb, {});
  REQUIRE(d.ok());
  return *d;
}

inline std::string summary(const apr::convert::DiffReport& d) {
  std::string s;
  for (const auto& c : d.config_diffs) s += "config " + c + "; ";
  for (const auto& c : d.tokenizer_diffs) s += "tokenizer " + c + "; ";
  for (const auto& t : d.tensors)
    if (t.status != "identical_bytes" && t.status != "identical_values") s += t.name + " " + t.status + "; ";
  return s;
}

// Lossless: equal, max|diff| exactly 0, identical config and tokenizer, same tensor count.
inline void expect_lossless(const fs::path& a, const fs::path& b) {
  auto d = diff(a, b);
  INFO(a.string(), " vs ", b.string(), ": ", summary(d));
  CHECK(d.equal);
  CHECK(d.max_abs_diff == 0.0);
  CHECK(d.config_diffs.empty());
  CHECK(d.tokenizer_diffs.empty());
  CHECK(d.tensors.size() > 10);
}

// Byte-identical wherever the dtype is preserved; elsewhere identical values, and the only dtype
// change allowed on a lossless path is GGUF's exact widening of 1-D BF16/F16 tensors to F32.
inline void expect_identical_bytes(const fs::path& a, const fs::path& b) {
  auto d = diff(a, b);
  INFO(a.string(), " vs ", b.string(), ": ", summary(d));
  for (const auto& t : d.tensors) {
    const std::string what = t.name + " " + t.status + " " + t.dtype_a + "/" + t.dtype_b;
    if (t.dtype_a == t.dtype_b) {
      CHECK_MESSAGE(t.status == "identical_bytes", what);
    } else {
      CHECK_MESSAGE(t.status == "identical_values", what);
      CHECK_MESSAGE(t.shape_a.size() == 1, what);
    }
  }
}

// Strictly every tensor byte-identical, dtypes included.
inline void expect_all_bytes(const fs::path& a, const fs::path& b) {
  auto d = diff(a, b);
  INFO(a.string(), " vs ", b.string(), ": ", summary(d));
  for (const auto& t : d.tensors) {
    const std::string what = t.name + " " + t.status + " " + t.dtype_a + "/" + t.dtype_b;
    CHECK_MESSAGE(t.status == "identical_bytes", what);
  }
}

inline std::string read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

}  // namespace ct
