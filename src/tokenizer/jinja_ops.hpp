// apr-qa chat templates: operators and access rules of jinja2 on interpreter values.
//
//   get_attr(x, "a")  - `x.a`: Python attribute first (bound str/dict/list methods), then item;
//                       missing -> undefined; undefined x -> UndefinedError.
//   get_item(x, k)    - `x[k]`: item first, then (string k) attribute; missing -> undefined.
//   slice(x, a, b, c) - Python slicing of str (code points), list and tuple.
//   binary_op         - + - * / // % ** with Python int/float/str/list rules (int64; overflow fails).
//   contains          - Python `in`.
//   iterate           - Python iter(): list items, dict keys, str characters, undefined -> empty.
// Every failure throws TemplateError with Python's wording where practical.
#pragma once

#include <string>
#include <vector>

#include "tokenizer/jinja_value.hpp"

namespace apr::tok::jinja {

Value get_attr(const Value& obj, const std::string& name);
Value get_item(const Value& obj, const Value& key);
Value slice(const Value& obj, const Value& start, const Value& stop, const Value& step);
Value binary_op(const std::string& op, const Value& a, const Value& b);
Value negate(const Value& v, bool minus);
bool contains(const Value& container, const Value& item);
std::vector<Value> iterate(const Value& v);
std::int64_t length_of(const Value& v);  // Python len(); undefined -> 0
Value call_value(const Value& fn, const Args& args);

// Bound method of a str/dict/list value (jinja_methods.cpp). Returns false if `name` is not a
// method of that type; unsafe (mutating) methods give an undefined that fails when called.
bool bind_method(const Value& self, const std::string& name, Value& out);

// Python printf-style `str % args`.
std::string percent_format(const std::string& fmt, const Value& args);

}  // namespace apr::tok::jinja
