// apr-qa chat templates: jinja2's built-in filters (`x | trim`) and tests (`x is defined`), plus
// the template globals (range, namespace, dict, raise_exception, strftime_now).
// Each follows jinja2 3.1 (and transformers' `tojson` override: json.dumps(x, ensure_ascii=False,
// indent=None, separators=None, sort_keys=False) with that positional order).
#pragma once

#include <string>

#include "tokenizer/jinja_value.hpp"

namespace apr::tok::jinja {

Value apply_filter(const std::string& name, const Value& operand, const Args& args);
bool apply_test(const std::string& name, const Value& operand, const Args& args);

// Global functions; false if `name` is not a global.
bool lookup_global(const std::string& name, Value& out);

// Python str.splitlines() (all Unicode line boundaries), used by filters and methods.
std::vector<std::string> py_splitlines(const std::string& s);

}  // namespace apr::tok::jinja
