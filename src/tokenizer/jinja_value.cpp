// apr-qa chat templates: Python semantics of the interpreter's values (see jinja_value.hpp).
#include "tokenizer/jinja_value.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja_budget.hpp"
#include "tokenizer/jinja_unicode.hpp"

namespace apr::tok::jinja {

void fail(std::string message, TemplateError::Kind kind) {
  throw TemplateError{kind, std::move(message), 0, 0};
}

const Value* Dict::find(const std::string& key) const {
  for (const auto& kv : items)
    if (kv.first == key) return &kv.second;
  return nullptr;
}
Value* Dict::find(const std::string& key) {
  for (auto& kv : items)
    if (kv.first == key) return &kv.second;
  return nullptr;
}
void Dict::set(const std::string& key, Value v) {
  if (Value* p = find(key)) {
    *p = std::move(v);
  } else {
    items.emplace_back(key, std::move(v));
  }
}

const Value* Args::get(std::size_t index, const std::string& name) const {
  if (index < pos.size()) {
    for (const auto& kv : kw)
      if (kv.first == name) fail("got multiple values for argument '" + name + "'");
    return &pos[index];
  }
  for (const auto& kv : kw)
    if (kv.first == name) return &kv.second;
  return nullptr;
}

void Args::check(const char* fn, std::size_t max_pos, std::initializer_list<const char*> names) const {
  if (pos.size() > max_pos)
    fail(std::string(fn) + "() takes at most " + std::to_string(max_pos) + " positional argument(s), " +
         std::to_string(pos.size()) + " given");
  for (const auto& kv : kw) {
    bool known = false;
    for (const char* n : names)
      if (kv.first == n) known = true;
    if (!known) fail(std::string(fn) + "() got an unexpected keyword argument '" + kv.first + "'");
  }
}

Value Value::undefined(std::string hint) {
  Value v;
  v.kind = Kind::undefined;
  v.s = std::move(hint);
  return v;
}
Value Value::none() {
  Value v;
  v.kind = Kind::none;
  return v;
}
Value Value::boolean(bool x) {
  Value v;
  v.kind = Kind::boolean;
  v.b = x;
  return v;
}
Value Value::integer(std::int64_t x) {
  Value v;
  v.kind = Kind::integer;
  v.i = x;
  return v;
}
Value Value::floating(double x) {
  Value v;
  v.kind = Kind::floating;
  v.f = x;
  return v;
}
Value Value::string(std::string x) {
  check_string_size(x.size());
  charge_bytes(x.size());
  Value v;
  v.kind = Kind::string;
  v.s = std::move(x);
  return v;
}
// Depth and namespace flag of a container from its elements (see Value::depth).
template <typename It, typename Get>
static void seal(Value& v, It begin, It end, Get get) {
  std::uint32_t d = 0;
  bool ns = false;
  for (It it = begin; it != end; ++it) {
    const Value& c = get(*it);
    d = std::max(d, c.depth);
    ns = ns || c.has_ns || c.kind == Kind::ns;
  }
  if (d + 1 > static_cast<std::uint32_t>(kMaxValueDepth))
    fail("value nested more than " + std::to_string(kMaxValueDepth) + " levels deep");
  v.depth = d + 1;
  v.has_ns = ns;
}
static const Value& self(const Value& v) { return v; }
static const Value& second(const std::pair<std::string, Value>& kv) { return kv.second; }

std::uint64_t built_bytes(const List& items) {
  std::uint64_t n = items.size() * sizeof(Value);
  for (const auto& it : items) n += it.s.size();
  return n;
}

Value Value::make_list(List items, bool is_tuple) {
  check_list_size(items.size());
  charge_bytes(built_bytes(items));
  Value v;
  v.kind = Kind::list;
  v.tuple = is_tuple;
  seal(v, items.begin(), items.end(), self);
  v.list = std::make_shared<List>(std::move(items));
  return v;
}
static std::uint64_t built_bytes(const Dict& d) {
  std::uint64_t n = 0;
  for (const auto& kv : d.items) n += kv.first.size() + kv.second.s.size();
  return n;
}

Value Value::make_dict(Dict d) {
  check_list_size(d.items.size());
  charge_bytes(built_bytes(d));
  Value v;
  v.kind = Kind::dict;
  seal(v, d.items.begin(), d.items.end(), second);
  v.dict = std::make_shared<Dict>(std::move(d));
  return v;
}
Value Value::make_namespace(Dict d) {
  Value v;
  v.kind = Kind::ns;
  seal(v, d.items.begin(), d.items.end(), second);
  v.dict = std::make_shared<Dict>(std::move(d));
  return v;
}
Value Value::function(std::string name, NativeFn fn) {
  Value v;
  v.kind = Kind::function;
  v.fn = std::make_shared<Function>(Function{std::move(name), std::move(fn)});
  return v;
}

std::string html_escape(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&#34;"; break;
      case '\'': out += "&#39;"; break;
      default: out += c;
    }
  }
  return out;
}

Value markup(std::string s) {
  Value v = Value::string(std::move(s));
  v.markup = true;
  return v;
}

Value Value::make_range(std::int64_t start, std::int64_t stop, std::int64_t step) {
  List items;
  for (std::int64_t k = start; step > 0 ? k < stop : k > stop; k += step) {
    if (items.size() >= 100000) fail("Range too big. The sandbox blocks ranges larger than MAX_RANGE (100000).");
    items.push_back(Value::integer(k));
  }
  Value v = make_list(std::move(items));
  v.range = true;
  v.r_start = start;
  v.r_stop = stop;
  v.r_step = step;
  return v;
}

Value Value::generator(List items) {
  check_list_size(items.size());
  charge_bytes(built_bytes(items));
  Value v;
  v.kind = Kind::generator;
  seal(v, items.begin(), items.end(), self);
  v.list = std::make_shared<List>(std::move(items));
  v.consumed = std::make_shared<bool>(false);
  return v;
}

const char* type_name(const Value& v) {
  switch (v.kind) {
    case Kind::undefined: return "Undefined";
    case Kind::none: return "NoneType";
    case Kind::boolean: return "bool";
    case Kind::integer: return "int";
    case Kind::floating: return "float";
    case Kind::string: return v.markup ? "Markup" : "str";
    case Kind::list: return v.range ? "range" : v.tuple ? "tuple" : "list";
    case Kind::dict: return "dict";
    case Kind::ns: return "Namespace";
    case Kind::function: return "function";
    case Kind::generator: return "generator";
  }
  return "object";
}

std::string undefined_message(const Value& v) {
  return v.s.empty() ? std::string("value is undefined") : v.s;
}
void fail_undefined(const Value& v) { fail(undefined_message(v), TemplateError::Kind::undefined); }

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::undefined: case Kind::none: return false;
    case Kind::boolean: return v.b;
    case Kind::integer: return v.i != 0;
    case Kind::floating: return v.f != 0.0;
    case Kind::string: return !v.s.empty();
    case Kind::list: return !v.list->empty();
    case Kind::dict: return !v.dict->items.empty();
    case Kind::ns: case Kind::function: case Kind::generator: return true;
  }
  return false;
}

std::string repr_float(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  if (d == 0.0) return std::signbit(d) ? "-0.0" : "0.0";
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string sci(buf, res.ptr);  // e.g. "-1.2345e+02"
  bool neg = sci[0] == '-';
  if (neg) sci.erase(0, 1);
  auto epos = sci.find('e');
  std::string mant = sci.substr(0, epos);
  int exp10 = std::stoi(sci.substr(epos + 1));
  std::string digits;
  for (char c : mant)
    if (c != '.') digits += c;
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  int decpt = exp10 + 1;  // position of the decimal point relative to the digits
  std::string out = neg ? "-" : "";
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0." + std::string(static_cast<std::size_t>(-decpt), '0') + digits;
    } else if (static_cast<std::size_t>(decpt) >= digits.size()) {
      out += digits + std::string(static_cast<std::size_t>(decpt) - digits.size(), '0') + ".0";
    } else {
      out += digits.substr(0, static_cast<std::size_t>(decpt)) + "." + digits.substr(static_cast<std::size_t>(decpt));
    }
  } else {
    out += digits.substr(0, 1);
    if (digits.size() > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    char eb[16];
    std::snprintf(eb, sizeof eb, "e%c%02d", exp10 < 0 ? '-' : '+', exp10 < 0 ? -exp10 : exp10);
    out += eb;
  }
  return out;
}

std::string repr_string(const std::string& s) {
  bool has_single = s.find('\'') != std::string::npos;
  bool has_double = s.find('"') != std::string::npos;
  char q = (has_single && !has_double) ? '"' : '\'';
  std::string out(1, q);
  for (char32_t c : utf8::decode(s)) {
    if (c == static_cast<char32_t>(q) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x80 ? (c < 0x20 || c == 0x7F) : !uni::is_printable(c)) {
      char buf[16];
      if (c < 0x100) std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(c));
      else if (c < 0x10000) std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      else std::snprintf(buf, sizeof buf, "\\U%08x", static_cast<unsigned>(c));
      out += buf;
    } else {
      utf8::append(out, c);
    }
  }
  out += q;
  return out;
}

std::string repr(const Value& v) {
  DepthGuard guard;
  switch (v.kind) {
    case Kind::undefined: return "Undefined";
    case Kind::string: return v.markup ? "Markup(" + repr_string(v.s) + ")" : repr_string(v.s);
    case Kind::list: {
      if (v.range) {
        std::string out = "range(" + std::to_string(v.r_start) + ", " + std::to_string(v.r_stop);
        if (v.r_step != 1) out += ", " + std::to_string(v.r_step);
        return out + ")";
      }
      std::string out = v.tuple ? "(" : "[";
      for (std::size_t k = 0; k < v.list->size(); ++k) {
        if (k) out += ", ";
        out += repr((*v.list)[k]);
        check_string_size(out.size());
      }
      if (v.tuple && v.list->size() == 1) out += ",";
      out += v.tuple ? ")" : "]";
      return out;
    }
    case Kind::dict: {
      std::string out = "{";
      bool first = true;
      for (const auto& kv : v.dict->items) {
        if (!first) out += ", ";
        first = false;
        out += repr_string(kv.first) + ": " + repr(kv.second);
        check_string_size(out.size());
      }
      return out + "}";
    }
    case Kind::ns: {
      Value d = Value::make_dict(*v.dict);
      return "<Namespace " + repr(d) + ">";
    }
    default:
      return to_str(v);
  }
}

std::string to_str(const Value& v) {
  DepthGuard guard;
  switch (v.kind) {
    case Kind::undefined: return "";
    case Kind::none: return "None";
    case Kind::boolean: return v.b ? "True" : "False";
    case Kind::integer: return std::to_string(v.i);
    case Kind::floating: return repr_float(v.f);
    case Kind::string: return v.s;
    case Kind::function: return "<function " + v.fn->name + ">";
    case Kind::generator:
      fail("unsupported construct: printing a generator object (jinja2 prints its memory address); "
           "convert it with | list", TemplateError::Kind::unsupported);
    default: return repr(v);
  }
}

bool equals(const Value& a, const Value& b) {
  DepthGuard guard;
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::floating || b.kind == Kind::floating) return a.as_double() == b.as_double();
    return a.as_int() == b.as_int();
  }
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::undefined: case Kind::none: return true;
    case Kind::string: return a.s == b.s;
    case Kind::list: {
      if (a.tuple != b.tuple || a.range != b.range || a.list->size() != b.list->size()) return false;
      for (std::size_t k = 0; k < a.list->size(); ++k)
        if (!equals((*a.list)[k], (*b.list)[k])) return false;
      return true;
    }
    case Kind::dict: {
      if (a.dict->items.size() != b.dict->items.size()) return false;
      for (const auto& kv : a.dict->items) {
        const Value* o = b.dict->find(kv.first);
        if (!o || !equals(kv.second, *o)) return false;
      }
      return true;
    }
    case Kind::ns: return a.dict == b.dict;
    case Kind::function: return a.fn == b.fn;
    case Kind::generator: return a.list == b.list;
    default: return false;
  }
}

bool less(const Value& a, const Value& b) {
  DepthGuard guard;
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  if (a.is_number() && b.is_number()) {
    if (a.kind == Kind::floating || b.kind == Kind::floating) return a.as_double() < b.as_double();
    return a.as_int() < b.as_int();
  }
  if (a.is_string() && b.is_string()) return a.s < b.s;  // UTF-8 byte order == code point order
  if (a.is_list() && b.is_list() && a.tuple == b.tuple && !a.range && !b.range) {
    std::size_t n = std::min(a.list->size(), b.list->size());
    for (std::size_t k = 0; k < n; ++k) {
      const Value& x = (*a.list)[k];
      const Value& y = (*b.list)[k];
      if (!equals(x, y)) return less(x, y);
    }
    return a.list->size() < b.list->size();
  }
  fail(std::string("'<' not supported between instances of '") + type_name(a) + "' and '" + type_name(b) + "'");
}

}  // namespace apr::tok::jinja
