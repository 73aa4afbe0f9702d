// A worker's result.json -> the node's evidence (qa/worker_result.hpp): every gate judged against
// its own bound requirements, a producer judged by its artifact file, nothing passes on nothing.
#include <doctest/doctest.h>

#include <signal.h>

#include <filesystem>
#include <fstream>

#include "qa/worker_result.hpp"

using namespace apr::qa;
using nlohmann::json;
namespace fs = std::filesystem;

namespace {

Evidence fresh(const Node& n, const std::string& gate) {
  Evidence e;
  e.gate_id = gate;
  e.node = n.id;
  return e;
}

Node gated_node() {
  Node n;
  n.id = "n0001-check";
  n.gates = {"G-DIFF", "G-SPEED"};
  n.require["G-DIFF"] = {{"diff", Comparator::le, 0.0, "<= 0"}};
  n.require["G-SPEED"] = {{"tokens_per_second", Comparator::ge, 10.0, ">= 10"}};
  return n;
}

json result_with(double diff, double tps) {
  json ms = json::array();
  ms.push_back(to_json(Measurement{"diff", diff, std::nullopt, Comparator::le, "", ""}));
  ms.push_back(to_json(Measurement{"tokens_per_second", tps, std::nullopt, Comparator::ge, "tok/s", ""}));
  return {{"measurements", ms},
          {"output", "generated text"},
          {"note", "layer 3 differs"},
          {"metrics", {{"tokens_per_second", tps}, {"total_tokens", 64}}},
          {"artifacts", json::array({{{"path", "/x/model.apr"}, {"format", "apr"}, {"sha256", "ab"}, {"bytes", 10}}})}};
}

}  // namespace

TEST_CASE("judge_worker_result: each gate against its own requirements") {
  const Node n = gated_node();
  const json deps = json::array({{{"path", "/x/model.gguf"}, {"format", "gguf"}, {"sha256", "cd"}, {"bytes", 12}}});
  NodeJudgement ok = judge_worker_result(n, result_with(0.0, 25.0), deps, "F-PROC", fresh);
  CHECK(ok.outcome == Outcome::corroborated);
  REQUIRE(ok.evidence.size() == 2);
  for (const auto& e : ok.evidence) {
    CHECK(e.outcome == Outcome::corroborated);
    CHECK(e.output == "generated text");
    REQUIRE(e.artifacts.size() == 2);  // the dependency's file and the node's own
    CHECK(e.artifacts[0].path == "/x/model.gguf");
    CHECK(e.artifacts[1].path == "/x/model.apr");
    CHECK(e.metrics.total_tokens == 64);
    CHECK(e.reason.find("layer 3") == std::string::npos);  // the note is for failures only
  }
  CHECK(ok.artifacts.size() == 1);

  // Only the speed gate fails: only its entry is Falsified, and the node's reason names it.
  NodeJudgement slow = judge_worker_result(n, result_with(0.0, 3.0), deps, "F-PROC", fresh);
  CHECK(slow.outcome == Outcome::falsified);
  REQUIRE(slow.evidence.size() == 2);
  CHECK(slow.evidence[0].outcome == Outcome::corroborated);
  CHECK(slow.evidence[1].outcome == Outcome::falsified);
  CHECK(slow.reason.rfind("G-SPEED: ", 0) == 0);
  CHECK(slow.reason.find("tokens_per_second = 3 violates >= 10") != std::string::npos);
  CHECK(slow.reason.find("layer 3 differs") != std::string::npos);
}

TEST_CASE("judge_worker_result: no measurements, no requirements: Falsified") {
  Node n = gated_node();
  NodeJudgement none = judge_worker_result(n, json::object(), json::array(), "F-PROC", fresh);
  CHECK(none.outcome == Outcome::falsified);
  for (const auto& e : none.evidence) CHECK(e.outcome == Outcome::falsified);
  CHECK(none.reason.find("no measurement 'diff' was produced") != std::string::npos);

  n.require.erase("G-SPEED");  // a gate the planner bound nothing to
  NodeJudgement unbound = judge_worker_result(n, result_with(0.0, 25.0), json::array(), "F-PROC", fresh);
  CHECK(unbound.outcome == Outcome::falsified);
  CHECK(unbound.evidence[1].reason == "gate has no bound requirements; layer 3 differs");
}

TEST_CASE("judge_worker_result: a producer is judged by its artifact file") {
  const fs::path dir = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/worker_result";
  fs::remove_all(dir);
  fs::create_directories(dir);
  Node n;
  n.id = "n0002-convert-apr";
  n.kind = NodeKind::convert;
  n.artifact = (dir / "model.apr").string();
  NodeJudgement missing = judge_worker_result(n, json::object(), json::array(), "F-PROC", fresh);
  CHECK(missing.outcome == Outcome::falsified);
  REQUIRE(missing.evidence.size() == 1);
  CHECK(missing.evidence[0].gate_id == "F-PROC");
  CHECK(missing.reason == "no artifact file at " + n.artifact);

  std::ofstream(n.artifact).flush();  // empty: still no artifact
  CHECK(judge_worker_result(n, json::object(), json::array(), "F-PROC", fresh).outcome == Outcome::falsified);

  std::ofstream(n.artifact) << "APR";
  NodeJudgement made = judge_worker_result(n, json::object(), json::array(), "F-PROC", fresh);
  CHECK(made.outcome == Outcome::corroborated);
  CHECK(made.evidence.empty());
  CHECK(made.reason == "produced " + n.artifact);
}

TEST_CASE("last_line and signal_name: what a crash or failure reason quotes") {
  CHECK(last_line("first\nsecond\n\n") == "second");
  CHECK(last_line("only") == "only");
  CHECK(last_line("") == "");
  CHECK(std::string(signal_name(SIGSEGV)) == "SIGSEGV");
  CHECK(std::string(signal_name(SIGKILL)) == "SIGKILL");
  CHECK(std::string(signal_name(64)) == "signal");
}
