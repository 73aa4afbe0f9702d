// Hostile inputs at the core layer: bounded JSON nesting, linear-time parsing with duplicate
// detection, bounded message excerpts, escaped error fields, FIFOs refused without blocking.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>

#include "core/error.hpp"
#include "core/file_read.hpp"
#include "core/json_parse.hpp"
#include "core/mapped_file.hpp"
#include "core/printable.hpp"

namespace fs = std::filesystem;
using namespace apr;

namespace {

std::string deep_array(std::size_t depth) { return std::string(depth, '[') + std::string(depth, ']'); }

template <typename F>
std::string error_of(F&& f, ErrorCategory* cat = nullptr) {
  try {
    f();
  } catch (const Error& e) {
    if (cat) *cat = e.category();
    return e.what();
  }
  return {};
}

struct Scratch {
  fs::path dir = fs::temp_directory_path() / ("apr-qa-hostile-core-" + std::to_string(::getpid()));
  Scratch() { fs::create_directories(dir); }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
};

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

TEST_CASE("hostile json: nesting 100k deep is a parse error with the offset, not a stack overflow") {
  const std::string text = "{\"a\": " + deep_array(100000) + "}";
  ErrorCategory cat{};
  const auto msg = error_of([&] { (void)parse_json_bounded(text, "header.json"); }, &cat);
  CHECK(cat == ErrorCategory::parse);
  CHECK(msg.find("header.json") != std::string::npos);
  CHECK(msg.find("nested deeper than 128") != std::string::npos);
  CHECK(msg.find("offset 133") != std::string::npos);  // the 128th "[" opens level 129
  CHECK(msg.find('\n') == std::string::npos);
  // At the limit it parses.
  CHECK(parse_json_bounded(deep_array(128), "x").is_array());
}

TEST_CASE("hostile json: duplicate keys rejected on request, last wins otherwise") {
  ErrorCategory cat{};
  auto msg = error_of([&] { (void)parse_json_bounded(R"({"a":1,"b":{"c":1,"c":2}})", "h", {kMaxJsonDepth, true}); }, &cat);
  CHECK(cat == ErrorCategory::validation);
  CHECK(msg.find("duplicate key 'c'") != std::string::npos);
  CHECK(parse_json_bounded(R"({"c":1,"c":2})", "h")["c"] == 2);
  msg = error_of([&] { (void)parse_json_bounded("{\"a\": tru}", "h"); }, &cat);
  CHECK(cat == ErrorCategory::parse);
  CHECK(msg.find("malformed JSON") != std::string::npos);
}

TEST_CASE("hostile json: 100k-entry object with duplicate detection parses in linear time") {
  std::string text = "{";
  for (int i = 0; i < 100000; ++i)
    text += (i ? "," : "") + std::string("\"tensor.") + std::to_string(i) + "\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}";
  text += "}";
  const auto t0 = std::chrono::steady_clock::now();
  auto j = parse_json_bounded(text, "h", {kMaxJsonDepth, true});
  const double s = seconds_since(t0);
  MESSAGE("100k entries parsed in " << s << " s");
  CHECK(j.size() == 100000);
  CHECK(s < 5.0);  // the callback parser took > 120 s
}

TEST_CASE("hostile json: excerpts are bounded, one line, escaped") {
  nlohmann::json deep = nlohmann::json::array();
  for (int i = 0; i < 100; ++i) deep = nlohmann::json::array({deep});
  auto e = json_excerpt(deep);
  CHECK(e.size() < 100);
  CHECK(e.find("[...]") != std::string::npos);
  auto s = json_excerpt(nlohmann::json(std::string(100000, 'x') + "\x1b[31m\n"));
  CHECK(s.size() <= 90);
  auto c = json_excerpt(nlohmann::json("a\x1b\nb"));
  CHECK(c == "\"a\\u001b\\u000ab\"");
}

TEST_CASE("hostile json: error lines escape control characters and cap their length") {
  Error e = validation_error("found \"\x1b[2J\r\nFAKE: ok\"").at_path("model\n.gguf").at_key(std::string(5000, 'k'));
  const std::string w = e.what();
  CHECK(w.find('\n') == std::string::npos);
  CHECK(w.find('\r') == std::string::npos);
  CHECK(w.find('\x1b') == std::string::npos);
  CHECK(w.find("\\x1b[2J\\r\\nFAKE") != std::string::npos);
  CHECK(w.size() < 1000);
  CHECK(printable("\xe2\x82\xac\xe2\x82\xac", 4) == "\xe2\x82\xac... (3 more bytes)");  // cut on a UTF-8 boundary
}

TEST_CASE("hostile files: a FIFO is refused at once, never read") {
  Scratch s;
  const fs::path fifo = s.dir / "model.gguf";
  REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
  const auto t0 = std::chrono::steady_clock::now();
  ErrorCategory cat{};
  auto msg = error_of([&] { (void)read_regular_file(fifo, "a playbook"); }, &cat);
  CHECK(cat == ErrorCategory::validation);
  CHECK(msg.find("is a FIFO, expected a playbook") != std::string::npos);
  auto m = MappedFile::open(fifo);
  REQUIRE_FALSE(m.ok());
  CHECK(m.error().category() == ErrorCategory::validation);
  CHECK(std::string(m.error().what()).find("FIFO") != std::string::npos);
  msg = error_of([&] { (void)read_json_file(fifo); }, &cat);
  CHECK(msg.find("FIFO") != std::string::npos);
  CHECK(seconds_since(t0) < 2.0);
  msg = error_of([&] { require_regular_file(s.dir, "a playbook"); }, &cat);
  CHECK(cat == ErrorCategory::io);
  CHECK(msg.find("is a directory, expected a playbook") != std::string::npos);
}
