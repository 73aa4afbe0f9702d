#include "engine/server_request.hpp"

#include "core/json_parse.hpp"

namespace apr::engine {

using json = nlohmann::json;

json parse_json_body(std::string_view body) {
  json j;
  try {
    JsonLimits lim;
    lim.max_depth = 64;
    j = parse_json_bounded(body, "request body", lim);
  } catch (const apr::Error& e) {
    throw BadRequest{400, std::string("request body is not valid JSON: ") + e.what()};
  }
  if (!j.is_object()) throw BadRequest{400, "request body must be a JSON object, found " + std::string(j.type_name())};
  return j;
}

SamplingOptions sampling_from(const json& j, int limit, int default_max) {
  SamplingOptions s;
  auto mt = field<std::int64_t>(j, "max_tokens");
  if (!mt) mt = field<std::int64_t>(j, "max_completion_tokens");
  if (mt && (*mt < 1 || *mt > limit))
    throw BadRequest{400, "max_tokens must be in [1, " + std::to_string(limit) + "], found " + std::to_string(*mt)};
  s.max_tokens = static_cast<int>(mt.value_or(std::min(default_max, limit)));
  s.temperature = field<double>(j, "temperature").value_or(0.0);
  if (!(s.temperature >= 0 && s.temperature <= 100)) throw BadRequest{400, "temperature must be in [0, 100]"};
  s.top_p = field<double>(j, "top_p").value_or(1.0);
  if (!(s.top_p > 0 && s.top_p <= 1)) throw BadRequest{400, "top_p must be in (0, 1]"};
  auto k = field<std::int64_t>(j, "top_k").value_or(0);
  if (k < 0 || k > (1 << 30)) throw BadRequest{400, "top_k must be >= 0"};
  s.top_k = static_cast<int>(k);
  auto seed = field<std::int64_t>(j, "seed").value_or(0);
  s.seed = static_cast<std::uint64_t>(seed);
  s.ignore_eos = field<bool>(j, "ignore_eos").value_or(false);
  return s;
}

void check_chat_fields(const json& j) {
  if (auto n = field<std::int64_t>(j, "n"); n && *n != 1) throw BadRequest{400, "only n = 1 is supported"};
  if (auto it = j.find("stop"); it != j.end() && !it->is_null())
    throw BadRequest{400, "'stop' sequences are not supported; generation stops at the model's end tokens"};
  if (auto it = j.find("tools"); it != j.end() && !it->is_null())
    throw BadRequest{400, "'tools' are not supported by this server"};
}

const json& chat_messages(const json& j) {
  auto it = j.find("messages");
  if (it == j.end() || !it->is_array() || it->empty())
    throw BadRequest{400, "field 'messages' must be a non-empty array"};
  for (const auto& m : *it) {
    if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
      throw BadRequest{400, "each message must be an object with a string 'role'"};
    if (m.contains("content") && !m["content"].is_string() && !m["content"].is_null())
      throw BadRequest{400, "message 'content' must be a string (content parts are not supported)"};
  }
  return *it;
}

std::optional<std::vector<std::int32_t>> token_ids(const json& j, std::int64_t vocab) {
  auto it = j.find("tokens");
  if (it == j.end() || it->is_null()) return std::nullopt;
  if (!it->is_array() || it->empty()) throw BadRequest{400, "field 'tokens' must be a non-empty array of ids"};
  std::vector<std::int32_t> ids;
  ids.reserve(it->size());
  for (const auto& v : *it) {
    if (!v.is_number_integer() || (v.is_number_unsigned() && v.get<std::uint64_t>() >= static_cast<std::uint64_t>(vocab)) ||
        v.get<std::int64_t>() < 0 || v.get<std::int64_t>() >= vocab)
      throw BadRequest{400, "field 'tokens' holds an id outside [0, " + std::to_string(vocab) + ")"};
    ids.push_back(static_cast<std::int32_t>(v.get<std::int64_t>()));
  }
  return ids;
}

std::string finish_reason(const std::string& stop) {
  return (stop == "eos" || stop == "stop_token") ? "stop" : "length";
}

}  // namespace apr::engine
