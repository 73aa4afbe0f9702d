// apr-qa chat templates: jinja2 built-in filters (see jinja_builtins.hpp).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <limits>
#include <set>

#include "tokenizer/jinja_budget.hpp"
#include "core/utf8.hpp"
#include "tokenizer/jinja_builtins.hpp"
#include "tokenizer/jinja_json.hpp"
#include "tokenizer/jinja_ops.hpp"
#include "tokenizer/jinja_parser.hpp"
#include "tokenizer/jinja_unicode.hpp"

namespace apr::tok::jinja {
namespace {

const std::set<std::string>& filter_names() {
  static const std::set<std::string> names = {
      "abs",   "attr",    "capitalize", "center", "count",   "d",          "default",   "dictsort",
      "e",     "escape",  "first",      "float",  "format",  "indent",     "int",       "items",
      "join",  "last",    "length",     "list",   "lower",   "map",        "max",       "min",
      "reject", "rejectattr", "replace", "reverse", "round", "safe",       "select",    "selectattr",
      "sort",  "string",  "sum",        "title",  "tojson",  "trim",       "unique",    "upper",
      "wordcount"};
  return names;
}

const Value* opt(const Args& a, std::size_t i, const char* name) { return a.get(i, name); }

std::int64_t int_opt(const Args& a, std::size_t i, const char* name, std::int64_t dflt) {
  const Value* v = opt(a, i, name);
  if (!v) return dflt;
  if (!v->is_int_like()) fail(std::string("argument '") + name + "' must be an integer, not " + type_name(*v));
  return v->as_int();
}
bool bool_opt(const Args& a, std::size_t i, const char* name, bool dflt) {
  const Value* v = opt(a, i, name);
  return v ? truthy(*v) : dflt;
}

// jinja2's make_attrgetter: dotted path, integer parts index, each step with getitem semantics.
Value attr_path(const Value& item, const std::string& path, const Value* dflt = nullptr) {
  Value cur = item;
  std::size_t b = 0;
  while (true) {
    auto e = path.find('.', b);
    std::string part = path.substr(b, e == std::string::npos ? std::string::npos : e - b);
    bool digits = !part.empty() && std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; });
    // jinja2 converts an all-digit part with int() (a Python bigint); beyond 18 digits no index
    // can be in range, so it is looked up as the largest index (std::stoll would throw).
    Value key = !digits ? Value::string(part)
                        : Value::integer(part.size() <= 18 ? std::stoll(part) : std::numeric_limits<std::int64_t>::max());
    cur = get_item(cur, key);
    if (dflt && cur.is_undefined()) cur = *dflt;
    if (e == std::string::npos) break;
    b = e + 1;
  }
  return cur;
}

Value fold_case(const Value& v, bool case_sensitive) {
  if (!case_sensitive && v.is_string()) return Value::string(uni::lower(v.s));
  return v;
}

// Python float(str): surrounding whitespace, underscores between digits, inf/nan words.
bool parse_float(std::string s, double& out) {
  s = uni::strip(s, true, true, nullptr);
  std::string t;
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '_') {
      if (k == 0 || k + 1 >= s.size() || !std::isdigit(static_cast<unsigned char>(s[k - 1])) ||
          !std::isdigit(static_cast<unsigned char>(s[k + 1])))
        return false;
      continue;
    }
    t += s[k];
  }
  if (t.empty()) return false;
  std::string low = uni::lower(t);
  std::string body = (low[0] == '+' || low[0] == '-') ? low.substr(1) : low;
  if (body == "inf" || body == "infinity" || body == "nan") {
    out = body == "nan" ? NAN : INFINITY;
    if (low[0] == '-') out = -out;
    return true;
  }
  for (char c : body)
    if (!(std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == 'e' || c == '+' || c == '-')) return false;
  char* end = nullptr;
  out = std::strtod(t.c_str(), &end);
  return end && *end == 0;
}

bool parse_int(std::string s, int base, std::int64_t& out) {
  s = uni::strip(s, true, true, nullptr);
  // Python int(str, base): an optional sign, then a 0x/0o/0b prefix matching base (or base 0).
  std::string sign;
  if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
    sign = s.substr(0, 1);
    s = s.substr(1);
  }
  if (s.size() > 2 && s[0] == '0') {
    char p = static_cast<char>(std::tolower(static_cast<unsigned char>(s[1])));
    int pb = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 0;
    if (pb && (base == 0 || base == pb)) {
      base = pb;
      s = s.substr(2);
      if (!s.empty() && s[0] == '_') s = s.substr(1);
    }
  }
  if (base == 0) {
    if (s.size() > 1 && s[0] == '0' && s.find_first_not_of("0_") != std::string::npos) return false;
    base = 10;
  }
  if (base < 2 || base > 36) return false;  // Python raises ValueError; the filter returns the default
  s = sign + s;
  std::string t;
  for (std::size_t k = 0; k < s.size(); ++k) {
    if (s[k] == '_' && k > 0 && k + 1 < s.size()) continue;
    t += s[k];
  }
  if (t.empty()) return false;
  std::size_t k = (t[0] == '+' || t[0] == '-') ? 1 : 0;
  if (k >= t.size()) return false;
  for (std::size_t j = k; j < t.size(); ++j) {
    char c = static_cast<char>(std::tolower(static_cast<unsigned char>(t[j])));
    int d = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c >= 'a' && c <= 'z') ? c - 'a' + 10 : 99;
    if (d >= base) return false;
  }
  errno = 0;
  char* end = nullptr;
  long long v = std::strtoll(t.c_str(), &end, base);
  if (errno == ERANGE || !end || *end) return false;
  out = v;
  return true;
}

Value do_round(const Value& v, std::int64_t precision, const std::string& method) {
  if (!v.is_number()) fail(std::string("type ") + type_name(v) + " doesn't define __round__ method");
  if (method != "common" && method != "ceil" && method != "floor")
    fail("method must be 'common', 'ceil' or 'floor'");
  if (method == "common") {
    if (v.is_int_like() && precision >= 0) return Value::integer(v.as_int());
    double x = v.as_double();
    if (!std::isfinite(x)) return Value::floating(x);
    char buf[512];
    if (precision >= 0 && precision < 300) {
      std::snprintf(buf, sizeof buf, "%.*f", static_cast<int>(precision), x);  // exact, half-even
      return Value::floating(std::strtod(buf, nullptr));
    }
    double p = std::pow(10.0, static_cast<double>(-precision));
    return Value::floating(std::nearbyint(x / p) * p);
  }
  double p = std::pow(10.0, static_cast<double>(precision));
  double x = v.as_double() * p;
  return Value::floating((method == "ceil" ? std::ceil(x) : std::floor(x)) / p);
}

std::string do_title(const std::string& s) {
  // jinja2: split on runs of [-\s({\[<], upper-case each piece's first char, lower the rest.
  auto cps = utf8::decode(s);
  auto is_sep = [](char32_t c) { return uni::is_space(c) || c == '-' || c == '(' || c == '{' || c == '[' || c == '<'; };
  std::string out;
  std::size_t k = 0;
  while (k < cps.size()) {
    std::size_t e = k;
    bool sep = is_sep(cps[k]);
    while (e < cps.size() && is_sep(cps[e]) == sep) ++e;
    for (std::size_t j = k; j < e; ++j) utf8::append(out, j == k ? uni::to_upper(cps[j]) : uni::to_lower(cps[j]));
    k = e;
  }
  return out;
}

std::string do_indent(std::string s, const Value* width, bool first, bool blank) {
  std::string ind = "    ";
  if (width) {
    if (width->is_string()) ind = width->s;
    else if (width->is_int_like()) {
      check_string_size(static_cast<std::size_t>(std::clamp<std::int64_t>(width->as_int(), 0, INT64_MAX / 2)));
      ind = std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, width->as_int())), ' ');
    } else {
      fail("indent width must be an integer or a string");
    }
  }
  if (!ind.empty()) {  // one indent per line at most
    std::size_t lines = 1 + static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
    if (lines > kMaxStringBytes / ind.size()) check_string_size(kMaxStringBytes + 1);
    check_string_size(s.size() + lines * ind.size());
  }
  s += "\n";
  auto lines = py_splitlines(s);
  std::string rv;
  if (blank) {
    for (std::size_t k = 0; k < lines.size(); ++k) rv += (k ? "\n" + ind : "") + lines[k];
  } else {
    rv = lines.empty() ? "" : lines[0];
    for (std::size_t k = 1; k < lines.size(); ++k) rv += "\n" + (lines[k].empty() ? "" : ind + lines[k]);
  }
  if (first) rv = ind + rv;
  return rv;
}

// select/reject/selectattr/rejectattr
Value select_like(const Value& seq, const Args& a, bool by_attr, bool keep) {
  if (!truthy(seq)) return Value::generator({});  // jinja2: `if value:` guard, nothing evaluated
  std::size_t k = 0;
  std::string attr;
  if (by_attr) {
    if (a.pos.empty() || !a.pos[0].is_string()) fail("selectattr/rejectattr needs an attribute name");
    attr = a.pos[0].s;
    k = 1;
  }
  std::string test;
  Args targs;
  if (k < a.pos.size()) {
    if (!a.pos[k].is_string()) fail("test name must be a string");
    test = a.pos[k].s;
    if (!has_test(test)) fail("No test named '" + test + "'", TemplateError::Kind::unsupported);
    targs.pos.assign(a.pos.begin() + static_cast<std::ptrdiff_t>(k + 1), a.pos.end());
    targs.kw = a.kw;
  }
  List out;
  for (const auto& item : iterate(seq)) {
    Value v = by_attr ? attr_path(item, attr) : item;
    bool r = test.empty() ? truthy(v) : apply_test(test, v, targs);
    if (r == keep) out.push_back(item);
  }
  return Value::generator(std::move(out));
}

Value min_max(const Value& seq, const Args& a, bool want_max) {
  a.check(want_max ? "max" : "min", 2, {"case_sensitive", "attribute"});
  bool cs = bool_opt(a, 0, "case_sensitive", false);
  const Value* attr = opt(a, 1, "attribute");
  auto items = iterate(seq);
  if (items.empty()) return Value::undefined("No aggregated item, sequence was empty.");
  auto key = [&](const Value& v) { return fold_case(attr ? attr_path(v, to_str(*attr)) : v, cs); };
  std::size_t best = 0;
  for (std::size_t k = 1; k < items.size(); ++k) {
    bool better = want_max ? less(key(items[best]), key(items[k])) : less(key(items[k]), key(items[best]));
    if (better) best = k;
  }
  return items[best];
}

}  // namespace

bool has_filter(const std::string& name) { return filter_names().count(name) != 0; }

std::vector<std::string> py_splitlines(const std::string& s) {
  std::vector<std::string> out;
  auto cps = utf8::decode(s);
  std::vector<char32_t> line;
  for (std::size_t k = 0; k < cps.size(); ++k) {
    char32_t c = cps[k];
    bool brk = c == '\n' || c == '\r' || c == 0x0B || c == 0x0C || c == 0x1C || c == 0x1D || c == 0x1E ||
               c == 0x85 || c == 0x2028 || c == 0x2029;
    if (!brk) {
      line.push_back(c);
      continue;
    }
    if (c == '\r' && k + 1 < cps.size() && cps[k + 1] == '\n') ++k;
    out.push_back(utf8::encode(line));
    line.clear();
  }
  if (!line.empty()) out.push_back(utf8::encode(line));
  return out;
}

Value apply_filter(const std::string& name, const Value& v, const Args& a) {
  if (name == "tojson") {
    a.check("tojson", 4, {"ensure_ascii", "indent", "separators", "sort_keys"});
    DumpOptions o;
    const Value* ea = opt(a, 0, "ensure_ascii");
    const Value* ind = opt(a, 1, "indent");
    const Value* sep = opt(a, 2, "separators");
    o.ensure_ascii = ea && truthy(*ea);
    if (ind && !ind->is_none()) {
      if (ind->is_string()) o.indent = ind->s;
      else if (ind->is_int_like()) {
        check_string_size(static_cast<std::size_t>(std::clamp<std::int64_t>(ind->as_int(), 0, INT64_MAX / 2)));
        o.indent = std::string(static_cast<std::size_t>(std::max<std::int64_t>(0, ind->as_int())), ' ');
      }
      else fail("tojson indent must be an integer or a string");
      o.item_sep = ",";
    }
    if (sep && !sep->is_none()) {
      if (!sep->is_list() || sep->list->size() != 2 || !(*sep->list)[0].is_string() || !(*sep->list)[1].is_string())
        fail("tojson separators must be a pair of strings");
      o.item_sep = (*sep->list)[0].s;
      o.key_sep = (*sep->list)[1].s;
    }
    o.sort_keys = bool_opt(a, 3, "sort_keys", false);
    return Value::string(dumps(v, o));
  }
  if (name == "trim") {
    const Value* chars = opt(a, 0, "chars");
    std::string s = to_str(v);
    if (chars && !chars->is_none()) return Value::string(uni::strip(s, true, true, &chars->s));
    return Value::string(uni::strip(s, true, true, nullptr));
  }
  if (name == "length" || name == "count") return Value::integer(length_of(v));
  if (name == "upper") return Value::string(uni::upper(to_str(v)));
  if (name == "lower") return Value::string(uni::lower(to_str(v)));
  if (name == "capitalize") return Value::string(uni::py_capitalize(to_str(v)));
  if (name == "title") return Value::string(do_title(to_str(v)));
  if (name == "string") return v.is_string() ? v : Value::string(to_str(v));  // keeps Markup (soft_str)
  if (name == "safe") return markup(to_str(v));
  if (name == "e" || name == "escape") return (v.is_string() && v.markup) ? v : markup(html_escape(to_str(v)));
  if (name == "default" || name == "d") {
    a.check("default", 2, {"default_value", "boolean"});
    const Value* dv = opt(a, 0, "default_value");
    bool boolean = bool_opt(a, 1, "boolean", false);
    if (v.is_undefined() || (boolean && !truthy(v))) return dv ? *dv : Value::string("");
    return v;
  }
  if (name == "replace") {
    if (a.pos.size() < 2) fail("replace() needs old and new strings");
    std::string s = to_str(v);
    std::string old = to_str(a.pos[0]), rep = to_str(a.pos[1]);
    const Value* cnt = opt(a, 2, "count");
    Value method;
    bind_method(Value::string(s), "replace", method);
    Args ra;
    ra.pos = {Value::string(old), Value::string(rep)};
    if (cnt && !cnt->is_none()) ra.pos.push_back(*cnt);
    return call_value(method, ra);
  }
  if (name == "join") {
    a.check("join", 2, {"d", "attribute"});
    const Value* d = opt(a, 0, "d");
    const Value* attr = opt(a, 1, "attribute");
    std::string sep = d ? to_str(*d) : "";
    std::string out;
    bool first = true;
    for (const auto& item : iterate(v)) {
      if (!first) out += sep;
      first = false;
      out += to_str(attr ? attr_path(item, to_str(*attr)) : item);
      check_string_size(out.size());
    }
    return Value::string(std::move(out));
  }
  if (name == "first") {
    auto items = iterate(v);
    if (items.empty()) return Value::undefined("No first item, sequence was empty.");
    return items.front();
  }
  if (name == "last") {
    if (v.kind == Kind::generator) fail("'generator' object is not reversible");
    auto items = iterate(v);
    if (items.empty()) return Value::undefined("No last item, sequence was empty.");
    return items.back();
  }
  if (name == "list") return Value::make_list(iterate(v));
  if (name == "items") {
    if (v.is_undefined()) return Value::generator({});
    if (!v.is_dict()) fail("Can only get item pairs from a mapping.");
    List out;
    for (const auto& kv : v.dict->items) out.push_back(Value::make_list({Value::string(kv.first), kv.second}, true));
    return Value::generator(std::move(out));
  }
  if (name == "dictsort") {
    a.check("dictsort", 3, {"case_sensitive", "by", "reverse"});
    if (!v.is_dict()) fail("dictsort needs a mapping");
    bool cs = bool_opt(a, 0, "case_sensitive", false);
    const Value* by = opt(a, 1, "by");
    int pos = (by && to_str(*by) == "value") ? 1 : 0;
    if (by && pos == 0 && to_str(*by) != "key") fail("You can only sort by either \"key\" or \"value\"");
    bool rev = bool_opt(a, 2, "reverse", false);
    List out;
    for (const auto& kv : v.dict->items) out.push_back(Value::make_list({Value::string(kv.first), kv.second}, true));
    std::stable_sort(out.begin(), out.end(), [&](const Value& x, const Value& y) {
      Value kx = fold_case((*x.list)[pos], cs), ky = fold_case((*y.list)[pos], cs);
      return rev ? less(ky, kx) : less(kx, ky);
    });
    return Value::make_list(std::move(out));
  }
  if (name == "int") {
    a.check("int", 2, {"default", "base"});
    const Value* dflt = opt(a, 0, "default");
    std::int64_t base = int_opt(a, 1, "base", 10);
    Value d = dflt ? *dflt : Value::integer(0);
    if (v.is_undefined()) fail_undefined(v);  // int(Undefined) raises UndefinedError, not ValueError
    if (v.is_int_like()) return Value::integer(v.as_int());
    if (v.kind == Kind::floating) {
      if (!std::isfinite(v.f) || std::fabs(v.f) >= 9.2e18) return d;
      return Value::integer(static_cast<std::int64_t>(v.f));
    }
    if (v.is_string()) {
      std::int64_t out = 0;
      if (parse_int(v.s, static_cast<int>(base), out)) return Value::integer(out);
      double f = 0;
      if (parse_float(v.s, f) && std::isfinite(f) && std::fabs(f) < 9.2e18) return Value::integer(static_cast<std::int64_t>(f));
    }
    return d;
  }
  if (name == "float") {
    const Value* dflt = opt(a, 0, "default");
    Value d = dflt ? *dflt : Value::floating(0.0);
    if (v.is_undefined()) fail_undefined(v);
    if (v.is_number()) return Value::floating(v.as_double());
    double f = 0;
    if (v.is_string() && parse_float(v.s, f)) return Value::floating(f);
    return d;
  }
  if (name == "abs") {
    if (v.kind == Kind::floating) return Value::floating(std::fabs(v.f));
    if (v.is_int_like()) return negate(v, v.as_int() < 0);
    if (v.is_undefined()) fail_undefined(v);
    fail(std::string("bad operand type for abs(): '") + type_name(v) + "'");
  }
  if (name == "round") {
    a.check("round", 2, {"precision", "method"});
    const Value* m = opt(a, 1, "method");
    return do_round(v, int_opt(a, 0, "precision", 0), m ? to_str(*m) : "common");
  }
  if (name == "indent") {
    a.check("indent", 3, {"width", "first", "blank"});
    if (v.is_undefined()) fail_undefined(v);
    if (!v.is_string()) fail(std::string("unsupported operand type(s) for +=: '") + type_name(v) + "' and 'str'");
    return Value::string(do_indent(v.s, opt(a, 0, "width"), bool_opt(a, 1, "first", false), bool_opt(a, 2, "blank", false)));
  }
  if (name == "center") {
    std::int64_t width = int_opt(a, 0, "width", 80);
    std::string s = to_str(v);
    std::int64_t n = static_cast<std::int64_t>(uni::length(s));
    if (width <= n) return Value::string(s);
    check_string_size(static_cast<std::size_t>(std::min<std::int64_t>(width, INT64_MAX / 2)) + s.size());
    std::int64_t marg = width - n;
    std::int64_t left = marg / 2 + (marg & width & 1);
    return Value::string(std::string(static_cast<std::size_t>(left), ' ') + s +
                         std::string(static_cast<std::size_t>(marg - left), ' '));
  }
  if (name == "format") {
    if (!a.kw.empty() && !a.pos.empty()) fail("can't handle positional and keyword arguments at the same time");
    if (!a.kw.empty()) fail("unsupported construct: format filter with keyword arguments", TemplateError::Kind::unsupported);
    return Value::string(percent_format(to_str(v), Value::make_list(a.pos, true)));
  }
  if (name == "attr") {  // Python getattr only: methods and namespace attributes, not dict items
    if (a.pos.empty() || !a.pos[0].is_string()) fail("attr() needs an attribute name");
    if (v.is_undefined()) fail_undefined(v);
    Value m;
    if (bind_method(v, a.pos[0].s, m)) return m;
    if (v.kind == Kind::ns)
      if (const Value* x = v.dict->find(a.pos[0].s)) return *x;
    return Value::undefined("'" + std::string(type_name(v)) + " object' has no attribute '" + a.pos[0].s + "'");
  }
  if (name == "map") {
    List out;
    if (!truthy(v)) return Value::generator({});  // jinja2: `if value:` guard
    const Value* attr = nullptr;
    for (const auto& kv : a.kw)
      if (kv.first == "attribute") attr = &kv.second;
    if (attr) {
      const Value* dflt = nullptr;
      for (const auto& kv : a.kw)
        if (kv.first == "default") dflt = &kv.second;
      for (const auto& item : iterate(v)) out.push_back(attr_path(item, to_str(*attr), dflt));
      return Value::generator(std::move(out));
    }
    if (a.pos.empty() || !a.pos[0].is_string()) fail("map() requires a filter name or attribute=");
    std::string f = a.pos[0].s;
    if (!has_filter(f)) fail("No filter named '" + f + "'", TemplateError::Kind::unsupported);
    Args fa;
    fa.pos.assign(a.pos.begin() + 1, a.pos.end());
    fa.kw = a.kw;
    for (const auto& item : iterate(v)) out.push_back(apply_filter(f, item, fa));
    return Value::generator(std::move(out));
  }
  if (name == "select") return select_like(v, a, false, true);
  if (name == "reject") return select_like(v, a, false, false);
  if (name == "selectattr") return select_like(v, a, true, true);
  if (name == "rejectattr") return select_like(v, a, true, false);
  if (name == "unique") {
    a.check("unique", 2, {"case_sensitive", "attribute"});
    bool cs = bool_opt(a, 0, "case_sensitive", false);
    const Value* attr = opt(a, 1, "attribute");
    List out, seen;
    for (const auto& item : iterate(v)) {
      Value key = fold_case(attr ? attr_path(item, to_str(*attr)) : item, cs);
      bool dup = false;
      for (const auto& s : seen)
        if (equals(s, key)) dup = true;
      if (!dup) {
        seen.push_back(key);
        out.push_back(item);
      }
    }
    return Value::generator(std::move(out));
  }
  if (name == "sort") {
    a.check("sort", 3, {"reverse", "case_sensitive", "attribute"});
    bool rev = bool_opt(a, 0, "reverse", false);
    bool cs = bool_opt(a, 1, "case_sensitive", false);
    const Value* attr = opt(a, 2, "attribute");
    List items = iterate(v);
    auto key = [&](const Value& x) { return fold_case(attr ? attr_path(x, to_str(*attr)) : x, cs); };
    std::stable_sort(items.begin(), items.end(), [&](const Value& x, const Value& y) {
      return rev ? less(key(y), key(x)) : less(key(x), key(y));
    });
    return Value::make_list(std::move(items));
  }
  if (name == "reverse") {
    if (v.is_string()) {
      auto cps = utf8::decode(v.s);
      std::reverse(cps.begin(), cps.end());
      return Value::string(utf8::encode(cps));
    }
    List items = iterate(v);
    std::reverse(items.begin(), items.end());
    return Value::generator(std::move(items));  // reversed() iterator
  }
  if (name == "sum") {
    a.check("sum", 2, {"attribute", "start"});
    const Value* attr = opt(a, 0, "attribute");
    const Value* start = opt(a, 1, "start");
    Value acc = start ? *start : Value::integer(0);
    for (const auto& item : iterate(v)) acc = binary_op("+", acc, attr ? attr_path(item, to_str(*attr)) : item);
    return acc;
  }
  if (name == "max") return min_max(v, a, true);
  if (name == "min") return min_max(v, a, false);
  if (name == "wordcount") {
    std::int64_t n = 0;
    bool in = false;
    for (char32_t c : utf8::decode(to_str(v))) {
      bool w = uni::is_alpha(c) || uni::is_digit(c) || c == '_';
      if (w && !in) ++n;
      in = w;
    }
    return Value::integer(n);
  }
  fail("unsupported filter '" + name + "'", TemplateError::Kind::unsupported);
}

}  // namespace apr::tok::jinja
