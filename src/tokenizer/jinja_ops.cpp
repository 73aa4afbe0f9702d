// apr-qa chat templates: jinja2 operators and access rules (see jinja_ops.hpp).
#include "tokenizer/jinja_ops.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <optional>

#include "tokenizer/jinja_budget.hpp"
#include "tokenizer/jinja_unicode.hpp"

namespace apr::tok::jinja {
namespace {


// "'dict object'" as jinja2's undefined messages quote the object type.
std::string quoted_object(const Value& v) {
  std::string s = "'";
  s += v.is_none() ? "None" : type_name(v);
  if (!v.is_none()) s += " object";
  s += "'";
  return s;
}

Value missing_attr(const Value& obj, const std::string& name) {
  return Value::undefined(quoted_object(obj) + " has no attribute '" + name + "'");
}

[[noreturn]] void type_error(const std::string& op, const Value& a, const Value& b) {
  fail("unsupported operand type(s) for " + op + ": '" + type_name(a) + "' and '" + type_name(b) + "'");
}

using OverflowOp = bool (*)(std::int64_t, std::int64_t, std::int64_t*);
std::int64_t checked(OverflowOp op, std::int64_t a, std::int64_t b) {
  std::int64_t r = 0;
  if (op(a, b, &r)) fail("integer overflow (values beyond 64 bits are not supported)");
  return r;
}
bool add_ov(std::int64_t a, std::int64_t b, std::int64_t* r) { return __builtin_add_overflow(a, b, r); }
bool sub_ov(std::int64_t a, std::int64_t b, std::int64_t* r) { return __builtin_sub_overflow(a, b, r); }
bool mul_ov(std::int64_t a, std::int64_t b, std::int64_t* r) { return __builtin_mul_overflow(a, b, r); }

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  if (a == INT64_MIN && b == -1) fail("integer overflow (values beyond 64 bits are not supported)");
  std::int64_t q = a / b;
  if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
  return q;
}

std::int64_t py_mod(std::int64_t a, std::int64_t b) {
  if (b == -1) return 0;
  std::int64_t r = a % b;
  if (r != 0 && ((r < 0) != (b < 0))) r += b;
  return r;
}

double py_fmod(double a, double b) {
  double r = std::fmod(a, b);
  if (r != 0.0 && ((r < 0) != (b < 0))) r += b;
  else if (r == 0.0) r = std::copysign(0.0, b);
  return r;
}

Value repeat(const Value& seq, std::int64_t n) {
  if (n <= 0) return seq.is_string() ? Value::string("") : Value::make_list({}, seq.tuple);
  const std::size_t unit = seq.is_string() ? seq.s.size() : seq.list->size();
  const std::size_t limit = seq.is_string() ? kMaxStringBytes : kMaxListItems;
  if (unit != 0 && static_cast<std::uint64_t>(n) > limit / unit)
    fail("repetition result too large: " + std::to_string(unit) + " x " + std::to_string(n) + " exceeds the limit of " +
         std::to_string(limit) + (seq.is_string() ? " bytes" : " items"));
  if (!seq.is_string()) charge_bytes(built_bytes(*seq.list) * static_cast<std::uint64_t>(n));
  if (seq.is_string()) {
    // One allocation, filled by doubling: log2(n) copies, not n appends ('ab' * 6541296 took
    // 0.25 s under the fuzzer's instrumentation, one append at a time).
    const std::size_t total = unit * static_cast<std::size_t>(n);
    std::string out;
    out.reserve(total);
    out.append(seq.s);
    while (!out.empty() && out.size() < total) out.append(out.data(), std::min(out.size(), total - out.size()));
    Value r = Value::string(std::move(out));
    r.markup = seq.markup;
    return r;
  }
  List out;
  for (std::int64_t k = 0; k < n; ++k) out.insert(out.end(), seq.list->begin(), seq.list->end());
  return Value::make_list(std::move(out), seq.tuple);
}

// Python slice index normalisation (PySlice_AdjustIndices).
void adjust(std::int64_t len, const Value& a, const Value& b, const Value& c, std::int64_t& start,
            std::int64_t& stop, std::int64_t& step) {
  auto as_idx = [](const Value& v, const char* what) -> std::optional<std::int64_t> {
    if (v.is_none() || v.is_undefined()) return std::nullopt;
    if (!v.is_int_like()) fail(std::string("slice ") + what + " must be an integer or None, not " + type_name(v));
    return v.as_int();
  };
  auto st = as_idx(c, "step");
  step = st ? *st : 1;
  if (step == 0) fail("slice step cannot be zero");
  auto s0 = as_idx(a, "start");
  auto s1 = as_idx(b, "stop");
  auto clamp = [&](std::optional<std::int64_t> v, bool is_start) -> std::int64_t {
    if (!v) {
      if (step > 0) return is_start ? 0 : len;
      return is_start ? len - 1 : -1;
    }
    std::int64_t x = *v;
    if (x < 0) {
      x += len;
      if (x < 0) x = step < 0 ? -1 : 0;
    } else if (x >= len) {
      x = step < 0 ? len - 1 : len;
    }
    return x;
  };
  start = clamp(s0, true);
  stop = clamp(s1, false);
}

}  // namespace

std::int64_t length_of(const Value& v) {
  switch (v.kind) {
    case Kind::undefined: return 0;
    case Kind::string: return static_cast<std::int64_t>(uni::length(v.s));
    case Kind::list: return static_cast<std::int64_t>(v.list->size());
    case Kind::dict: return static_cast<std::int64_t>(v.dict->items.size());
    default: fail(std::string("object of type '") + type_name(v) + "' has no len()");
  }
}

std::vector<Value> iterate(const Value& v) {
  switch (v.kind) {
    case Kind::undefined: return {};
    case Kind::list:
      charge_steps(v.list->size());
      charge_bytes(built_bytes(*v.list));
      return *v.list;
    case Kind::generator:
      if (*v.consumed) return {};
      *v.consumed = true;
      charge_steps(v.list->size());
      charge_bytes(built_bytes(*v.list));
      return *v.list;
    case Kind::dict: {
      std::vector<Value> keys;
      for (const auto& kv : v.dict->items) keys.push_back(Value::string(kv.first));
      return keys;
    }
    case Kind::string: {
      check_list_size(uni::length(v.s));
      charge_bytes(uni::length(v.s) * sizeof(Value));
      std::vector<Value> chars;
      for (char32_t c : utf8::decode(v.s)) {
        std::string s;
        utf8::append(s, c);
        chars.push_back(Value::string(std::move(s)));
      }
      return chars;
    }
    default: fail(std::string("'") + type_name(v) + "' object is not iterable");
  }
}

Value get_attr(const Value& obj, const std::string& name) {
  if (obj.is_undefined()) fail_undefined(obj);
  Value m;
  if (bind_method(obj, name, m)) return m;
  if (obj.kind == Kind::dict || obj.kind == Kind::ns) {
    if (const Value* v = obj.dict->find(name)) return *v;
  }
  return missing_attr(obj, name);
}

Value get_item(const Value& obj, const Value& key) {
  if (obj.is_undefined()) fail_undefined(obj);
  switch (obj.kind) {
    case Kind::list:
    case Kind::string:
      if (key.is_int_like()) {
        std::int64_t n = length_of(obj);
        std::int64_t k = key.as_int();
        if (k < 0) k += n;
        if (k < 0 || k >= n)
          return Value::undefined(quoted_object(obj) + " has no element " + std::to_string(key.as_int()));
        if (obj.is_list()) return (*obj.list)[static_cast<std::size_t>(k)];
        auto cps = utf8::decode(obj.s);
        std::string s;
        utf8::append(s, cps[static_cast<std::size_t>(k)]);
        return Value::string(std::move(s));
      }
      break;
    case Kind::dict:
      if (key.is_string()) {
        if (const Value* v = obj.dict->find(key.s)) return *v;
      }
      break;
    default:
      break;
  }
  if (key.is_string()) {
    Value m;
    if (bind_method(obj, key.s, m)) return m;
    if (obj.kind == Kind::ns)
      if (const Value* v = obj.dict->find(key.s)) return *v;
    return missing_attr(obj, key.s);
  }
  return Value::undefined(quoted_object(obj) + " has no element " + repr(key));
}

Value slice(const Value& obj, const Value& a, const Value& b, const Value& c) {
  if (obj.is_undefined()) fail_undefined(obj);
  if (obj.is_dict()) fail("unhashable type: 'slice'");
  if (!obj.is_string() && !obj.is_list()) fail(std::string("'") + type_name(obj) + "' object is not subscriptable");
  std::vector<char32_t> cps;
  std::int64_t len;
  if (obj.is_string()) {
    cps = utf8::decode(obj.s);
    len = static_cast<std::int64_t>(cps.size());
  } else {
    len = static_cast<std::int64_t>(obj.list->size());
  }
  std::int64_t start, stop, step;
  adjust(len, a, b, c, start, stop, step);
  if (obj.range)  // a slice of a range is a range
    return Value::make_range(obj.r_start + start * obj.r_step, obj.r_start + stop * obj.r_step, obj.r_step * step);
  std::vector<std::size_t> idx;
  if (step > 0)
    for (std::int64_t k = start; k < stop; k += step) idx.push_back(static_cast<std::size_t>(k));
  else
    for (std::int64_t k = start; k > stop; k += step) idx.push_back(static_cast<std::size_t>(k));
  if (obj.is_string()) {
    std::string out;
    for (auto k : idx) utf8::append(out, cps[k]);
    return Value::string(std::move(out));
  }
  List out;
  for (auto k : idx) out.push_back((*obj.list)[k]);
  return Value::make_list(std::move(out), obj.tuple);
}

Value negate(const Value& v, bool minus) {
  if (v.is_undefined()) fail_undefined(v);
  if (v.kind == Kind::floating) return Value::floating(minus ? -v.f : v.f);
  if (v.is_int_like()) {
    if (!minus) return Value::integer(v.as_int());
    if (v.as_int() == INT64_MIN) fail("integer overflow (values beyond 64 bits are not supported)");
    return Value::integer(-v.as_int());
  }
  fail(std::string("bad operand type for unary ") + (minus ? "-" : "+") + ": '" + type_name(v) + "'");
}

Value binary_op(const std::string& op, const Value& a, const Value& b) {
  // str % x runs str.__mod__ first, which accepts an Undefined (it has __getitem__, so it counts as
  // a mapping): 'text' % undefined is 'text'.
  if (op == "%" && a.is_string()) return Value::string(percent_format(a.s, b));
  if (a.is_undefined()) fail_undefined(a);
  if (b.is_undefined()) fail_undefined(b);
  bool nums = a.is_number() && b.is_number();
  bool ints = a.is_int_like() && b.is_int_like();
  if (op == "+") {
    if (ints) return Value::integer(checked(add_ov, a.as_int(), b.as_int()));
    if (nums) return Value::floating(a.as_double() + b.as_double());
    if (a.is_string() && b.is_string()) {
      // markupsafe: Markup + str escapes the plain side and stays Markup (both orders)
      if (a.markup != b.markup) return markup((a.markup ? a.s : html_escape(a.s)) + (b.markup ? b.s : html_escape(b.s)));
      Value r = Value::string(a.s + b.s);
      r.markup = a.markup;
      return r;
    }
    if (a.is_list() && b.is_list() && a.tuple == b.tuple && !a.range && !b.range) {
      List out = *a.list;
      out.insert(out.end(), b.list->begin(), b.list->end());
      return Value::make_list(std::move(out), a.tuple);
    }
    if (a.is_string()) fail(std::string("can only concatenate str (not \"") + type_name(b) + "\") to str");
    type_error(op, a, b);
  }
  if (op == "-") {
    if (ints) return Value::integer(checked(sub_ov, a.as_int(), b.as_int()));
    if (nums) return Value::floating(a.as_double() - b.as_double());
    type_error(op, a, b);
  }
  if (op == "*") {
    if (ints) return Value::integer(checked(mul_ov, a.as_int(), b.as_int()));
    if (nums) return Value::floating(a.as_double() * b.as_double());
    if ((a.is_string() || (a.is_list() && !a.range)) && b.is_int_like()) return repeat(a, b.as_int());
    if ((b.is_string() || (b.is_list() && !b.range)) && a.is_int_like()) return repeat(b, a.as_int());
    type_error(op, a, b);
  }
  if (op == "/") {
    if (!nums) type_error(op, a, b);
    if (b.as_double() == 0.0) fail("division by zero");
    return Value::floating(a.as_double() / b.as_double());
  }
  if (op == "//") {
    if (!nums) type_error(op, a, b);
    if (b.as_double() == 0.0) fail(ints ? "integer division or modulo by zero" : "float floor division by zero");
    if (ints) return Value::integer(floor_div(a.as_int(), b.as_int()));
    return Value::floating(std::floor(a.as_double() / b.as_double()));
  }
  if (op == "%") {
    if (a.is_string()) return Value::string(percent_format(a.s, b));
    if (!nums) type_error(op, a, b);
    if (b.as_double() == 0.0) fail(ints ? "integer division or modulo by zero" : "float modulo");
    if (ints) return Value::integer(py_mod(a.as_int(), b.as_int()));
    return Value::floating(py_fmod(a.as_double(), b.as_double()));
  }
  if (op == "**") {
    if (!nums) type_error("** or pow()", a, b);
    if (ints && b.as_int() >= 0) {
      std::int64_t base = a.as_int(), e = b.as_int(), acc = 1;
      while (e > 0) {
        if (e & 1) acc = checked(mul_ov, acc, base);
        e >>= 1;
        if (e) base = checked(mul_ov, base, base);
      }
      return Value::integer(acc);
    }
    double x = a.as_double(), y = b.as_double();
    if (x == 0.0 && y < 0) fail("0.0 cannot be raised to a negative power");
    if (x < 0 && std::isfinite(y) && y != std::floor(y))
      fail("unsupported construct: negative number raised to a fractional power (complex result)",
           TemplateError::Kind::unsupported);
    double r = std::pow(x, y);
    if (std::isinf(r) && std::isfinite(x) && std::isfinite(y)) fail("(34, 'Numerical result out of range')");
    return Value::floating(r);
  }
  fail("unknown operator " + op);
}

bool contains(const Value& c, const Value& item) {
  switch (c.kind) {
    case Kind::undefined: return false;
    case Kind::string:
      if (!item.is_string())
        fail(std::string("'in <string>' requires string as left operand, not ") + type_name(item));
      return c.s.find(item.s) != std::string::npos;
    case Kind::list:
      for (const auto& x : *c.list)
        if (equals(x, item)) return true;
      return false;
    case Kind::generator:
      for (const auto& x : iterate(c))
        if (equals(x, item)) return true;
      return false;
    case Kind::dict:
      if (item.is_list() && !item.tuple) fail("unhashable type: 'list'");
      if (item.is_dict()) fail("unhashable type: 'dict'");
      return item.is_string() && c.dict->find(item.s) != nullptr;
    default:
      fail(std::string("argument of type '") + type_name(c) + "' is not iterable");
  }
}

Value call_value(const Value& fn, const Args& args) {
  if (fn.is_undefined()) fail_undefined(fn);
  if (fn.kind != Kind::function) fail(std::string("'") + type_name(fn) + "' object is not callable");
  return fn.fn->fn(args);
}

std::string percent_format(const std::string& fmt, const Value& args) {
  std::vector<Value> vals = (args.is_list() && args.tuple) ? *args.list : std::vector<Value>{args};
  std::size_t next = 0;
  std::string out;
  for (std::size_t k = 0; k < fmt.size(); ++k) {
    if (fmt[k] != '%') {
      out += fmt[k];
      continue;
    }
    if (++k >= fmt.size()) fail("incomplete format");
    std::string spec;
    while (k < fmt.size() && std::string("-+ #0123456789.").find(fmt[k]) != std::string::npos) spec += fmt[k++];
    // Widths beyond the 512-byte buffer would be truncated silently: refuse them instead.
    for (std::size_t d = 0, run = 0; d <= spec.size(); ++d) {
      if (d < spec.size() && spec[d] >= '0' && spec[d] <= '9') {
        if (++run > 3) fail("unsupported construct: %-format width or precision above 999", TemplateError::Kind::unsupported);
      } else {
        run = 0;
      }
    }
    if (k >= fmt.size()) fail("incomplete format");
    char conv = fmt[k];
    if (conv == '%') {
      out += '%';
      continue;
    }
    if (next >= vals.size()) fail("not enough arguments for format string");
    const Value& v = vals[next++];
    char buf[512];
    switch (conv) {
      case 's': out += to_str(v); break;
      case 'r': out += repr(v); break;
      case 'd': case 'i':
        if (!v.is_number()) fail(std::string("%d format: a real number is required, not ") + type_name(v));
        if (v.kind == Kind::floating && !(std::fabs(v.f) < 9.2e18))
          fail(std::isnan(v.f) ? "cannot convert float NaN to integer" : "%d format: float out of the 64-bit integer range (unsupported)");
        std::snprintf(buf, sizeof buf, ("%" + spec + "lld").c_str(),
                      static_cast<long long>(v.kind == Kind::floating ? static_cast<std::int64_t>(v.f) : v.as_int()));
        out += buf;
        break;
      case 'f': case 'e': case 'g':
        if (!v.is_number()) fail(std::string("must be real number, not ") + type_name(v));
        std::snprintf(buf, sizeof buf, ("%" + spec + conv).c_str(), v.as_double());
        out += buf;
        break;
      default: fail(std::string("unsupported format character '") + conv + "'", TemplateError::Kind::unsupported);
    }
    check_string_size(out.size());
  }
  bool mapping_like = (args.is_list() && !args.tuple) || args.is_dict() || args.is_undefined();
  if (next < vals.size() && !mapping_like) fail("not all arguments converted during string formatting");
  return out;
}

}  // namespace apr::tok::jinja
