// apr-qa chat templates: jinja2 built-in tests (`x is defined`, `x is not none`, ...).
#include <set>

#include "tokenizer/jinja_builtins.hpp"
#include "tokenizer/jinja_ops.hpp"
#include "tokenizer/jinja_parser.hpp"
#include "tokenizer/jinja_unicode.hpp"

namespace apr::tok::jinja {
namespace {

const std::set<std::string>& test_names() {
  static const std::set<std::string> names = {
      "defined", "undefined", "none",  "boolean", "true",     "false",       "integer", "float",
      "number",  "string",    "mapping", "iterable", "sequence", "callable", "sameas",  "escaped",
      "in",      "eq",        "equalto", "==",      "ne",       "!=",          "lt",      "lessthan",
      "<",       "le",        "<=",      "gt",      "greaterthan", ">",        "ge",      ">=",
      "divisibleby", "even",  "odd",     "lower",   "upper",    "filter",      "test"};
  return names;
}

const Value& other(const Args& a, const char* test) {
  if (a.pos.empty()) fail(std::string("test '") + test + "' needs an argument");
  return a.pos[0];
}

}  // namespace

bool has_test(const std::string& name) { return test_names().count(name) != 0; }

bool apply_test(const std::string& n, const Value& v, const Args& a) {
  if (n == "defined") return !v.is_undefined();
  if (n == "undefined") return v.is_undefined();
  if (n == "none") return v.is_none();
  if (n == "boolean") return v.kind == Kind::boolean;
  if (n == "true") return v.kind == Kind::boolean && v.b;
  if (n == "false") return v.kind == Kind::boolean && !v.b;
  if (n == "integer") return v.kind == Kind::integer;
  if (n == "float") return v.kind == Kind::floating;
  if (n == "number") return v.is_number();
  if (n == "string") return v.is_string();
  if (n == "mapping") return v.is_dict();
  if (n == "iterable") return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict() || v.kind == Kind::generator;
  if (n == "sequence") return v.is_undefined() || v.is_string() || v.is_list() || v.is_dict();
  if (n == "callable") return v.kind == Kind::function;
  if (n == "escaped") return v.is_string() && v.markup;
  if (n == "sameas") {
    const Value& o = other(a, "sameas");
    if (v.kind != o.kind) return false;
    switch (v.kind) {
      case Kind::none: case Kind::undefined: return v.kind == Kind::none;
      case Kind::boolean: return v.b == o.b;
      case Kind::list: return v.list == o.list;
      case Kind::dict: case Kind::ns: return v.dict == o.dict;
      case Kind::function: return v.fn == o.fn;
      default: return false;  // Python identity of equal scalars is an implementation detail
    }
  }
  if (n == "in") return contains(other(a, "in"), v);
  if (n == "eq" || n == "equalto" || n == "==") return equals(v, other(a, "eq"));
  if (n == "ne" || n == "!=") return !equals(v, other(a, "ne"));
  if (n == "lt" || n == "lessthan" || n == "<") return less(v, other(a, "lt"));
  if (n == "le" || n == "<=") return !less(other(a, "le"), v);
  if (n == "gt" || n == "greaterthan" || n == ">") return less(other(a, "gt"), v);
  if (n == "ge" || n == ">=") return !less(v, other(a, "ge"));
  if (n == "divisibleby") return equals(binary_op("%", v, other(a, "divisibleby")), Value::integer(0));
  if (n == "even") return equals(binary_op("%", v, Value::integer(2)), Value::integer(0));
  if (n == "odd") return equals(binary_op("%", v, Value::integer(2)), Value::integer(1));
  if (n == "lower" || n == "upper") {
    Value m;
    bind_method(Value::string(to_str(v)), n == "lower" ? "islower" : "isupper", m);
    return truthy(call_value(m, Args{}));
  }
  if (n == "filter") return v.is_string() && has_filter(v.s);
  if (n == "test") return v.is_string() && has_test(v.s);
  fail("unsupported test '" + n + "'", TemplateError::Kind::unsupported);
}

}  // namespace apr::tok::jinja
