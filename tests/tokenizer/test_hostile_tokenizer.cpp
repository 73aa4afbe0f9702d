// Hostile tokenizer.json files: nesting that would overflow the stack, a sparse id that would
// allocate 1e8 filler tokens, a FIFO in place of the file. Each is a one-line Error naming the
// file and the field.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>

#include "tokenizer/hf_json.hpp"
#include "tokenizer/load_tokenizer.hpp"

namespace fs = std::filesystem;
using apr::ErrorCategory;
using nlohmann::json;

namespace {

json base_tokenizer() {
  json vocab = json::object();
  for (int i = 0; i < 256; ++i) vocab["t" + std::to_string(i)] = i;
  return json{{"model", {{"type", "BPE"}, {"vocab", vocab}, {"merges", json::array()}}},
              {"pre_tokenizer", {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"use_regex", true}}}};
}

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("apr-qa-hostile-tok-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  fs::path write(const std::string& name, const std::string& text) const {
    std::ofstream(dir / name, std::ios::binary) << text;
    return dir / name;
  }
};

bool has(const apr::Error& e, const std::string& s) { return std::string(e.what()).find(s) != std::string::npos; }

}  // namespace

TEST_CASE("hostile tokenizer: a token at id 100,000,000 is refused before allocating fillers") {
  json tj = base_tokenizer();
  tj["model"]["vocab"]["far"] = 100000000;
  auto r = apr::tok::hf_tokenizer_from_json(tj, nullptr, "tokenizer.json");
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == ErrorCategory::validation);
  CHECK(has(r.error(), "tokenizer.json"));
  CHECK(has(r.error(), "model.vocab"));
  CHECK(has(r.error(), "ids up to 100000000"));
  // Holes within the allowance are still filled as before.
  tj["model"]["vocab"]["far"] = 300;
  CHECK(apr::tok::hf_tokenizer_from_json(tj, nullptr, "tokenizer.json").ok());
}

TEST_CASE("hostile tokenizer: pre_tokenizer Sequence nesting is bounded") {
  // 200k levels in a file: the JSON reader stops at depth 128.
  Scratch s;
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += R"({"type":"Sequence","pretokenizers":[)";
  for (int i = 0; i < 200000; ++i) deep += "]}";
  json tj = base_tokenizer();
  tj.erase("pre_tokenizer");
  std::string text = tj.dump();
  text = text.substr(0, text.size() - 1) + ",\"pre_tokenizer\":" + deep + "}";
  auto p = s.write("tokenizer.json", text);
  auto r = apr::tok::load_hf_tokenizer(p, std::nullopt);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == ErrorCategory::parse);
  CHECK(has(r.error(), "nested deeper than 128"));
  // 12 levels built in memory: the walk's own limit.
  json pre = {{"type", "ByteLevel"}, {"add_prefix_space", false}};
  for (int i = 0; i < 12; ++i) pre = {{"type", "Sequence"}, {"pretokenizers", json::array({pre})}};
  json t2 = base_tokenizer();
  t2["pre_tokenizer"] = pre;
  auto r2 = apr::tok::hf_tokenizer_from_json(t2, nullptr, "tokenizer.json");
  REQUIRE_FALSE(r2.ok());
  CHECK(has(r2.error(), "pre_tokenizer"));
  CHECK(has(r2.error(), "nested at most 8"));
}

TEST_CASE("hostile tokenizer: a FIFO as tokenizer.json or model is refused at once") {
  Scratch s;
  const fs::path fifo = s.dir / "tokenizer.json";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  auto r = apr::tok::load_tokenizer_data(fifo);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().category() == ErrorCategory::validation);
  CHECK(has(r.error(), "FIFO"));
  auto r2 = apr::tok::load_tokenizer_data(s.dir);  // the directory's tokenizer.json is the FIFO
  REQUIRE_FALSE(r2.ok());
  CHECK(has(r2.error(), "FIFO"));
  CHECK(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 2.0);
}
