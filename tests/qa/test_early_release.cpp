// Which artifact folders a run may remove before it ends (qa/early_release.hpp).
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <set>

#include <unistd.h>

#include "qa/early_release.hpp"

namespace fs = std::filesystem;
using namespace apr;
using namespace apr::qa;

namespace {

Node node(const std::string& id, NodeKind kind, std::vector<std::string> deps, std::string artifact = "") {
  Node n;
  n.id = id;
  n.kind = kind;
  n.deps = std::move(deps);
  n.artifact = std::move(artifact);
  return n;
}

// resolve -> c1 (APR) -> c2 (GGUF); i1 = the shared run of c1; g1 compares c1 and c2, g2 reads i1.
Plan small_plan() {
  Plan p;
  p.out_dir = "/out";
  p.nodes = {node("n0", NodeKind::resolve, {}, "/models/m.safetensors"),
             node("c1", NodeKind::convert, {"n0"}, "/out/artifacts/a1/model.apr"),
             node("c2", NodeKind::convert, {"c1"}, "/out/artifacts/a2/model.gguf"),
             node("i1", NodeKind::infer, {"c1"}, "/out/runs/r1/run.json"),
             node("g1", NodeKind::check, {"c1", "c2"}),
             node("g2", NodeKind::check, {"i1"})};
  return p;
}

std::set<std::string> ids(const Plan& p, const std::vector<std::size_t>& v) {
  std::set<std::string> s;
  for (std::size_t i : v) s.insert(p.nodes[i].id);
  return s;
}

}  // namespace

TEST_CASE("retention_unit: the folder directly under <out>/artifacts or <out>/runs, nothing else") {
  CHECK(retention_unit("/out/artifacts/k1/model.apr", "/out") == fs::path("/out/artifacts/k1"));
  CHECK(retention_unit("/out/runs/k2/run.logits.f32", "/out") == fs::path("/out/runs/k2"));
  CHECK(retention_unit("/out/artifacts/k1/sub/x", "/out") == fs::path("/out/artifacts/k1"));
  CHECK_FALSE(retention_unit("/models/m.safetensors", "/out"));
  CHECK_FALSE(retention_unit("/out/evidence.json", "/out"));
  CHECK_FALSE(retention_unit("/out/artifacts", "/out"));
  CHECK_FALSE(retention_unit("/out/artifacts/../evidence.json", "/out"));
}

TEST_CASE("ReleasePlanner: a folder goes once its maker and every node after it are done") {
  const Plan p = small_plan();
  std::set<std::string> done;
  auto is_done = [&](std::size_t i) { return done.count(p.nodes[i].id) > 0; };
  auto never = [](std::size_t) { return false; };
  ReleasePlanner r(p);
  CHECK(r.releasable(is_done, never).empty());
  done = {"n0", "c1", "c2", "i1", "g1"};
  // c2 is read by g1 only (done); c1 is still needed through i1 -> g2; the input never goes.
  CHECK(ids(p, r.releasable(is_done, never)) == std::set<std::string>{"c2"});
  CHECK(r.unit(p.index_of("c2")) == fs::path("/out/artifacts/a2"));
  CHECK(r.releasable(is_done, never).empty());  // each folder is returned once
  done.insert("g2");
  CHECK(ids(p, r.releasable(is_done, never)) == std::set<std::string>{"c1", "i1"});
  CHECK(r.releasable(is_done, never).empty());
}

TEST_CASE("ReleasePlanner: a failed reader keeps the folders it depends on (keep=failed)") {
  const Plan p = small_plan();
  auto all_done = [](std::size_t) { return true; };
  auto g1_failed = [&](std::size_t i) { return p.nodes[i].id == "g1"; };
  ReleasePlanner r(p);
  // g1 depends on c1 and c2: both kept; i1 (read by g2 only) goes.
  CHECK(ids(p, r.releasable(all_done, g1_failed)) == std::set<std::string>{"i1"});
  auto c2_failed = [&](std::size_t i) { return p.nodes[i].id == "c2"; };
  ReleasePlanner r2(p);
  CHECK(ids(p, r2.releasable(all_done, c2_failed)) == std::set<std::string>{"i1"});  // c2 failed: c1 (its input) stays too
}

TEST_CASE("ReleasePlanner: no folder of a kind goes while a node of that kind may still reuse it") {
  Plan p = small_plan();
  p.nodes.push_back(node("c3", NodeKind::convert, {"n0"}, "/out/artifacts/a3/model.apr"));  // a possible twin of c1
  std::set<std::string> done = {"n0", "c1", "c2", "i1", "g1", "g2"};
  auto is_done = [&](std::size_t i) { return done.count(p.nodes[i].id) > 0; };
  auto never = [](std::size_t) { return false; };
  ReleasePlanner r(p);
  // The run i1 may go (no infer node is pending); c1 and c2 wait for c3, which could hard-link them.
  CHECK(ids(p, r.releasable(is_done, never)) == std::set<std::string>{"i1"});
  done.insert("c3");
  CHECK(ids(p, r.releasable(is_done, never)) == std::set<std::string>{"c1", "c2", "c3"});
}

TEST_CASE("BackgroundRemover removes folders off the caller's thread and reports each") {
  const fs::path root = fs::temp_directory_path() / ("apr_release_" + std::to_string(::getpid()));
  fs::remove_all(root);
  for (const char* d : {"a/x", "b", "c/y/z"}) {
    fs::create_directories(root / d);
    std::ofstream(root / d / "f.bin") << "bytes";
  }
  BackgroundRemover rm;
  rm.remove(root / "a", 1);
  rm.remove(root / "c", 3);
  rm.remove(root / "missing", 4);  // already gone: nothing to do, not an error
  auto [removed, error] = rm.finish();
  std::sort(removed.begin(), removed.end());
  CHECK(removed == std::vector<std::size_t>{1, 3, 4});
  CHECK_FALSE(error);
  CHECK_FALSE(fs::exists(root / "a"));
  CHECK_FALSE(fs::exists(root / "c"));
  CHECK(fs::exists(root / "b" / "f.bin"));
  fs::remove_all(root);
}
