// Strict artifact resolution and magic-byte detection: every case of issue 2 §4.
#include "formats/detect.hpp"
#include "formats/gguf.hpp"
#include "formats/resolve.hpp"
#include "formats/safetensors.hpp"
#include "formats/apr.hpp"
#include "helpers.hpp"

using namespace apr;
using apr::test::TempDir;
namespace fs = std::filesystem;

namespace {
void make_gguf(const fs::path& p) {
  gguf::Writer w;
  w.add_kv("general.architecture", gguf::Value::str("llama"));
  w.write(p);
}
void make_apr(const fs::path& p) { aprfmt::Writer().write(p); }
void make_st(const fs::path& p) {
  static const std::vector<std::byte> d(16);
  safetensors::Writer w;
  w.add_tensor("w", GgmlType::F32, {4}, test::as_span(d));
  w.write(p);
}
void make_sharded(const fs::path& dir) {
  static const std::vector<std::byte> d(400);
  safetensors::Writer w;
  for (int k = 0; k < 3; ++k) w.add_tensor("t" + std::to_string(k), GgmlType::F32, {100}, test::as_span(d));
  w.write_sharded(dir, 500);
}
void sidecars(const fs::path& dir) {
  for (const char* n : {"config.json", "tokenizer.json", "tokenizer_config.json", "generation_config.json"})
    test::write_bytes(dir / n, "{}");
}
ResolveOptions hub(const fs::path& root) {
  ResolveOptions o;
  o.hf_hub_cache = root.string();
  return o;
}
}  // namespace

TEST_CASE("detect: by magic bytes only, never by extension") {
  TempDir dir;
  make_gguf(dir / "model.apr");  // a GGUF with a misleading extension
  make_apr(dir / "weights.bin");
  make_st(dir / "noext");
  CHECK(detect_format_of_file(dir / "model.apr").value() == ModelFormat::gguf);
  CHECK(detect_format_of_file(dir / "weights.bin").value() == ModelFormat::apr);
  CHECK(detect_format_of_file(dir / "noext").value() == ModelFormat::safetensors);
  test::write_bytes(dir / "junk.gguf", "hello world, not a model");
  test::expect_error(detect_format_of_file(dir / "junk.gguf"), ErrorCategory::parse, {"junk.gguf", "68 65 6c 6c"});
  test::write_bytes(dir / "empty.gguf", "");
  test::expect_error(detect_format_of_file(dir / "empty.gguf"), ErrorCategory::parse, {"empty file"});
  test::expect_error(detect_format_of_file(dir.path), ErrorCategory::io, {"is a directory"});
  test::expect_error(detect_format_of_file(dir / "missing"), ErrorCategory::io, {"no such file"});
  CHECK(format_from_name("st") == ModelFormat::safetensors);
  CHECK_FALSE(format_from_name("bin").has_value());
  CHECK(std::string(file_extension(ModelFormat::apr)) == ".apr");
}

TEST_CASE("resolve: a file resolves by magic, safetensors picks up sibling configs") {
  TempDir dir;
  make_gguf(dir / "a.gguf");
  auto r = resolve_artifact((dir / "a.gguf").string());
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->format == ModelFormat::gguf);
  CHECK(r->model_file == dir / "a.gguf");
  CHECK(r->shards.empty());
  fs::create_directories(dir / "snap");
  make_st(dir / "snap" / "model.safetensors");
  sidecars(dir / "snap");
  auto s = resolve_artifact((dir / "snap" / "model.safetensors").string());
  REQUIRE_MESSAGE(s.ok(), s.error().what());
  CHECK(s->format == ModelFormat::safetensors);
  CHECK(s->shards == std::vector<fs::path>{dir / "snap" / "model.safetensors"});
  CHECK(s->config_json == dir / "snap" / "config.json");
  CHECK(s->generation_config_json == dir / "snap" / "generation_config.json");
}

TEST_CASE("resolve: HF snapshot directories, single and sharded") {
  TempDir dir;
  fs::create_directories(dir / "single");
  make_st(dir / "single" / "model.safetensors");
  sidecars(dir / "single");
  auto r = resolve_artifact((dir / "single").string());
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->model_file == dir / "single" / "model.safetensors");
  CHECK(r->tokenizer_json == dir / "single" / "tokenizer.json");
  CHECK(r->tokenizer_config_json == dir / "single" / "tokenizer_config.json");

  fs::create_directories(dir / "sharded");
  make_sharded(dir / "sharded");
  sidecars(dir / "sharded");
  auto s = resolve_artifact((dir / "sharded").string());
  REQUIRE_MESSAGE(s.ok(), s.error().what());
  CHECK(s->format == ModelFormat::safetensors);
  CHECK(s->model_file == dir / "sharded" / "model.safetensors.index.json");
  CHECK(s->shards.size() == 3);
  CHECK(s->shards[0] == dir / "sharded" / "model-00001-of-00003.safetensors");
  CHECK(s->config_json.has_value());
  // The index file itself resolves the same way.
  auto t = resolve_artifact((dir / "sharded" / "model.safetensors.index.json").string());
  REQUIRE_MESSAGE(t.ok(), t.error().what());
  CHECK(t->shards == s->shards);
}

TEST_CASE("resolve: a directory with exactly one GGUF/APR, and with two candidates") {
  TempDir dir;
  fs::create_directories(dir / "one");
  make_apr(dir / "one" / "Qwen2.5-Coder-0.5B-Instruct.apr");
  test::write_bytes(dir / "one" / "README.md", "# readme");
  auto r = resolve_artifact((dir / "one").string());
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->format == ModelFormat::apr);
  CHECK(r->model_file.filename() == "Qwen2.5-Coder-0.5B-Instruct.apr");

  fs::create_directories(dir / "two");
  make_gguf(dir / "two" / "a.gguf");
  make_gguf(dir / "two" / "b.gguf");
  auto t = resolve_artifact((dir / "two").string());
  test::expect_error(t, ErrorCategory::validation, {"ambiguous", "2 candidates", "a.gguf", "b.gguf"});

  fs::create_directories(dir / "mixed");
  make_st(dir / "mixed" / "model.safetensors");
  make_gguf(dir / "mixed" / "model.gguf");
  test::expect_error(resolve_artifact((dir / "mixed").string()), ErrorCategory::validation,
                     {"model.safetensors", "model.gguf"});

  fs::create_directories(dir / "none");
  test::write_bytes(dir / "none" / "notes.txt", "nothing here");
  test::expect_error(resolve_artifact((dir / "none").string()), ErrorCategory::io,
                     {"no model file", "notes.txt"});
}

TEST_CASE("resolve: a directory is never handed to a reader as a file") {
  TempDir dir;
  fs::create_directories(dir / "model.gguf");  // a directory named like a model file
  make_gguf(dir / "model.gguf" / "real.gguf");
  auto r = resolve_artifact((dir / "model.gguf").string());
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(fs::is_regular_file(r->model_file));
  CHECK(r->model_file.filename() == "real.gguf");
  // Readers themselves refuse directories with an io error naming the path.
  test::expect_error(gguf::Reader::open(dir / "model.gguf"), ErrorCategory::io, {"is a directory"});
  test::expect_error(aprfmt::Reader::open(dir.path), ErrorCategory::io, {"is a directory"});
  test::expect_error(safetensors::Reader::open(dir.path), ErrorCategory::io, {"is a directory"});
}

TEST_CASE("resolve: HF repo ids through the HF cache, dotted names intact") {
  TempDir dir;
  fs::path root = dir / "hub";
  fs::path repo = root / "models--Qwen--Qwen2.5-Coder-0.5B-Instruct";
  fs::path snap = repo / "snapshots" / "abc123";
  fs::create_directories(snap);
  make_st(repo / "blobs-model");
  fs::create_directories(repo / "refs");
  test::write_bytes(repo / "refs" / "main", "abc123\n");
  fs::create_directory_symlink("..", snap / "loop");  // a stray entry must not confuse the scan
  fs::create_symlink(repo / "blobs-model", snap / "model.safetensors");  // HF uses symlinks into blobs
  sidecars(snap);
  auto r = resolve_artifact("Qwen/Qwen2.5-Coder-0.5B-Instruct", hub(root));
  REQUIRE_MESSAGE(r.ok(), r.error().what());
  CHECK(r->model_file == snap / "model.safetensors");
  CHECK(r->origin == "Qwen/Qwen2.5-Coder-0.5B-Instruct");
  CHECK(r->config_json == snap / "config.json");

  // HF_HOME/hub and ~/.cache/huggingface/hub fallbacks.
  ResolveOptions viahome;
  viahome.hf_home = dir.path.string();  // dir/hub
  viahome.hf_hub_cache = std::nullopt;
  CHECK(resolve_artifact("Qwen/Qwen2.5-Coder-0.5B-Instruct", viahome).ok());
  fs::create_directories(dir / "home" / ".cache" / "huggingface");
  fs::create_directory_symlink(root, dir / "home" / ".cache" / "huggingface" / "hub");
  ResolveOptions viah;
  viah.hf_hub_cache = "";
  viah.hf_home = "";
  viah.home = (dir / "home").string();
  auto h = resolve_artifact("Qwen/Qwen2.5-Coder-0.5B-Instruct", viah);
  REQUIRE_MESSAGE(h.ok(), h.error().what());

  // A sharded snapshot without refs/main (one snapshot) resolves to its index.
  fs::path srepo = root / "models--org--big.model-v1.5";
  make_sharded(srepo / "snapshots" / "r1");
  auto s = resolve_artifact("org/big.model-v1.5", hub(root));
  REQUIRE_MESSAGE(s.ok(), s.error().what());
  CHECK(s->model_file == srepo / "snapshots" / "r1" / "model.safetensors.index.json");
  CHECK(s->shards.size() == 3);

  // Two snapshots and no refs/main: ambiguous, both listed.
  make_sharded(srepo / "snapshots" / "r2");
  test::expect_error(resolve_artifact("org/big.model-v1.5", hub(root)), ErrorCategory::validation, {"r1", "r2"});

  // Missing repo: names what was looked for and what exists.
  test::expect_error(resolve_artifact("Qwen/Qwen2.5-Coder-1.5B", hub(root)), ErrorCategory::io,
                     {"models--Qwen--Qwen2.5-Coder-1.5B", "models--Qwen--Qwen2.5-Coder-0.5B-Instruct"});
  // Neither a path nor a repo id.
  test::expect_error(resolve_artifact((dir / "nope" / "x" / "y.gguf").string(), hub(root)), ErrorCategory::io,
                     {"no such file"});
}

TEST_CASE("resolve: sharded index paths are confined to the snapshot") {
  TempDir dir;
  fs::create_directories(dir / "s");
  test::write_bytes(dir / "s" / "model.safetensors.index.json",
                    R"({"metadata":{},"weight_map":{"a":"../outside.safetensors"}})");
  test::expect_error(resolve_artifact((dir / "s").string()), ErrorCategory::validation, {"../outside.safetensors"});
  test::write_bytes(dir / "s" / "model.safetensors.index.json", R"({"weight_map":{"a":"/etc/passwd"}})");
  test::expect_error(resolve_artifact((dir / "s").string()), ErrorCategory::validation, {"/etc/passwd"});
  test::write_bytes(dir / "s" / "model.safetensors.index.json", R"({"weight_map":{"a":"missing.safetensors"}})");
  test::expect_error(resolve_artifact((dir / "s").string()), ErrorCategory::io, {"missing.safetensors"});
}
