// Hostile and mistaken playbooks: scalars that overflowed std::regex, alias cycles and
// billion-laughs expansion, duplicate keys, a second document, typos one or two edits from a
// known key, a model file or a directory or a FIFO given as the playbook. Each is one Error line
// naming file:line:column (or the file) and what was expected.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "qa/playbook.hpp"

using namespace apr::qa;
using apr::ErrorCategory;
namespace fs = std::filesystem;

namespace {

std::string playbook(const std::string& name = "ok-pb", const std::string& repo = "org/name",
                     const std::string& version = "1.0.0", const std::string& extra = "") {
  return "name: " + name + "\nversion: \"" + version + "\"\nmodel:\n  hf_repo: \"" + repo +
         "\"\n  formats: [gguf]\ntest_matrix:\n  modalities: [run]\n  backends: [cpu]\n  scenario_count: 1\n" + extra;
}

struct Outcome {
  bool ok = false;
  std::string what;
  ErrorCategory cat{};
  std::vector<std::string> warnings;
};

Outcome parse(const std::string& text, bool strict = false) {
  LoadOptions lo;
  lo.strict = strict;
  auto r = parse_playbook(text, "pb.yaml", lo);
  Outcome o;
  o.ok = r.ok();
  if (r.ok()) o.warnings = r->warnings;
  else {
    o.what = r.error().what();
    o.cat = r.error().category();
  }
  return o;
}

bool has(const Outcome& o, const std::string& s) { return o.what.find(s) != std::string::npos; }

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("apr-qa-hostile-pb-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

}  // namespace

TEST_CASE("hostile playbook: the base playbook loads") { CHECK(parse(playbook(), true).ok); }

TEST_CASE("hostile playbook: 20k-character scalars are refused by length, no regex recursion") {
  const std::string big(20000, 'a');
  auto o = parse(playbook(big));
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "pb.yaml:1:7"));
  CHECK(has(o, "at most 64"));
  CHECK(o.what.size() < 600);
  o = parse(playbook("ok-pb", big + "/" + big));
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "model.hf_repo"));
  o = parse(playbook("ok-pb", "org/name", "1.0." + std::string(20000, '1')));
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "semantic version"));
  o = parse(playbook("ok-pb", "org/name", "1.0.0", "metadata:\n  n: " + std::string(20000, '7') + "\n"));
  CHECK(o.ok);  // a long integer in free-form metadata is kept as text, no crash
  o = parse(playbook("ok-pb", "org/name", "1.0.0") + "failure_policy: " + std::string(20000, '9') + "\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "expected a string"));
}

TEST_CASE("hostile playbook: scalar typing matches PyYAML without std::regex") {
  auto o = parse(playbook("ok-pb", "org/name", "1.0.0", "metadata:\n  a: 0x1F\n  b: 1_000\n  c: .5\n  d: 1e-5\n  e: .inf\n"));
  CHECK(o.ok);
  // A quoted-looking value that PyYAML reads as a number is not a string.
  o = parse("name: 12\nversion: \"1.0.0\"\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "the number 12"));
  o = parse("name: 1.5e3\nversion: \"1.0.0\"\n");
  CHECK(has(o, "the number 1.5e3"));
  o = parse("name: yes\nversion: \"1.0.0\"\n");
  CHECK(has(o, "the boolean yes"));
}

TEST_CASE("hostile playbook: a self-referential alias is an error") {
  auto o = parse(playbook("ok-pb", "org/name", "1.0.0", "metadata:\n  self: &a [*a]\n"));
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "self-referential YAML alias"));
  CHECK(has(o, "pb.yaml:"));
}

TEST_CASE("hostile playbook: billion laughs stops at the expansion budget") {
  std::string lol = "metadata:\n  l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n";
  for (int i = 1; i < 10; ++i) {
    lol += "  l" + std::to_string(i) + ": &l" + std::to_string(i) + " [";
    for (int k = 0; k < 10; ++k) lol += (k ? ", *l" : "*l") + std::to_string(i - 1);
    lol += "]\n";
  }
  const auto t0 = std::chrono::steady_clock::now();
  auto o = parse(playbook("ok-pb", "org/name", "1.0.0", lol));
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "YAML nodes after expanding aliases"));
  MESSAGE("billion laughs refused after " << s << " s");
  CHECK(s < 5.0);
}

TEST_CASE("hostile playbook: duplicate keys name both lines, in every mode") {
  auto o = parse(playbook() + "name: other\n");
  REQUIRE_FALSE(o.ok);
  CHECK(o.cat == ErrorCategory::validation);
  CHECK(has(o, "pb.yaml:10:1"));
  CHECK(has(o, "duplicate key 'name': first at line 1, again at line 10"));
  o = parse("name: a\nversion: \"1.0.0\"\nmodel:\n  hf_repo: \"o/n\"\n  hf_repo: \"o/m\"\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "duplicate key 'model.hf_repo': first at line 4, again at line 5"));
}

TEST_CASE("hostile playbook: a second YAML document is rejected") {
  auto o = parse(playbook() + "---\nname: second\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "expected one YAML document, found 2"));
  CHECK(has(o, "pb.yaml:11"));
}

TEST_CASE("hostile playbook: a ',' outside a flow collection is a syntax error, not an endless parse") {
  // yaml-cpp 0.7's LoadAll returned the same empty document forever on a top-level ',' (found by
  // fuzz_playbook and fuzz_gate_catalogue: > 30 s and 2.7 GB on 19 bytes).
  auto t0 = std::chrono::steady_clock::now();
  auto o = parse(",\n");
  REQUIRE_FALSE(o.ok);
  CHECK(o.cat == ErrorCategory::parse);
  CHECK(has(o, "pb.yaml:1:1"));
  CHECK(has(o, "unexpected ',' outside a flow collection"));
  o = parse("# comment\n{name: a},\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "pb.yaml:2:10"));
  CHECK(has(o, "unexpected ','"));
  o = parse(playbook() + "---\nname: second\n---\nname: third\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "expected one YAML document, found 3"));
  CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
}

TEST_CASE("hostile playbook: a typo within two edits of a known key is an error with a suggestion") {
  auto o = parse(playbook("ok-pb", "org/name", "1.0.0") + "failure_polcy: collect_all\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "unknown key 'failure_polcy' (line 10): did you mean 'failure_policy'?"));
  o = parse("name: a\nversion: \"1.0.0\"\nmodel:\n  hf_repo: \"o/n\"\ntest_matrix:\n  scenario_cout: 2\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "did you mean 'test_matrix.scenario_count'?"));
  o = parse("name: a\nversion: \"1.0.0\"\nmodel:\n  hf_repo: \"o/n\"\ntest_matrix:\n  modalites: [serve]\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "did you mean 'test_matrix.modalities'?"));
  // Far from every known key: still a warning, an error only with --strict.
  o = parse(playbook() + "completely_unrelated: 1\n");
  REQUIRE(o.ok);
  REQUIRE(o.warnings.size() == 1);
  CHECK(o.warnings[0].find("completely_unrelated") != std::string::npos);
  CHECK_FALSE(parse(playbook() + "completely_unrelated: 1\n", true).ok);
}

TEST_CASE("hostile playbook: a typo'd required key names the present typo") {
  auto o = parse("name: a\nversion: \"1.0.0\"\nmodel:\n  hf_rpo: \"o/n\"\ntest_matrix: {}\n");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "pb.yaml:4:3"));
  CHECK(has(o, "required key 'model.hf_repo' is missing; found 'model.hf_rpo' (line 4): did you mean 'hf_repo'?"));
}

TEST_CASE("hostile playbook: a model file, a directory or a FIFO given as the playbook") {
  Scratch s;
  auto write = [&](const std::string& name, const std::string& bytes) {
    std::ofstream(s.dir / name, std::ios::binary) << bytes;
    return s.dir / name;
  };
  auto gguf = write("m.gguf", std::string("GGUF\x03\0\0\0", 8) + std::string(32, '\0'));
  auto r = load_playbook(gguf);
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("this is a GGUF model, not a playbook") != std::string::npos);
  auto apr = write("m.apr", std::string("APR\0", 4) + std::string(60, '\0'));
  r = load_playbook(apr);
  REQUIRE_FALSE(r.ok());
  CHECK(std::string(r.error().what()).find("this is an APR model") != std::string::npos);
  r = load_playbook(s.dir);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == ErrorCategory::io);
  CHECK(std::string(r.error().what()).find("is a directory, expected a playbook") != std::string::npos);
  const fs::path fifo = s.dir / "pb.yaml";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  r = load_playbook(fifo);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == ErrorCategory::validation);
  CHECK(std::string(r.error().what()).find("is a FIFO, expected a playbook") != std::string::npos);
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 2.0);
}
