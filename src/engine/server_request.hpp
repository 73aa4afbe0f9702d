// apr-qa engine: validation of `apr-qa serve` request bodies (JSON in, typed fields out). Pure
// functions on the parsed body, so that the serve request fuzz target exercises them without an
// engine. Every refusal is a BadRequest: HTTP status and one line for the JSON error body.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/engine.hpp"

namespace apr::engine {

struct BadRequest {
  int status;
  std::string message;
};

// The body as a JSON object: nesting at most 64 levels (core/json_parse), else 400.
nlohmann::json parse_json_body(std::string_view body);

// The optional field `key` of type T (bool, std::string, an integer type or double); null or
// absent is nullopt; any other type is a 400 naming the field.
template <typename T>
std::optional<T> field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) throw BadRequest{400, std::string("field '") + key + "' must be a boolean"};
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) throw BadRequest{400, std::string("field '") + key + "' must be a string"};
  } else if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) throw BadRequest{400, std::string("field '") + key + "' must be an integer"};
  } else {
    if (!it->is_number()) throw BadRequest{400, std::string("field '") + key + "' must be a number"};
  }
  return it->get<T>();
}

// max_tokens / max_completion_tokens in [1, limit] (default min(default_max, limit)),
// temperature in [0, 100], top_p in (0, 1], top_k >= 0, seed, ignore_eos (extension).
SamplingOptions sampling_from(const nlohmann::json& j, int limit, int default_max);

// /v1/chat/completions: n = 1 only, no stop strings, no tools.
void check_chat_fields(const nlohmann::json& j);

// /v1/chat/completions: a non-empty array of {"role": string, "content": string|null} objects.
const nlohmann::json& chat_messages(const nlohmann::json& j);

// /generate "tokens": a non-empty array of ids in [0, vocab); nullopt when absent.
std::optional<std::vector<std::int32_t>> token_ids(const nlohmann::json& j, std::int64_t vocab);

// OpenAI finish_reason for an engine stop_reason.
std::string finish_reason(const std::string& stop_reason);

}  // namespace apr::engine
