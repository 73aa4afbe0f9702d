// apr-qa core: reading untrusted JSON (model headers, index.json, config.json, tokenizer.json,
// APR metadata, CLI arguments) without letting its shape exhaust the process.
//
// parse_json_bounded builds the DOM through nlohmann's SAX interface (linear time, no recursion)
// and refuses nesting deeper than `max_depth`, so every later walk, copy, comparison or dump of
// the value is bounded too. Duplicate object keys are an error when asked (SafeTensors), else the
// last one wins (nlohmann and serde_json semantics). Errors are parse Errors at `origin` with the
// byte offset. json_excerpt renders an untrusted value for an error message: bounded length,
// control characters escaped, never the whole value.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

namespace apr {

// Deeper than any real model file (tokenizer.json ~6, chat-template arrays ~4, APR metadata ~4).
inline constexpr int kMaxJsonDepth = 128;

struct JsonLimits {
  int max_depth = kMaxJsonDepth;
  bool reject_duplicate_keys = false;
};

// Throws a parse Error (path `origin`, byte offset) on malformed JSON, nesting deeper than
// limits.max_depth, or a duplicate key when limits.reject_duplicate_keys.
nlohmann::json parse_json_bounded(std::string_view text, const std::string& origin, const JsonLimits& limits = {});

// Reads a regular file of at most max_bytes (see read_regular_file) and parses it as above.
nlohmann::json read_json_file(const std::filesystem::path& path, const JsonLimits& limits = {},
                              std::uint64_t max_bytes = 1ull << 30);

// At most max_chars of compact JSON for a message ("{\"a\": [1, 2, ...]}..."), control characters
// escaped; containers deeper than 3 levels print as [...] / {...}.
std::string json_excerpt(const nlohmann::json& j, std::size_t max_chars = 80);

}  // namespace apr
