// Planning: the seed playbook on a snapshot directory expands to the conversion suite with
// shared, content-keyed artifacts; gpu cells are planned Skipped.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "qa/plan.hpp"
#include "seed_plan_fixture.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;

static fs::path fake_snapshot() { return testing::stub_snapshot("snapshot"); }

TEST_CASE("seed playbook + directory input: conversion suite DAG") {
  auto pb = load_playbook(fs::path(APR_QA_SHARED_DIR) / "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml");
  REQUIRE(pb.ok());
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  PlanOptions po;
  po.model_path = fake_snapshot().string();
  po.out_dir = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/out";
  auto plan = build_plan(*pb, *cat, po);
  REQUIRE_MESSAGE(plan.ok(), std::string(plan.ok() ? "" : plan.error().what()));
  CHECK(plan->input_mode == "directory");
  std::map<std::string, int> gate_nodes, gate_skipped;
  std::set<std::string> artifacts;
  int converts = 0;
  for (const auto& n : plan->nodes) {
    for (const auto& d : n.deps) CHECK(plan->index_of(d) < plan->index_of(n.id));  // topological order
    if (n.kind == NodeKind::convert) {
      ++converts;
      CHECK(artifacts.insert(n.artifact).second);  // one node per artifact
      CHECK(n.artifact.find("/artifacts/") != std::string::npos);
      CHECK(fs::path(n.artifact).filename() == "model." + n.format);
    }
    for (const auto& g : n.gates) {
      gate_nodes[g]++;
      if (n.skip_reason) {
        gate_skipped[g]++;
        CHECK(*n.skip_reason == "no CUDA device");
        CHECK(n.scenario.backend == "gpu");
      }
    }
  }
  for (const char* g : {"F-CONV-G-A", "F-CONV-A-G", "F-CONV-G-S", "F-CONV-S-G", "F-CONV-A-S", "F-CONV-S-A", "F-CONV-RT-001",
                        "F-CONV-RT-002", "F-CONV-RT-003", "F-CONV-RT-004", "F-CONV-COM-001"}) {
    CAPTURE(g);
    CHECK(gate_nodes[g] == 2);  // cpu and gpu
    CHECK(gate_skipped[g] == 1);
  }
  CHECK(gate_nodes["F-CONV-IDEM-001"] == 1);  // replicas of G->A, S->G and G->S: every target format
  CHECK(gate_nodes["F-CONV-IDEM-002"] == 1);
  CHECK(gate_nodes["F-CONV-IDEM-003"] == 1);
  CHECK(gate_nodes["F-CONV-RT-BYTE-001"] == 1);
  CHECK(gate_nodes["F-GOLDEN-RULE-001"] == 1);
  CHECK(gate_nodes["F-A1-001"] == 10);
  CHECK(gate_nodes["F-ROSETTA-INF-001"] == 2);  // apr and gguf against safetensors
  CHECK(gate_nodes["F-ROSETTA-INF-002"] == 0);  // the playbook lists 001 and 003 only
  CHECK(gate_nodes["F-TRACE-PAYLOAD-001"] == 1);
  CHECK(gate_nodes["G0-FORMAT-APR-001"] == 1);
  // Conversions are shared: S->A, S->G (workspace), G->A, A->G, G->S, A->S, the chains' later hops,
  // and one IDEM replica per target format; far fewer than one per gate.
  CHECK(converts >= 8);
  CHECK(converts <= 16);
  // Shared inference runs: one infer node per (artifact, prompt); every logit-comparing gate
  // names the runs of both its artifacts and depends on them.
  std::set<std::string> run_keys;
  int infers = 0;
  // A run is as long as its longest reader needs (the golden rule's 10 > the conversion gates' 8
  // on the source and its APR; the matrix cells' 32 on the source) and keeps logits when a
  // logit-comparing gate reads it.
  std::map<std::string, int> longest_reader;
  std::map<std::string, bool> logit_reader;
  for (const auto& n : plan->nodes)
    for (const char* key : {"a_run", "b_run", "run"})
      if (n.kind == NodeKind::check && n.params.contains(key)) {
        int& t = longest_reader[n.params[key].get<std::string>()];
        t = std::max(t, n.params.value("max_tokens", 0));
        logit_reader[n.params[key].get<std::string>()] |= std::string(key) != "run";
      }
  int cell_runs = 0;
  for (const auto& n : plan->nodes) {
    if (n.kind == NodeKind::infer) {
      ++infers;
      CAPTURE(n.id);
      CHECK(run_keys.insert(n.params["model"].get<std::string>() + "|" + n.params["prompt"].get<std::string>()).second);
      CHECK(n.params["max_tokens"] == longest_reader[n.artifact]);
      CHECK(n.params["logits"] == logit_reader[n.artifact]);
      CHECK(fs::path(n.artifact).filename() == "run.json");
    }
    if (n.check == "inference") {
      // Every cpu run cell reads the source's shared run (greedy: the seed changes nothing).
      REQUIRE(n.params.contains("run"));
      const Node* r = nullptr;
      for (const auto& d : n.deps)
        if (plan->find(d)->kind == NodeKind::infer) r = plan->find(d);
      REQUIRE(r != nullptr);
      CHECK(r->artifact == n.params["run"]);
      CHECK(r->params["max_tokens"] == 32);
      CHECK(r->params["model"] == n.params["model"]);
      CHECK(r->params["prompt"] == n.params["prompt"]);
      ++cell_runs;
    }
    if ((n.check == "conversion_pair" || n.check == "roundtrip_chain" || n.check == "commutativity" || n.check == "golden_rule") &&
        n.scenario.backend == "cpu") {
      CAPTURE(n.id);
      for (const char* side : {"a", "b"}) {
        REQUIRE(n.params.contains(std::string(side) + "_run"));
        const std::string run = n.params[std::string(side) + "_run"];
        bool dep = false;
        for (const auto& d : n.deps) {
          const Node* dn = plan->find(d);
          dep = dep || (dn->kind == NodeKind::infer && dn->artifact == run && dn->params["model"] == n.params[side]);
        }
        CHECK(dep);
      }
    }
  }
  CHECK(infers >= 6);
  CHECK(infers <= converts + 1);  // at most one per artifact (the conversions and the source)
  // Drafts: every shared run of a converted artifact verifies the source's run on the same prompt
  // (params draft_run and a dependency on that run); the source's own run has none. Without
  // drafts (APR_QA_NO_DRAFTS) no node names one and every run has its artifact as only input.
  std::string resolve_id;
  for (const auto& n : plan->nodes)
    if (n.kind == NodeKind::resolve) resolve_id = n.id;
  int drafted = 0;
  for (const auto& n : plan->nodes) {
    if (n.kind != NodeKind::infer) continue;
    CAPTURE(n.id);
    if (n.deps.front() == resolve_id) {
      CHECK(!n.params.contains("draft_run"));
      CHECK(n.deps.size() == 1);
      continue;
    }
    REQUIRE(n.params.contains("draft_run"));
    REQUIRE(n.deps.size() == 2);
    const Node* src = plan->find(n.deps[1]);
    REQUIRE(src != nullptr);
    CHECK(src->kind == NodeKind::infer);
    CHECK(src->deps == std::vector<std::string>{resolve_id});
    CHECK(src->artifact == n.params["draft_run"]);
    CHECK(src->params["prompt"] == n.params["prompt"]);
    CHECK(src->params["max_tokens"].get<int>() >= n.params["max_tokens"].get<int>());
    ++drafted;
  }
  CHECK(drafted == infers - 1);
  PlanOptions po3 = po;
  po3.drafts = false;
  auto undrafted = build_plan(*pb, *cat, po3);
  REQUIRE(undrafted.ok());
  CHECK(undrafted->gate_ids() == plan->gate_ids());
  for (const auto& n : undrafted->nodes)
    if (n.kind == NodeKind::infer) {
      CHECK(!n.params.contains("draft_run"));
      CHECK(n.deps.size() == 1);
    }
  // Without sharing (APR_QA_NO_SHARED_RUNS) the same gates are planned, with no infer node.
  PlanOptions po2 = po;
  po2.shared_runs = false;
  auto unshared = build_plan(*pb, *cat, po2);
  REQUIRE(unshared.ok());
  CHECK(unshared->gate_ids() == plan->gate_ids());
  CHECK(cell_runs == 10);
  for (const auto& n : unshared->nodes) {
    CHECK(n.kind != NodeKind::infer);
    CHECK(!n.params.contains("run"));
  }
  // Deterministic: the same inputs give the same node ids and signature.
  auto again = build_plan(*pb, *cat, po);
  REQUIRE(again.ok());
  CHECK(again->signature() == plan->signature());
  CHECK(plan->dot().find("digraph") == 0);
}

TEST_CASE("every anchor playbook and template plans in dry-run mode") {
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  for (const char* sub : {"playbooks", "templates"}) {
    for (const auto& e : fs::directory_iterator(fs::path(APR_QA_SHARED_DIR) / "anchor" / sub)) {
      CAPTURE(e.path());
      auto pb = load_playbook(e.path());
      REQUIRE(pb.ok());
      PlanOptions po;
      po.dry_run = true;
      auto plan = build_plan(*pb, *cat, po);
      REQUIRE_MESSAGE(plan.ok(), std::string(plan.ok() ? "" : plan.error().what()));
      CHECK(plan->nodes.size() > 1);
    }
  }
}

TEST_CASE("a missing model is an environment error naming the path") {
  auto pb = load_playbook(fs::path(APR_QA_SHARED_DIR) / "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml");
  REQUIRE(pb.ok());
  auto cat = GateCatalogue::builtin();
  PlanOptions po;
  po.model_path = "/nonexistent/model.gguf";
  auto plan = build_plan(*pb, *cat, po);
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.error().category() == apr::ErrorCategory::io);
  CHECK(std::string(plan.error().what()).find("/nonexistent/model.gguf") != std::string::npos);
}

TEST_CASE("F-ROSETTA-FP-002 never compares an artifact with itself") {
  // Both playbooks with a fingerprint block: the anchor's and ours. FP-002 runs on every
  // workspace artifact except the reference (inputs type reference_pair), against the
  // reference: a self-comparison, which cannot fail, is never planned.
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  for (fs::path file : {fs::path(APR_QA_SHARED_DIR) / "anchor/playbooks/qwen2.5-coder-0.5b.playbook.yaml",
                        fs::path(APR_QA_SOURCE_DIR) / "playbooks/qwen2.5-coder-0.5b-full.playbook.yaml"}) {
    CAPTURE(file);
    auto pb = load_playbook(file);
    REQUIRE(pb.ok());
    PlanOptions po;
    po.model_path = fake_snapshot().string();
    po.out_dir = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/out-fp";
    auto plan = build_plan(*pb, *cat, po);
    REQUIRE_MESSAGE(plan.ok(), std::string(plan.ok() ? "" : plan.error().what()));
    int run = 0;
    for (const auto& n : plan->nodes) {
      if (std::find(n.gates.begin(), n.gates.end(), "F-ROSETTA-FP-002") == n.gates.end()) continue;
      CAPTURE(n.id);
      CHECK_FALSE(n.skip_reason);
      ++run;
      REQUIRE(n.params.contains("reference"));
      CHECK(n.params["reference"] != n.params["model"]);
      CHECK(n.deps.size() == 2);
    }
    CHECK(run == 2);  // apr and gguf against the safetensors reference
    // FP-001 still runs on all three formats.
    int fp1 = 0;
    for (const auto& n : plan->nodes)
      if (!n.skip_reason && std::find(n.gates.begin(), n.gates.end(), "F-ROSETTA-FP-001") != n.gates.end()) ++fp1;
    CHECK(fp1 == 3);
  }
}

static Playbook seed_playbook() {
  auto pb = load_playbook(fs::path(APR_QA_SHARED_DIR) / "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml");
  REQUIRE(pb.ok());
  return *pb;
}

static const std::string kCustomGate = R"(gates:
  - id: F-CUSTOM-SCAN-001
    title: Every tensor is scanned
    hypothesis: The source holds at least a million tensors.
    falsified_if: tensors_scanned < 1000000
    severity: P2
    category: QUAL
    kind: preflight_validate
    inputs: {type: source}
    require: {tensors_scanned: ">= 1000000", nan_count: "<= ${conversion_tests.tensor_tolerance}"}
)";

static GateCatalogue builtin_plus(const std::string& name, const std::string& text) {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : embedded_gate_files()) files.emplace_back(f.name, f.content);
  files.emplace_back(name, text);
  auto cat = GateCatalogue::from_texts(files);
  REQUIRE_MESSAGE(cat.ok(), std::string(cat.ok() ? "" : cat.error().what()));
  return *cat;
}

TEST_CASE("a gate added only in YAML is planned with thresholds bound from the catalogue and the playbook") {
  auto cat = builtin_plus("custom.yaml", kCustomGate);
  auto pb = seed_playbook();
  pb.conversion_tests.tensor_tolerance = 0.25;
  PlanOptions po;
  po.model_path = fake_snapshot().string();
  po.out_dir = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/out-custom";
  auto plan = build_plan(pb, cat, po);
  REQUIRE_MESSAGE(plan.ok(), std::string(plan.ok() ? "" : plan.error().what()));
  int found = 0;
  for (const auto& n : plan->nodes) {
    auto it = n.require.find("F-CUSTOM-SCAN-001");
    if (it == n.require.end()) continue;
    ++found;
    CHECK(n.check == "preflight_validate");
    CHECK(n.deps.size() == 1);
    REQUIRE(it->second.size() == 2);
    CHECK(it->second[0].name == "tensors_scanned");
    CHECK(it->second[0].comparator == Comparator::ge);
    CHECK(it->second[0].threshold == 1000000);
    CHECK(it->second[1].name == "nan_count");
    CHECK(it->second[1].threshold == 0.25);  // the playbook's value, not a constant
    // It shares the node of the built-in gate of the same kind, inputs and parameters? No: the
    // built-in G0-VALIDATE-001 passes model.expected/family, so the nodes differ.
  }
  CHECK(found == 1);
}

TEST_CASE("the planner reads the catalogue: removing a gate's YAML removes its nodes") {
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : embedded_gate_files())
    if (std::string(f.name) != "gates/golden.yaml") files.emplace_back(f.name, f.content);
  auto cat = GateCatalogue::from_texts(files);
  REQUIRE(cat.ok());
  PlanOptions po;
  po.model_path = fake_snapshot().string();
  po.out_dir = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/out-nogolden";
  auto plan = build_plan(seed_playbook(), *cat, po);
  REQUIRE(plan.ok());
  for (const auto& n : plan->nodes) CHECK(n.check != "golden_rule");
}

TEST_CASE("a threshold naming an unset playbook value leaves its gate unplanned, with the reason") {
  auto pb = seed_playbook();
  pb.profile_ci.present = pb.profile_ci.enabled = true;
  pb.profile_ci.max_p99_ms.reset();
  pb.profile_ci.max_p50_ms = 250.0;
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  PlanOptions po;
  po.dry_run = true;  // no model: --dry-run plans with a placeholder input
  auto plan = build_plan(pb, *cat, po);
  REQUIRE_MESSAGE(plan.ok(), std::string(plan.ok() ? "" : plan.error().what()));
  std::set<std::string> planned;
  for (const auto& g : plan->gate_ids()) planned.insert(g);
  CHECK(planned.count("F-PROFILE-CI-001"));
  CHECK(planned.count("F-PROFILE-CI-003"));
  CHECK_FALSE(planned.count("F-PROFILE-CI-002"));
  bool said = false;
  for (const auto& [g, why] : plan->unplanned)
    said = said || (g == "F-PROFILE-CI-002" && why.find("profile_ci.max_p99_ms") != std::string::npos);
  CHECK(said);
  for (const auto& n : plan->nodes)
    for (const auto& [g, reqs] : n.require)
      if (g == "F-PROFILE-CI-003") CHECK(reqs.at(0).threshold == 250.0);
}

TEST_CASE("an unknown gate id or oracle in a playbook is a configuration error with a suggestion") {
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  PlanOptions po;
  po.dry_run = true;
  auto pb = seed_playbook();
  pb.trace_payload.present = pb.trace_payload.enabled = true;
  pb.trace_payload.gates = {"F-TRACE-PAYLOAD-009"};
  auto plan = build_plan(pb, *cat, po);
  REQUIRE_FALSE(plan.ok());
  CHECK(plan.error().category() == apr::ErrorCategory::validation);
  std::string e = plan.error().what();
  CHECK(e.find("F-TRACE-PAYLOAD-009") != std::string::npos);
  CHECK(e.find("did you mean 'F-TRACE-PAYLOAD-00") != std::string::npos);
  auto pb2 = seed_playbook();
  pb2.oracles = {OracleSpec{"garbige", nlohmann::json::object()}};
  auto plan2 = build_plan(pb2, *cat, po);
  REQUIRE_FALSE(plan2.ok());
  CHECK(std::string(plan2.error().what()).find("did you mean 'garbage'") != std::string::npos);
}

TEST_CASE("model.quantizations plans one F-QUANT gate per listed type; playbook quantization_thresholds override the catalogue") {
  auto pb = parse_playbook(
      "name: q\nversion: \"1.0.0\"\nmodel:\n  hf_repo: a/b\n  formats: [gguf]\n  quantizations: [q8_0, q4_k_m]\n"
      "test_matrix: {modalities: [run], backends: [cpu], scenario_count: 1}\n"
      "quantization_thresholds: {q8_0: {kl_mean: 0.001}}\n",
      "q.yaml", {});
  REQUIRE_MESSAGE(pb.ok(), std::string(pb.ok() ? "" : pb.error().what()));
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  PlanOptions po;
  po.dry_run = true;
  auto plan = build_plan(*pb, *cat, po);
  REQUIRE_MESSAGE(plan.ok(), std::string(plan.ok() ? "" : plan.error().what()));
  std::map<std::string, double> kl;
  for (const auto& n : plan->nodes)
    for (const auto& [g, reqs] : n.require)
      for (const auto& r : reqs)
        if (r.name == "kl_mean") kl[g] = r.threshold;
  REQUIRE(kl.size() == 2);
  CHECK(kl["F-QUANT-Q8-0-001"] == 0.001);  // the playbook's
  CHECK(kl["F-QUANT-Q4-K-M-001"] == 0.2);  // the catalogue's default
  // Without the key, no quantization gate is planned (the anchor's default is not applied silently).
  auto pb2 = parse_playbook("name: q\nversion: \"1.0.0\"\nmodel:\n  hf_repo: a/b\n  formats: [gguf]\ntest_matrix: {}\n", "q2.yaml", {});
  REQUIRE(pb2.ok());
  auto plan2 = build_plan(*pb2, *cat, po);
  REQUIRE(plan2.ok());
  for (const auto& g : plan2->gate_ids()) CHECK(g.rfind("F-QUANT", 0) != 0);
}
