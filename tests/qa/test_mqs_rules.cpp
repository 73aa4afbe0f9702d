// The anchor's MQS rules are data (gates/scoring/anchor-mqs.yaml): the parser, what a changed
// rule changes, the errors a malformed file gets, and a source scan that no C++ file in src/ or
// runner/ names a gate id as a string literal (a gate, its category and its gateway are YAML).
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>

#include "core/error.hpp"
#include "qa/mqs.hpp"
#include "qa/mqs_rules.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;

namespace {

const char* kRules = R"(categories:
  - {name: QUAL, max: 600}
  - {name: NEWC, max: 400}
id_rules:
  - {prefix: F-X, category: NEWC}
default: QUAL
gateways:
  - {id: GA, description: "A prefix gate", id_prefix: F-KEY}
  - {id: GB, description: "Many failures", id_contains: BAD, more_than_fraction: 0.5}
)";

std::string error_of(const std::string& text) {
  try {
    parse_mqs_rules("rules.yaml", text);
  } catch (const apr::Error& e) {
    return e.what();
  }
  return "";
}

Evidence ev(const std::string& id, Outcome o) {
  Evidence e;
  e.gate_id = id;
  e.outcome = o;
  e.reason = "r";
  return e;
}

}  // namespace

TEST_CASE("the compiled-in anchor rules: six categories summing to 1000 and five gateways") {
  const MqsRules& r = anchor_mqs_rules();
  REQUIRE(r.categories.size() == 6);
  int sum = 0;
  for (const auto& c : r.categories) sum += c.max;
  CHECK(sum == 1000);
  CHECK(r.categories.front().name == "QUAL");
  CHECK(r.default_category == "QUAL");
  REQUIRE(r.gateways.size() == 5);
  CHECK(r.gateways[3].outcome == Outcome::crashed);
  CHECK(r.gateways[4].more_than_fraction == doctest::Approx(0.25));
}

TEST_CASE("a rules document decides categories, maxima and gateways") {
  const MqsRules r = parse_mqs_rules("rules.yaml", kRules);
  CHECK(r.category_for("F-X-001") == "NEWC");
  CHECK(r.category_for("F-NEWC-7") == "NEWC");  // the second segment names a category
  CHECK(r.category_for("F-CONV-RT-001") == "QUAL");  // no anchor prefix in this document
  CHECK(r.gateways[0].matches("F-KEY-1", Outcome::falsified));
  CHECK_FALSE(r.gateways[0].matches("F-OTHER", Outcome::falsified));
  CHECK(r.gateways[1].matches("F-BAD-2", Outcome::error));
}

TEST_CASE("malformed rules name the file, the field and what was expected") {
  CHECK(error_of("categories: []\n").find("categories") != std::string::npos);
  const std::string unknown_cat = std::string(kRules).replace(std::string(kRules).find("NEWC}"), 4, "NOPE");
  const std::string e1 = error_of(unknown_cat);
  CHECK(e1.find("rules.yaml") != std::string::npos);
  CHECK(e1.find("id_rules[0].category") != std::string::npos);
  const std::string two = std::string(kRules).replace(std::string(kRules).find("id_prefix: F-KEY"), 16,
                                                      "id_prefix: F-KEY, outcome: Crashed");
  CHECK(error_of(two).find("exactly one") != std::string::npos);
  const std::string frac = std::string(kRules).replace(std::string(kRules).find("0.5"), 3, "1.5");
  CHECK(error_of(frac).find("more_than_fraction") != std::string::npos);
  const std::string dup = std::string(kRules).replace(std::string(kRules).find("NEWC, max"), 4, "QUAL");
  CHECK(error_of(dup).find("twice") != std::string::npos);
  CHECK(error_of(std::string(kRules) + "extra: 1\n").find("extra") != std::string::npos);
}

TEST_CASE("compute_mqs follows the compiled-in gateway rules") {
  // G0 by prefix, G1/G2 by substring, G3 by outcome, G4 by count: one of each fails its gateway.
  for (const auto& [id, o, gw] : std::vector<std::tuple<std::string, Outcome, std::size_t>>{
           {"G0-INTEGRITY-001", Outcome::falsified, 0},
           {"X-G1-LOAD", Outcome::falsified, 1},
           {"F-G2-RUN", Outcome::error, 2},
           {"F-QUAL-1", Outcome::crashed, 3}}) {
    CAPTURE(id);
    auto m = compute_mqs("m", {ev(id, o), ev("F-QUAL-2", Outcome::corroborated)});
    REQUIRE(m.gateways.size() == 5);
    CHECK_FALSE(m.gateways[gw].passed);
    CHECK_FALSE(m.gateways_passed);
    CHECK(m.raw_score == 0);
  }
  auto ok = compute_mqs("m", {ev("G0-VALIDATE-001", Outcome::falsified), ev("F-QUAL-2", Outcome::corroborated)});
  CHECK(ok.gateways_passed);  // G0-VALIDATE is not G0-INTEGRITY
}

TEST_CASE("no C++ source names a gate id as a string literal") {
  const fs::path root = APR_QA_SOURCE_DIR;
  const std::regex id_literal(R"re("(F|G[0-9])-[A-Z0-9]+(-[A-Za-z0-9]+)*")re");
  int files = 0;
  for (const char* dir : {"src", "runner"})
    for (const auto& f : fs::recursive_directory_iterator(root / dir)) {
      const auto ext = f.path().extension();
      if (!f.is_regular_file() || (ext != ".cpp" && ext != ".hpp")) continue;
      ++files;
      std::ifstream in(f.path());
      std::string line;
      int no = 0;
      while (std::getline(in, line)) {
        ++no;
        const auto code = line.substr(0, line.find("//"));
        std::smatch m;
        if (std::regex_search(code, m, id_literal)) FAIL_CHECK(f.path().string() << ":" << no << ": " << m.str());
      }
    }
  CHECK(files > 100);
}
