// apr-qa chat templates: the value model of the Jinja interpreter.
//
// Values follow Python/jinja2 semantics as transformers renders chat templates:
//   undefined (jinja2's default Undefined: prints "", falsy, iterates empty, any other use fails),
//   None, bool, int (64-bit; overflow is an error, Python would promote to bigint), float,
//   str (UTF-8; lengths and indices count code points), list/tuple, dict (insertion ordered,
//   string keys), namespace (mutable attribute bag), callable.
// str()/repr() reproduce Python's text for every kind (floats with shortest round-trip digits),
// truthy() is Python truthiness, equals() is Python ==, compare() is Python <.
// Failures throw TemplateError (no position); the evaluator attaches line:column.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace apr::tok::jinja {

// A runtime or syntax failure inside the interpreter. line/col are 0 until the evaluator or
// parser attaches the position of the node being processed.
struct TemplateError {
  enum class Kind { syntax, unsupported, runtime, undefined, raised };
  Kind kind = Kind::runtime;
  std::string message;
  int line = 0, col = 0;
};
[[noreturn]] void fail(std::string message, TemplateError::Kind kind = TemplateError::Kind::runtime);

struct Value;
using List = std::vector<Value>;

// Insertion-ordered mapping with string keys (Python dict as JSON produces it).
struct Dict {
  std::vector<std::pair<std::string, Value>> items;
  const Value* find(const std::string& key) const;
  Value* find(const std::string& key);
  void set(const std::string& key, Value v);
};

// Call arguments: positional then keyword.
struct Args {
  std::vector<Value> pos;
  std::vector<std::pair<std::string, Value>> kw;
  // Python-style binding: value of parameter `name` at position `index`, nullptr if not given.
  const Value* get(std::size_t index, const std::string& name) const;
  // Fails if more positional args than `max_pos` or a keyword outside `names` was given.
  void check(const char* fn, std::size_t max_pos, std::initializer_list<const char*> names) const;
};

using NativeFn = std::function<Value(const Args&)>;
struct Function {
  std::string name;
  NativeFn fn;
};

// generator: a single-use iterator, as jinja2's select/map/unique/items/reverse filters return
// (always truthy, no len(), not subscriptable, iterating it a second time yields nothing).
enum class Kind { undefined, none, boolean, integer, floating, string, list, dict, ns, function, generator };

struct Value {
  Kind kind = Kind::undefined;
  bool b = false;
  bool tuple = false;   // list kind only: a Python tuple (affects repr only)
  bool markup = false;  // string kind only: markupsafe.Markup (from |safe or |escape)
  bool range = false;   // list kind only: a Python range(start, stop, step) (items materialised)
  std::int64_t r_start = 0, r_stop = 0, r_step = 1;
  std::int64_t i = 0;
  double f = 0.0;
  std::string s;  // string value; for undefined: the hint used in error messages
  std::shared_ptr<List> list;
  std::shared_ptr<Dict> dict;  // dict and namespace
  std::shared_ptr<Function> fn;
  std::shared_ptr<bool> consumed;  // generator only
  // Set by the container factories (lists, dicts, tuples and generators are immutable once built):
  // nesting depth (1 + the deepest element; at most kMaxValueDepth) and whether a namespace is
  // inside. Namespaces are the only mutable values; refusing to store a namespace-holding value in
  // a namespace attribute keeps every value acyclic and its depth bounded (no leak, no recursive
  // destruction 800k levels deep).
  std::uint32_t depth = 0;
  bool has_ns = false;

  static Value undefined(std::string hint = {});
  static Value none();
  static Value boolean(bool v);
  static Value integer(std::int64_t v);
  static Value floating(double v);
  static Value string(std::string v);
  static Value make_list(List items = {}, bool is_tuple = false);
  static Value make_dict(Dict d = {});
  static Value make_namespace(Dict d = {});
  static Value function(std::string name, NativeFn fn);
  static Value generator(List items);
  static Value make_range(std::int64_t start, std::int64_t stop, std::int64_t step);  // <= 100000 items

  bool is_undefined() const { return kind == Kind::undefined; }
  bool is_none() const { return kind == Kind::none; }
  bool is_string() const { return kind == Kind::string; }
  bool is_list() const { return kind == Kind::list; }
  bool is_dict() const { return kind == Kind::dict; }
  bool is_number() const { return kind == Kind::integer || kind == Kind::floating || kind == Kind::boolean; }
  bool is_int_like() const { return kind == Kind::integer || kind == Kind::boolean; }
  std::int64_t as_int() const { return kind == Kind::boolean ? (b ? 1 : 0) : i; }
  double as_double() const { return kind == Kind::floating ? f : static_cast<double>(as_int()); }
};

// Bytes a copy of `items` allocates (elements plus their own string payloads), for the render
// budget (jinja_budget.hpp).
std::uint64_t built_bytes(const List& items);

// Python type name as in error messages ("str", "int", "dict", "NoneType", "Undefined").
const char* type_name(const Value& v);
// Message of the UndefinedError raised when an undefined value is used.
std::string undefined_message(const Value& v);
[[noreturn]] void fail_undefined(const Value& v);

bool truthy(const Value& v);
std::string to_str(const Value& v);   // Python str()
std::string repr(const Value& v);     // Python repr()
std::string repr_string(const std::string& s);
std::string repr_float(double d);     // Python repr(float): shortest round-trip
std::string html_escape(const std::string& s);  // markupsafe.escape: & < > " '
Value markup(std::string s);          // a Markup string
bool equals(const Value& a, const Value& b);  // Python ==
// Python a < b; fails with TypeError text for unorderable kinds.
bool less(const Value& a, const Value& b);

}  // namespace apr::tok::jinja
