// Executor with the fake worker (tests/oracle/tools/qa_fake_worker.cpp): Crashed, Timeout,
// non-zero exits, upstream propagation, failure policies, --jobs 1 vs 2, resume.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "qa/executor.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;

static const char* kWorker = APR_QA_BINARY_DIR "/tests/oracle/tools/oracle_qa_fake_worker";

static GateCatalogue test_catalogue() {
  std::string y = "gates:\n";
  for (const char* id : {"F-T-001", "F-T-002", "F-T-003", "F-T-004", "F-T-005", "F-T-006"})
    y += std::string("  - id: ") + id + "\n    title: t\n    hypothesis: h\n    falsified_if: f\n    severity: " +
         (std::string(id) == "F-T-002" ? "P0" : "P1") + "\n    category: QUAL\n    kind: trace_payload\n    inputs: {type: source}\n"
         "    require: {m: \">= 1\"}\n";
  y += "  - id: G2-BASIC\n    title: t\n    hypothesis: h\n    falsified_if: f\n    severity: P0\n    category: QUAL\n    kind: process_outcome\n    inputs: {type: process, event: failed}\n";
  y += "  - id: G3-STABLE\n    title: t\n    hypothesis: h\n    falsified_if: f\n    severity: P0\n    category: QUAL\n    kind: process_outcome\n    inputs: {type: process, event: crashed}\n";
  auto c = GateCatalogue::from_texts({{"t.yaml", y}});
  REQUIRE_MESSAGE(c.ok(), std::string(c.ok() ? "" : c.error().what()));
  return std::move(*c);
}

static Node check(const std::string& id, const std::string& gate, const std::string& fake, std::vector<std::string> deps = {}) {
  Node n;
  n.id = id;
  n.kind = NodeKind::check;
  n.check = "trace_payload";
  n.gates = {gate};
  n.require[gate] = {BoundRequirement{"m", Comparator::ge, 1.0, ">= 1"}};
  n.deps = std::move(deps);
  n.params = {{"fake", fake}};
  n.scenario.org = "o";
  n.scenario.name = "m";
  n.severity = gate == "F-T-002" ? "P0" : "P1";
  return n;
}

static Plan make_plan(const std::string& name) {
  Plan p;
  p.playbook_name = name;
  p.out_dir = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work" / name;
  fs::remove_all(p.out_dir);
  p.nodes = {check("n0", "F-T-001", "pass"), check("n1", "F-T-002", "crash"), check("n2", "F-T-003", "hang"),
             check("n3", "F-T-004", "exit3"), check("n4", "F-T-005", "fail"), check("n5", "F-T-006", "pass", {"n3"}),
             check("n6", "F-T-001", "skip"), check("n7", "F-T-001", "noresult")};
  return p;
}

static std::map<std::string, std::string> verdicts(const ExecSummary& s) {
  std::map<std::string, std::string> m;
  for (const auto& e : s.evidence) m[e.node + ":" + e.gate_id] = to_string(e.outcome);
  return m;
}

TEST_CASE("every node gets exactly one outcome: Crashed, Timeout, Falsified, upstream, Skipped") {
  REQUIRE(fs::exists(kWorker));
  auto cat = test_catalogue();
  Plan p = make_plan("exec_basic");
  ExecOptions o;
  o.jobs = 2;
  o.timeout_ms = 1500;
  o.policy = FailurePolicy::collect_all;
  o.worker = {kWorker};
  auto s = execute_plan(p, cat, o);
  auto v = verdicts(s);
  CHECK(s.evidence.size() == 8);
  CHECK(v["n0:F-T-001"] == "Corroborated");
  CHECK(v["n1:F-T-002"] == "Crashed");
  CHECK(v["n2:F-T-003"] == "Timeout");
  CHECK(v["n3:F-T-004"] == "Error");  // exit 3 (environment): could not evaluate
  CHECK(v["n4:F-T-005"] == "Falsified");
  CHECK(v["n5:F-T-006"] == "Error");  // its dependency n3 could not be evaluated
  CHECK(v["n6:F-T-001"] == "Skipped");
  CHECK(v["n7:F-T-001"] == "Error");  // exit 0 without result: never a pass on missing data
  for (const auto& e : s.evidence) {
    if (e.node == "n1") {
      CHECK(e.reason.find("SIGABRT") != std::string::npos);
      CHECK(e.exit_code == -6);
    }
    if (e.node == "n2") CHECK(e.reason == "Timed out after 1500ms");
    if (e.node == "n3") {
      CHECK(e.exit_code == 3);
      REQUIRE(e.stderr_text);
      CHECK(e.stderr_text->find("failing on purpose") != std::string::npos);
      CHECK(e.reason.find("exit 3") != std::string::npos);
    }
    if (e.node == "n5") CHECK(e.reason.find("upstream n3") != std::string::npos);
    if (e.node == "n6") CHECK(e.reason == "fake skip reason");
  }
  CHECK(fs::exists(p.out_dir / "evidence.json"));
  auto back = read_evidence_file(p.out_dir / "evidence.json");
  CHECK(back.size() == 8);
  auto journal = Journal::read(p.out_dir / "evidence.jsonl");
  CHECK(journal.size() == 9);  // header + one record per node
}

TEST_CASE("--jobs 1 and --jobs 2 give the same verdicts") {
  auto cat = test_catalogue();
  ExecOptions o;
  o.timeout_ms = 1500;
  o.policy = FailurePolicy::collect_all;
  o.worker = {kWorker};
  o.jobs = 1;
  auto a = verdicts(execute_plan(make_plan("exec_j1"), cat, o));
  o.jobs = 2;
  auto b = verdicts(execute_plan(make_plan("exec_j2"), cat, o));
  CHECK(a == b);
}

// make_plan without n5's dependency on n3: every node is independent, so --jobs 1 starts them in
// plan order (a node with dependents would start first: see "longest path first").
static Plan flat_plan(const std::string& name) {
  Plan p = make_plan(name);
  p.nodes[5].deps.clear();
  return p;
}

TEST_CASE("longest path first: a node with dependents starts before independent ones") {
  auto cat = test_catalogue();
  ExecOptions o;
  o.jobs = 1;
  o.timeout_ms = 1500;
  o.worker = {kWorker};
  o.policy = FailurePolicy::stop_on_first;
  // n3 (exit 3: Error) has a dependent, so it starts first and stops the run: n0 is never started.
  auto v = verdicts(execute_plan(make_plan("exec_prio"), cat, o));
  CHECK(v["n3:F-T-004"] == "Error");
  CHECK(v["n0:F-T-001"] == "Skipped");
  // Plan order among equals.
  auto w = verdicts(execute_plan(flat_plan("exec_prio_flat"), cat, o));
  CHECK(w["n0:F-T-001"] == "Corroborated");
  CHECK(w["n3:F-T-004"] == "Skipped");
}

TEST_CASE("failure policies") {
  auto cat = test_catalogue();
  ExecOptions o;
  o.jobs = 1;
  o.timeout_ms = 1500;
  o.worker = {kWorker};
  o.policy = FailurePolicy::stop_on_first;
  auto v = verdicts(execute_plan(flat_plan("exec_sof"), cat, o));
  CHECK(v["n0:F-T-001"] == "Corroborated");
  CHECK(v["n1:F-T-002"] == "Crashed");
  CHECK(v["n2:F-T-003"] == "Skipped");
  CHECK(v["n4:F-T-005"] == "Skipped");
  // stop-on-p0: the crash of n1 is a P0 gate -> stop; with n1 passing, P1 failures do not stop.
  o.policy = FailurePolicy::stop_on_p0;
  Plan p = flat_plan("exec_sop0");
  p.nodes[1].params["fake"] = "pass";
  p.nodes[2].params["fake"] = "pass";
  auto w = verdicts(execute_plan(p, cat, o));
  CHECK(w["n3:F-T-004"] == "Error");  // exit 3: could not evaluate (P1: continues)
  CHECK(w["n4:F-T-005"] == "Falsified");  // P1: continues
  CHECK(w["n6:F-T-001"] == "Skipped");
  Plan q = flat_plan("exec_sop0b");
  auto x = verdicts(execute_plan(q, cat, o));
  CHECK(x["n1:F-T-002"] == "Crashed");
  CHECK(x["n4:F-T-005"] == "Skipped");
  o.policy = FailurePolicy::fail_fast;
  auto y = verdicts(execute_plan(flat_plan("exec_ff"), cat, o));
  CHECK(y["n2:F-T-003"] == "Skipped");
  for (const auto& e : execute_plan(flat_plan("exec_ff2"), cat, o).evidence)
    if (e.node == "n4") CHECK(e.reason.find("not run: fail-fast after F-T-002 was Crashed") != std::string::npos);
}

TEST_CASE("resume replays the journal and runs only what is missing") {
  auto cat = test_catalogue();
  ExecOptions o;
  o.jobs = 2;
  o.timeout_ms = 1500;
  o.policy = FailurePolicy::collect_all;
  o.worker = {kWorker};
  Plan p = make_plan("exec_resume");
  auto full = execute_plan(p, cat, o);
  // Drop the last two node records and add a torn line, as a SIGKILL inside write() would.
  auto recs = Journal::read(p.out_dir / "evidence.jsonl");
  {
    Journal j(p.out_dir / "evidence.jsonl", true);
    for (std::size_t i = 0; i + 2 < recs.size(); ++i) j.append(recs[i]);
  }
  { std::ofstream(p.out_dir / "evidence.jsonl", std::ios::app) << "{\"type\":\"node\",\"node\":\"n"; }
  fs::remove(p.out_dir / "evidence.json");
  o.resume = true;
  auto again = execute_plan(p, cat, o);
  CHECK(again.nodes_resumed == 6);
  CHECK(again.nodes_run == 2);
  CHECK(verdicts(again) == verdicts(full));
  CHECK(Journal::read(p.out_dir / "evidence.jsonl").size() == 9);
}
