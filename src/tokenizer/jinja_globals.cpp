// apr-qa chat templates: global functions visible to every template.
//   range(stop) / range(start, stop[, step])  - Python range, at most 100000 items (jinja2 sandbox)
//   namespace(**kw) / namespace(dict)          - mutable attribute bag for {% set ns.x = ... %}
//   dict(**kw)                                 - a dict from keyword arguments
//   raise_exception(msg)                       - transformers: aborts rendering with msg
//   strftime_now(fmt)                          - transformers >= 4.45: local time, strftime format
// jinja2's lipsum/cycler/joiner are reported as unsupported.
#include <ctime>

#include "tokenizer/jinja_builtins.hpp"
#include "tokenizer/jinja_ops.hpp"

namespace apr::tok::jinja {
namespace {

Value range_fn(const Args& a) {
  if (!a.kw.empty()) fail("range() takes no keyword arguments");
  std::vector<std::int64_t> n;
  for (const auto& v : a.pos) {
    if (v.is_undefined()) fail_undefined(v);
    if (!v.is_int_like()) fail(std::string("'") + type_name(v) + "' object cannot be interpreted as an integer");
    n.push_back(v.as_int());
  }
  std::int64_t start = 0, stop = 0, step = 1;
  if (n.size() == 1) stop = n[0];
  else if (n.size() == 2 || n.size() == 3) {
    start = n[0];
    stop = n[1];
    if (n.size() == 3) step = n[2];
  } else {
    fail("range expected 1 to 3 arguments, got " + std::to_string(n.size()));
  }
  if (step == 0) fail("range() arg 3 must not be zero");
  return Value::make_range(start, stop, step);
}

Value namespace_fn(const Args& a) {
  Dict d;
  for (const auto& v : a.pos) {
    if (!v.is_dict()) fail("namespace() positional arguments must be mappings");
    for (const auto& kv : v.dict->items) d.set(kv.first, kv.second);
  }
  for (const auto& kv : a.kw) d.set(kv.first, kv.second);
  return Value::make_namespace(std::move(d));
}

Value dict_fn(const Args& a) {
  Dict d;
  for (const auto& v : a.pos) {
    if (!v.is_dict()) fail("dict() positional argument must be a mapping");
    for (const auto& kv : v.dict->items) d.set(kv.first, kv.second);
  }
  for (const auto& kv : a.kw) d.set(kv.first, kv.second);
  return Value::make_dict(std::move(d));
}

Value raise_fn(const Args& a) {
  std::string msg = a.pos.empty() ? std::string() : to_str(a.pos[0]);
  fail(msg, TemplateError::Kind::raised);
}

Value strftime_fn(const Args& a) {
  if (a.pos.size() != 1 || !a.pos[0].is_string()) fail("strftime_now() takes one format string");
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  char buf[512];
  std::size_t n = std::strftime(buf, sizeof buf, a.pos[0].s.c_str(), &tm);
  return Value::string(std::string(buf, n));
}

}  // namespace

bool lookup_global(const std::string& name, Value& out) {
  if (name == "range") out = Value::function("range", range_fn);
  else if (name == "namespace") out = Value::function("namespace", namespace_fn);
  else if (name == "dict") out = Value::function("dict", dict_fn);
  else if (name == "raise_exception") out = Value::function("raise_exception", raise_fn);
  else if (name == "strftime_now") out = Value::function("strftime_now", strftime_fn);
  else if (name == "lipsum" || name == "cycler" || name == "joiner") {
    out = Value::function(name, [name](const Args&) -> Value {
      fail("unsupported construct: global function '" + name + "'", TemplateError::Kind::unsupported);
    });
  } else {
    return false;
  }
  return true;
}

}  // namespace apr::tok::jinja
