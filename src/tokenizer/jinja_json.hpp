// apr-qa chat templates: JSON <-> interpreter values.
//
// from_json maps a parsed JSON document to values the way Python's json.loads does (objects keep
// the key order of the nlohmann type given: ordered_json keeps source order, json sorts keys).
// dumps is Python's json.dumps as transformers' `tojson` filter calls it
// (ensure_ascii=False by default, indent, separators, sort_keys), byte for byte.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tokenizer/jinja_value.hpp"

namespace apr::tok::jinja {

template <typename Json>
Value from_json(const Json& j, int depth = 0) {
  if (depth > 200) fail("JSON input nested more than 200 levels deep");
  switch (j.type()) {
    case nlohmann::json::value_t::null: return Value::none();
    case nlohmann::json::value_t::boolean: return Value::boolean(j.template get<bool>());
    case nlohmann::json::value_t::number_integer: return Value::integer(j.template get<std::int64_t>());
    case nlohmann::json::value_t::number_unsigned: {
      auto u = j.template get<std::uint64_t>();
      if (u > static_cast<std::uint64_t>(INT64_MAX)) fail("JSON integer " + std::to_string(u) + " exceeds 64-bit range");
      return Value::integer(static_cast<std::int64_t>(u));
    }
    case nlohmann::json::value_t::number_float: return Value::floating(j.template get<double>());
    case nlohmann::json::value_t::string: return Value::string(j.template get<std::string>());
    case nlohmann::json::value_t::array: {
      List items;
      items.reserve(j.size());
      for (const auto& e : j) items.push_back(from_json(e, depth + 1));
      return Value::make_list(std::move(items));
    }
    case nlohmann::json::value_t::object: {
      Dict d;
      for (auto it = j.begin(); it != j.end(); ++it) d.items.emplace_back(it.key(), from_json(it.value(), depth + 1));
      return Value::make_dict(std::move(d));
    }
    default:
      fail("unsupported JSON value (binary or discarded)");
  }
}

struct DumpOptions {
  std::optional<std::string> indent;  // None = single line; an int n arrives as n spaces
  std::string item_sep = ", ";
  std::string key_sep = ": ";
  bool sort_keys = false;
  bool ensure_ascii = false;
};
std::string dumps(const Value& v, const DumpOptions& opts);

}  // namespace apr::tok::jinja
