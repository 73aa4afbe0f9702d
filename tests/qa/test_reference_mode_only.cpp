// Gates never use the engine's fast (non-reference, int8) compute mode: every engine the qa and
// cert layers create runs Mode::reference (the EngineOptions default, or set explicitly), and
// only the generate/logits/perplexity commands offer --compute. A source scan, so that a later
// change that passes Mode::fast into a gate fails here.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

namespace fs = std::filesystem;

namespace {

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

bool is_source(const fs::path& p) {
  const auto e = p.extension();
  return e == ".cpp" || e == ".hpp";
}

}  // namespace

TEST_CASE("the qa and cert layers never select the fast compute mode") {
  const fs::path root = APR_QA_SOURCE_DIR;
  const std::regex mode_assign(R"(\.mode\s*=\s*([A-Za-z_:]+))");
  int files = 0, explicit_reference = 0;
  for (const char* dir : {"src/qa", "src/cert"}) {
    for (const auto& f : fs::recursive_directory_iterator(root / dir)) {
      if (!f.is_regular_file() || !is_source(f.path())) continue;
      ++files;
      const std::string s = read_all(f.path());
      CAPTURE(f.path().string());
      CHECK(s.find("Mode::fast") == std::string::npos);
      CHECK(s.find("compute_mode") == std::string::npos);
      for (std::sregex_iterator it(s.begin(), s.end(), mode_assign), end; it != end; ++it) {
        const std::string v = (*it)[1];
        // engine options only: a `.mode =` of another struct (e.g. a playbook field) is not an
        // engine mode, and never names engine::Mode.
        if (v.find("Mode") == std::string::npos) continue;
        CHECK(v == "engine::Mode::reference");
        ++explicit_reference;
      }
    }
  }
  CHECK(files > 20);               // the scan saw the layers
  CHECK(explicit_reference >= 1);  // model_access.cpp's make_engine states the mode
}

TEST_CASE("only generate, logits and perplexity offer --compute") {
  const fs::path root = APR_QA_SOURCE_DIR;
  std::set<std::string> users;
  for (const auto& f : fs::directory_iterator(root / "runner")) {
    if (!f.is_regular_file() || !is_source(f.path()) || f.path().filename() == "compute_option.hpp") continue;
    const std::string s = read_all(f.path());
    if (s.find("compute_option.hpp") != std::string::npos || s.find("Mode::fast") != std::string::npos)
      users.insert(f.path().filename().string());
  }
  CHECK(users == std::set<std::string>{"cmd_generate.cpp", "cmd_logits.cpp", "cmd_perplexity.cpp"});
}
