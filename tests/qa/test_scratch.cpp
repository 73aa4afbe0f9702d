// `run --scratch`: the plan's artifact paths move to the scratch folder and back, the resume
// signature does not see where they are, and a folder too small for the run is refused.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "qa/plan.hpp"
#include "qa/scratch.hpp"
#include "seed_plan_fixture.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;

namespace {
Plan seed_plan(const std::optional<fs::path>& scratch) {
  PlanOptions po;
  po.out_dir = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/scratch_out";
  po.scratch_dir = scratch;
  return testing::seed_plan_with(po, "scratch_snapshot");
}

bool under(const std::string& p, const fs::path& dir) { return p.rfind(dir.string() + "/", 0) == 0; }
}  // namespace

TEST_CASE("work_dir_for: one folder per output folder, the same for a run and its resume") {
  const fs::path a = work_dir_for("/dev/shm", "/data/out-a"), b = work_dir_for("/dev/shm", "/data/out-b");
  CHECK(a.parent_path() == "/dev/shm");
  CHECK(a.filename().string().rfind("apr-qa-", 0) == 0);
  CHECK(a.filename().string().size() == 7 + 16);
  CHECK(a != b);
  CHECK(work_dir_for("/dev/shm", "/data/out-a/") == a);
  CHECK(work_dir_for("/dev/shm", "/data/x/../out-a") == a);
}

TEST_CASE("a plan with a scratch folder puts every artifact there, and relocating it gives the plain plan") {
  const Plan plain = seed_plan(std::nullopt);
  const fs::path scr = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/scratch_dir";
  Plan sp = seed_plan(scr);
  CHECK(plain.work() == plain.out_dir);
  CHECK(sp.work_dir == work_dir_for(scr, sp.out_dir));
  CHECK(sp.out_dir == plain.out_dir);
  REQUIRE(sp.nodes.size() == plain.nodes.size());
  int converts = 0, infers = 0;
  for (const auto& n : sp.nodes) {
    if (n.kind == NodeKind::convert) {
      ++converts;
      CHECK(under(n.artifact, sp.work_dir / "artifacts"));
    }
    if (n.kind == NodeKind::infer) {
      ++infers;
      CHECK(under(n.artifact, sp.work_dir / "runs"));
    }
    CHECK(n.params.dump().find(sp.out_dir.string() + "/artifacts") == std::string::npos);
  }
  CHECK(converts >= 10);
  CHECK(infers >= 5);
  // The journal's guard: the same plan wherever its artifacts are.
  CHECK(sp.signature() == plain.signature());
  Plan other = seed_plan(fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/scratch_dir2");
  CHECK(other.signature() == plain.signature());
  // A folder whose name JSON escapes (a quote, a backslash) is still seen through.
  Plan odd = seed_plan(fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/scr\"a\\b");
  CHECK(odd.work_dir.string().find('"') != std::string::npos);
  CHECK(odd.signature() == plain.signature());

  relocate_work_dir(sp, sp.out_dir);
  CHECK(sp.work_dir == plain.out_dir);
  for (std::size_t i = 0; i < sp.nodes.size(); ++i) {
    CAPTURE(sp.nodes[i].id);
    CHECK(sp.nodes[i].artifact == plain.nodes[i].artifact);
    CHECK(sp.nodes[i].params == plain.nodes[i].params);
  }
  CHECK(sp.signature() == plain.signature());
}

TEST_CASE("plan_fits_scratch: one input-sized file per conversion must fit; on a tmpfs the memory too") {
  const Plan plain = seed_plan(std::nullopt);
  const std::uint64_t gb = 1000ull * 1000 * 1000;
  // The input's size is what the planner hashed (every file of the snapshot), at least.
  std::uint64_t hashed = 0;
  for (const auto& d : plain.input_digests) hashed += d.bytes;
  CHECK(hashed > 0);
  CHECK(input_model_bytes(plain) >= hashed);
  const std::uint64_t need = scratch_bytes_needed(plain, gb);
  int converts = 0;
  for (const auto& n : plain.nodes) converts += n.kind == NodeKind::convert;
  CHECK(need >= static_cast<std::uint64_t>(converts) * gb);
  CHECK(need < static_cast<std::uint64_t>(converts + 3) * gb);

  ScratchSpace disk{need, false, 0};
  CHECK(plan_fits_scratch(plain, gb, disk, "/scr").empty());
  disk.free_bytes = need - 1;
  const std::string why = plan_fits_scratch(plain, gb, disk, "/scr");
  CHECK(why.find("--scratch /scr") != std::string::npos);
  CHECK(why.find("free") != std::string::npos);

  // A tmpfs with room on paper but less memory available: memory decides.
  ScratchSpace shm{need * 2, true, need / 2};
  CHECK(shm.usable() == need / 2);
  const std::string mem = plan_fits_scratch(plain, gb, shm, "/dev/shm");
  CHECK(mem.find("memory available") != std::string::npos);
  shm.mem_available = need * 3;
  CHECK(plan_fits_scratch(plain, gb, shm, "/dev/shm").empty());
  // A disk folder ignores the memory figure.
  ScratchSpace d2{need, false, 1};
  CHECK(d2.usable() == need);
}

TEST_CASE("move_path: a folder moves with its files; an existing target is replaced") {
  const fs::path root = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work/scratch_move";
  fs::remove_all(root);
  fs::create_directories(root / "from/sub");
  std::ofstream(root / "from/sub/model.gguf") << "weights";
  fs::create_directories(root / "to/unit");
  std::ofstream(root / "to/unit/stale") << "old";
  move_path(root / "from", root / "to/unit");
  CHECK(!fs::exists(root / "from"));
  CHECK(!fs::exists(root / "to/unit/stale"));
  std::ifstream in(root / "to/unit/sub/model.gguf");
  std::string s;
  in >> s;
  CHECK(s == "weights");
}

TEST_CASE("rebase_path: the folder and paths under it move, nothing else") {
  std::string p = "/scr/w/artifacts/model.gguf";
  rebase_path(p, "/scr/w", "/out");
  CHECK(p == "/out/artifacts/model.gguf");
  std::string sibling = "/scr/w2/artifacts/model.gguf";  // a prefix, but not a folder of it
  rebase_path(sibling, "/scr/w", "/out");
  CHECK(sibling == "/scr/w2/artifacts/model.gguf");
  std::string same = "/scr/w";  // the folder itself
  rebase_path(same, "/scr/w", "/out");
  CHECK(same == "/out");
  std::string inner = "--in=/scr/w/x";  // not a path that starts there
  rebase_path(inner, "/scr/w", "/out");
  CHECK(inner == "--in=/scr/w/x");
  nlohmann::json j = {{"a", "/scr/w/x"}, {"b", {"/scr/w/y", 3, "/other/z"}}, {"c", {{"d", "/scr/w/q"}}}};
  rebase_paths(j, "/scr/w", "/out");
  CHECK(j == nlohmann::json{{"a", "/out/x"}, {"b", {"/out/y", 3, "/other/z"}}, {"c", {{"d", "/out/q"}}}});
}
