// Content reuse (qa/content_reuse.hpp): which nodes may take a finished twin's output, what makes
// two nodes twins, and the hard links that carry the output over.
#include <doctest/doctest.h>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "core/hash.hpp"
#include "qa/content_reuse.hpp"

using namespace apr::qa;
namespace fs = std::filesystem;
using nlohmann::json;

static fs::path work_dir(const std::string& name) {
  fs::path d = fs::path(APR_QA_BINARY_DIR) / "tests/qa_work" / name;
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

static void write(const fs::path& p, const std::string& s) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << s;
}

static Node convert_node(const std::string& id, const fs::path& artifact, const std::string& target, int replica = 0) {
  Node n;
  n.id = id;
  n.kind = NodeKind::convert;
  n.deps = {"parent"};
  n.format = target;
  n.artifact = artifact.string();
  n.params = {{"source", "/x/model.gguf"}, {"target", target}, {"output", n.artifact}, {"replica", replica}, {"reuse", false}};
  return n;
}

static Node infer_node(const std::string& id, const std::string& model, const std::string& prompt, int tokens) {
  Node n;
  n.id = id;
  n.kind = NodeKind::infer;
  n.deps = {"art"};
  n.artifact = "/out/runs/" + id + "/run.json";
  n.params = {{"model", model}, {"format", "gguf"}, {"prompt", prompt}, {"max_tokens", tokens},
              {"output", n.artifact}, {"chat", false}, {"logits", true}};
  return n;
}

TEST_CASE("content keys: same input bytes and parameters, whatever the paths") {
  Node in;
  in.kind = NodeKind::convert;
  in.format = "gguf";
  Node a = convert_node("a", "/o/artifacts/1/model.apr", "apr"), b = convert_node("b", "/o/artifacts/2/model.apr", "apr");
  b.params["source"] = "/elsewhere/model.gguf";
  REQUIRE(content_key(a, in, "X"));
  CHECK(content_key(a, in, "X") == content_key(b, in, "X"));
  CHECK(content_key(a, in, "X") != content_key(a, in, "Y"));  // other input bytes
  Node c = convert_node("c", "/o/artifacts/3/model.safetensors", "safetensors");
  CHECK(content_key(a, in, "X") != content_key(c, in, "X"));  // other target
  Node in_apr = in;
  in_apr.format = "apr";
  CHECK(content_key(a, in, "X") != content_key(a, in_apr, "X"));  // other source format
  // Never reused: replicas (idempotency converts twice on purpose), gate-carrying nodes,
  // --reuse-artifacts conversions (a planted artifact stays).
  CHECK_FALSE(content_key(convert_node("r", "/o/artifacts/4/model.apr", "apr", 1), in, "X"));
  Node g = a;
  g.gates = {"G0-FORMAT-APR-001"};
  CHECK_FALSE(content_key(g, in, "X"));
  Node r = a;
  r.params["reuse"] = true;
  CHECK_FALSE(content_key(r, in, "X"));

  Node i1 = infer_node("i1", "/o/artifacts/1/model.gguf", "What is 2+2?", 8);
  Node i2 = infer_node("i2", "/o/artifacts/2/model.gguf", "What is 2+2?", 8);
  REQUIRE(content_key(i1, in, "X"));
  CHECK(content_key(i1, in, "X") == content_key(i2, in, "X"));
  CHECK(content_key(i1, in, "X") != content_key(i1, in, "Y"));
  CHECK(content_key(i1, in, "X") != content_key(infer_node("i3", "/m", "What is 3+3?", 8), in, "X"));
  CHECK(content_key(i1, in, "X") != content_key(infer_node("i4", "/m", "What is 2+2?", 32), in, "X"));
  Node chat = i2;
  chat.params["chat"] = true;
  CHECK(content_key(i1, in, "X") != content_key(chat, in, "X"));
  Node nolog = i2;
  nolog.params["logits"] = false;
  CHECK(content_key(i1, in, "X") != content_key(nolog, in, "X"));
  // A draft (the source's run, a second dependency) does not change what a run computes.
  Node drafted = i2;
  drafted.params["draft_run"] = "/o/runs/9/run.json";
  drafted.deps.push_back("source-run");
  CHECK(single_input(drafted));
  CHECK(content_key(drafted, in, "X") == content_key(i1, in, "X"));
  Node two = i2;
  two.deps.push_back("other");  // a second input that is not a draft
  CHECK_FALSE(single_input(two));
  CHECK_FALSE(content_key(two, in, "X"));
  Node check;
  check.kind = NodeKind::check;
  check.deps = {"art"};
  CHECK_FALSE(content_key(check, in, "X"));
}

TEST_CASE("content id of an artifact: the model's sha256 and every file beside it") {
  fs::path d = work_dir("content_reuse_id");
  write(d / "1/model.safetensors", "weights");
  write(d / "1/config.json", "{\"a\":1}");
  write(d / "2/model.safetensors", "weights");
  write(d / "2/config.json", "{\"a\":2}");
  Node n1 = convert_node("n1", d / "1/model.safetensors", "safetensors");
  Node n2 = convert_node("n2", d / "2/model.safetensors", "safetensors");
  auto sha = *apr::sha256_file(d / "1/model.safetensors");
  json arts1 = json::array({{{"path", fs::absolute(n1.artifact).string()}, {"sha256", sha}}});
  json arts2 = json::array({{{"path", fs::absolute(n2.artifact).string()}, {"sha256", sha}}});
  auto id1 = artifact_content_id(n1, arts1), id2 = artifact_content_id(n2, arts2);
  REQUIRE(id1);
  REQUIRE(id2);
  CHECK(*id1 != *id2);  // same model bytes, different config.json
  write(d / "2/config.json", "{\"a\":1}");
  CHECK(artifact_content_id(n2, arts2) == id1);
  write(d / "2/.partial-1.safetensors", "temporary");  // hidden temporaries are not content
  CHECK(artifact_content_id(n2, arts2) == id1);
  write(d / "2/tokenizer.json", "{}");  // a file on one side only
  CHECK(artifact_content_id(n2, arts2) != id1);
  CHECK_FALSE(artifact_content_id(n1, json::array()));  // sha256 unknown (another shard's node)
  Node res;
  res.kind = NodeKind::resolve;
  res.key = "abc";
  CHECK(artifact_content_id(res, json::array()) == std::optional<std::string>("abc"));
}

TEST_CASE("reused outputs are hard links at the node's own paths") {
  fs::path d = work_dir("content_reuse_link");
  write(d / "a/model.safetensors", "weights");
  write(d / "a/tokenizer.json", "{}");
  write(d / "b/stale.json", "old");  // whatever was there before goes
  Node from = convert_node("from", d / "a/model.safetensors", "safetensors");
  Node to = convert_node("to", d / "b/model.safetensors", "safetensors");
  json arts = json::array({{{"path", fs::absolute(from.artifact).string()}, {"sha256", "s"}, {"bytes", 7}}});
  json out = reuse_outputs(from, to, arts);
  REQUIRE(out.size() == 1);
  CHECK(out[0]["path"] == fs::absolute(to.artifact).string());
  CHECK(out[0]["sha256"] == "s");
  CHECK(fs::exists(d / "b/tokenizer.json"));
  CHECK_FALSE(fs::exists(d / "b/stale.json"));
  struct stat sa{}, sb{};
  REQUIRE(::stat((d / "a/model.safetensors").c_str(), &sa) == 0);
  REQUIRE(::stat((d / "b/model.safetensors").c_str(), &sb) == 0);
  CHECK(sa.st_ino == sb.st_ino);
  CHECK(fs::hard_link_count(d / "a/model.safetensors") == 2);
}
