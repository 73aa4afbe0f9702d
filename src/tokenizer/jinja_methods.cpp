// apr-qa chat templates: Python methods of str, dict and list reachable from templates
// (`s.strip()`, `d.items()`, `d.get(k, x)`, ...), as bound functions. Mutating methods are
// refused like jinja2's ImmutableSandboxedEnvironment (transformers) refuses them.
#include <algorithm>

#include "tokenizer/jinja_ops.hpp"
#include "core/utf8.hpp"
#include "tokenizer/jinja_budget.hpp"
#include "tokenizer/jinja_unicode.hpp"

namespace apr::tok::jinja {
namespace {

const Value& arg(const Args& a, std::size_t i, const char* fn) {
  if (i >= a.pos.size()) fail(std::string(fn) + "() missing required argument");
  return a.pos[i];
}
const std::string& str_arg(const Args& a, std::size_t i, const char* fn) {
  const Value& v = arg(a, i, fn);
  if (!v.is_string()) fail(std::string(fn) + "() argument must be str, not " + type_name(v));
  return v.s;
}
bool opt_none(const Args& a, std::size_t i) { return i >= a.pos.size() || a.pos[i].is_none(); }

// Code point index of a byte offset.
std::int64_t cp_index(const std::string& s, std::size_t byte) {
  return static_cast<std::int64_t>(uni::length(std::string_view(s).substr(0, byte)));
}

Value split(const std::string& s, const Args& a, bool from_right) {
  a.check(from_right ? "rsplit" : "split", 2, {"sep", "maxsplit"});
  const Value* sepv = a.get(0, "sep");
  const Value* maxv = a.get(1, "maxsplit");
  std::int64_t maxsplit = (maxv && maxv->is_int_like()) ? maxv->as_int() : -1;
  List out;
  if (!sepv || sepv->is_none()) {
    auto cps = utf8::decode(s);
    std::vector<std::pair<std::size_t, std::size_t>> words;  // [b, e) in code points
    std::size_t k = 0;
    while (k < cps.size()) {
      while (k < cps.size() && uni::is_space(cps[k])) ++k;
      if (k >= cps.size()) break;
      std::size_t b = k;
      while (k < cps.size() && !uni::is_space(cps[k])) ++k;
      words.emplace_back(b, k);
    }
    auto piece = [&](std::size_t b, std::size_t e) {
      return Value::string(utf8::encode(std::vector<char32_t>(cps.begin() + static_cast<std::ptrdiff_t>(b),
                                                             cps.begin() + static_cast<std::ptrdiff_t>(e))));
    };
    if (maxsplit < 0 || static_cast<std::size_t>(maxsplit) >= words.size()) {
      for (auto [b, e] : words) out.push_back(piece(b, e));
      return Value::make_list(std::move(out));
    }
    // After maxsplit splits the remainder is kept as-is (outer whitespace included).
    std::size_t m = static_cast<std::size_t>(maxsplit);
    if (!from_right) {
      for (std::size_t w = 0; w < m; ++w) out.push_back(piece(words[w].first, words[w].second));
      out.push_back(piece(words[m].first, cps.size()));
    } else {
      std::size_t first = words.size() - m;
      out.push_back(piece(0, words[first - 1].second));
      for (std::size_t w = first; w < words.size(); ++w) out.push_back(piece(words[w].first, words[w].second));
    }
    return Value::make_list(std::move(out));
  }
  if (!sepv->is_string()) fail(std::string("must be str or None, not ") + type_name(*sepv));
  const std::string& sep = sepv->s;
  if (sep.empty()) fail("empty separator");
  std::vector<std::string> parts;
  if (!from_right) {
    std::size_t b = 0;
    std::int64_t n = 0;
    while (maxsplit < 0 || n < maxsplit) {
      auto f = s.find(sep, b);
      if (f == std::string::npos) break;
      parts.push_back(s.substr(b, f - b));
      b = f + sep.size();
      ++n;
    }
    parts.push_back(s.substr(b));
  } else {
    std::size_t e = s.size();
    std::int64_t n = 0;
    std::vector<std::string> rev;
    while (maxsplit < 0 || n < maxsplit) {
      if (e < sep.size()) break;
      auto f = s.rfind(sep, e - sep.size());
      if (f == std::string::npos) break;
      rev.push_back(s.substr(f + sep.size(), e - f - sep.size()));
      e = f;
      ++n;
    }
    rev.push_back(s.substr(0, e));
    parts.assign(rev.rbegin(), rev.rend());
  }
  for (auto& p : parts) out.push_back(Value::string(std::move(p)));
  return Value::make_list(std::move(out));
}

bool affix_match(const std::string& s, const Value& affix, bool prefix, const char* fn) {
  auto one = [&](const Value& v) {
    if (!v.is_string()) fail(std::string(fn) + " first arg must be str or a tuple of str, not " + type_name(v));
    if (v.s.size() > s.size()) return false;
    return prefix ? s.compare(0, v.s.size(), v.s) == 0 : s.compare(s.size() - v.s.size(), v.s.size(), v.s) == 0;
  };
  if (affix.is_list() && affix.tuple) {
    for (const auto& v : *affix.list)
      if (one(v)) return true;
    return false;
  }
  return one(affix);
}

std::string replace_all(const std::string& s, const std::string& old, const std::string& rep, std::int64_t count) {
  std::string out;
  std::int64_t n = 0;
  if (old.empty()) {
    auto cps = utf8::decode(s);
    for (std::size_t k = 0; k <= cps.size(); ++k) {
      if (count < 0 || n < count) {
        check_string_size(out.size() + rep.size());
        out += rep;
        ++n;
      }
      if (k < cps.size()) utf8::append(out, cps[k]);
    }
    return out;
  }
  std::size_t b = 0;
  while (count < 0 || n < count) {
    auto f = s.find(old, b);
    if (f == std::string::npos) break;
    out.append(s, b, f - b);
    check_string_size(out.size() + rep.size());
    out += rep;
    b = f + old.size();
    ++n;
  }
  out.append(s, b, std::string::npos);
  return out;
}

// Python str.format with {} / {0} / {name} fields and !s / !r conversions.
std::string format(const std::string& fmt, const Args& a) {
  std::string out;
  std::size_t auto_idx = 0;
  for (std::size_t k = 0; k < fmt.size(); ++k) {
    char c = fmt[k];
    if (c == '}') {
      if (k + 1 < fmt.size() && fmt[k + 1] == '}') {
        out += '}';
        ++k;
        continue;
      }
      fail("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (k + 1 < fmt.size() && fmt[k + 1] == '{') {
      out += '{';
      ++k;
      continue;
    }
    auto e = fmt.find('}', k);
    if (e == std::string::npos) fail("Single '{' encountered in format string");
    std::string field = fmt.substr(k + 1, e - k - 1);
    k = e;
    char conv = 0;
    auto bang = field.find('!');
    if (bang != std::string::npos) {
      conv = bang + 1 < field.size() ? field[bang + 1] : 0;
      field.resize(bang);
    }
    if (field.find(':') != std::string::npos || field.find('.') != std::string::npos || field.find('[') != std::string::npos)
      fail("unsupported construct: format spec or attribute access in str.format field '{" + field + "}'",
           TemplateError::Kind::unsupported);
    const Value* v = nullptr;
    if (field.empty()) {
      if (auto_idx >= a.pos.size()) fail("Replacement index " + std::to_string(auto_idx) + " out of range for positional args tuple");
      v = &a.pos[auto_idx++];
    } else if (std::all_of(field.begin(), field.end(), [](char ch) { return ch >= '0' && ch <= '9'; })) {
      // Any index with more digits than a size_t holds is out of range too (std::stoul would throw).
      std::size_t idx = field.size() > 9 ? a.pos.size() : static_cast<std::size_t>(std::stoul(field));
      if (idx >= a.pos.size()) fail("Replacement index " + field + " out of range for positional args tuple");
      v = &a.pos[idx];
    } else {
      for (const auto& kv : a.kw)
        if (kv.first == field) v = &kv.second;
      if (!v) fail("KeyError: '" + field + "'");
    }
    out += conv == 'r' ? repr(*v) : to_str(*v);
    check_string_size(out.size());
  }
  return out;
}

template <typename Pred>
bool all_chars(const std::string& s, Pred p) {
  auto cps = utf8::decode(s);
  if (cps.empty()) return false;
  return std::all_of(cps.begin(), cps.end(), p);
}

bool string_method(const std::string& s, const std::string& name, NativeFn& fn) {
  if (name == "strip" || name == "lstrip" || name == "rstrip") {
    bool l = name != "rstrip", r = name != "lstrip";
    fn = [s, l, r](const Args& a) {
      if (opt_none(a, 0)) return Value::string(uni::strip(s, l, r, nullptr));
      return Value::string(uni::strip(s, l, r, &str_arg(a, 0, "strip")));
    };
  } else if (name == "split" || name == "rsplit") {
    bool right = name == "rsplit";
    fn = [s, right](const Args& a) { return split(s, a, right); };
  } else if (name == "splitlines") {
    fn = [s](const Args&) {
      List out;
      std::size_t b = 0;
      for (std::size_t k = 0; k < s.size(); ++k) {
        if (s[k] == '\n' || s[k] == '\r') {
          out.push_back(Value::string(s.substr(b, k - b)));
          if (s[k] == '\r' && k + 1 < s.size() && s[k + 1] == '\n') ++k;
          b = k + 1;
        }
      }
      if (b < s.size()) out.push_back(Value::string(s.substr(b)));
      return Value::make_list(std::move(out));
    };
  } else if (name == "startswith" || name == "endswith") {
    bool pre = name == "startswith";
    fn = [s, pre](const Args& a) { return Value::boolean(affix_match(s, arg(a, 0, pre ? "startswith" : "endswith"), pre, pre ? "startswith" : "endswith")); };
  } else if (name == "upper") {
    fn = [s](const Args&) { return Value::string(uni::upper(s)); };
  } else if (name == "lower") {
    fn = [s](const Args&) { return Value::string(uni::lower(s)); };
  } else if (name == "title") {
    fn = [s](const Args&) { return Value::string(uni::py_title(s)); };
  } else if (name == "capitalize") {
    fn = [s](const Args&) { return Value::string(uni::py_capitalize(s)); };
  } else if (name == "replace") {
    fn = [s](const Args& a) {
      std::int64_t count = (a.pos.size() > 2 && a.pos[2].is_int_like()) ? a.pos[2].as_int() : -1;
      return Value::string(replace_all(s, str_arg(a, 0, "replace"), str_arg(a, 1, "replace"), count));
    };
  } else if (name == "find" || name == "rfind" || name == "index" || name == "rindex") {
    bool right = name[0] == 'r';
    bool raises = name.find("index") != std::string::npos;
    fn = [s, right, raises](const Args& a) {
      const std::string& sub = str_arg(a, 0, "find");
      auto f = right ? s.rfind(sub) : s.find(sub);
      if (f == std::string::npos) {
        if (raises) fail("substring not found");
        return Value::integer(-1);
      }
      return Value::integer(cp_index(s, f));
    };
  } else if (name == "count") {
    fn = [s](const Args& a) {
      const std::string& sub = str_arg(a, 0, "count");
      if (sub.empty()) return Value::integer(static_cast<std::int64_t>(uni::length(s)) + 1);
      std::int64_t n = 0;
      for (auto f = s.find(sub); f != std::string::npos; f = s.find(sub, f + sub.size())) ++n;
      return Value::integer(n);
    };
  } else if (name == "join") {
    fn = [s](const Args& a) {
      std::string out;
      bool first = true;
      for (const auto& v : iterate(arg(a, 0, "join"))) {
        if (!v.is_string()) fail(std::string("sequence item: expected str instance, ") + type_name(v) + " found");
        if (!first) out += s;
        first = false;
        check_string_size(out.size() + v.s.size());
        out += v.s;
      }
      return Value::string(std::move(out));
    };
  } else if (name == "format") {
    fn = [s](const Args& a) { return Value::string(format(s, a)); };
  } else if (name == "removeprefix" || name == "removesuffix") {
    bool pre = name == "removeprefix";
    fn = [s, pre](const Args& a) {
      const std::string& x = str_arg(a, 0, "removeprefix");
      if (x.size() <= s.size() && (pre ? s.compare(0, x.size(), x) == 0 : s.compare(s.size() - x.size(), x.size(), x) == 0))
        return Value::string(pre ? s.substr(x.size()) : s.substr(0, s.size() - x.size()));
      return Value::string(s);
    };
  } else if (name == "isdigit") {
    fn = [s](const Args&) { return Value::boolean(all_chars(s, uni::is_digit)); };
  } else if (name == "isalpha") {
    fn = [s](const Args&) { return Value::boolean(all_chars(s, uni::is_alpha)); };
  } else if (name == "isalnum") {
    fn = [s](const Args&) { return Value::boolean(all_chars(s, [](char32_t c) { return uni::is_alpha(c) || uni::is_digit(c); })); };
  } else if (name == "isspace") {
    fn = [s](const Args&) { return Value::boolean(all_chars(s, uni::is_space)); };
  } else if (name == "islower" || name == "isupper") {
    bool low = name == "islower";
    fn = [s, low](const Args&) {
      bool any = false;
      for (char32_t c : utf8::decode(s)) {
        if (low ? uni::is_upper(c) : uni::is_lower(c)) return Value::boolean(false);
        if (uni::is_cased(c)) any = true;
      }
      return Value::boolean(any);
    };
  } else {
    return false;
  }
  return true;
}

bool dict_method(const Value& self, const std::string& name, NativeFn& fn) {
  auto d = self.dict;
  if (name == "items") {
    fn = [d](const Args&) {
      List out;
      for (const auto& kv : d->items) out.push_back(Value::make_list({Value::string(kv.first), kv.second}, true));
      return Value::make_list(std::move(out));
    };
  } else if (name == "keys") {
    fn = [d](const Args&) {
      List out;
      for (const auto& kv : d->items) out.push_back(Value::string(kv.first));
      return Value::make_list(std::move(out));
    };
  } else if (name == "values") {
    fn = [d](const Args&) {
      List out;
      for (const auto& kv : d->items) out.push_back(kv.second);
      return Value::make_list(std::move(out));
    };
  } else if (name == "get") {
    fn = [d](const Args& a) {
      const Value& k = arg(a, 0, "get");
      if (k.is_string())
        if (const Value* v = d->find(k.s)) return *v;
      return a.pos.size() > 1 ? a.pos[1] : Value::none();
    };
  } else if (name == "copy") {
    fn = [d](const Args&) { return Value::make_dict(*d); };
  } else {
    return false;
  }
  return true;
}

bool list_method(const Value& self, const std::string& name, NativeFn& fn) {
  auto l = self.list;
  if (name == "index") {
    fn = [l](const Args& a) {
      const Value& x = arg(a, 0, "index");
      for (std::size_t k = 0; k < l->size(); ++k)
        if (equals((*l)[k], x)) return Value::integer(static_cast<std::int64_t>(k));
      fail(repr(x) + " is not in list");
    };
  } else if (name == "count") {
    fn = [l](const Args& a) {
      const Value& x = arg(a, 0, "count");
      std::int64_t n = 0;
      for (const auto& v : *l)
        if (equals(v, x)) ++n;
      return Value::integer(n);
    };
  } else if (name == "copy" && !self.tuple) {
    fn = [l](const Args&) { return Value::make_list(*l); };
  } else {
    return false;
  }
  return true;
}

}  // namespace

bool bind_method(const Value& self, const std::string& name, Value& out) {
  NativeFn fn;
  bool found = false;
  const char* unsafe = nullptr;
  switch (self.kind) {
    case Kind::string: found = string_method(self.s, name, fn); break;
    case Kind::dict:
      found = dict_method(self, name, fn);
      for (const char* m : {"pop", "popitem", "setdefault", "update", "clear"})
        if (name == m) unsafe = m;
      break;
    case Kind::list:
      found = list_method(self, name, fn);
      if (!self.tuple)
        for (const char* m : {"append", "extend", "insert", "pop", "remove", "reverse", "sort", "clear"})
          if (name == m) unsafe = m;
      break;
    default: break;
  }
  if (unsafe) {
    out = Value::undefined(std::string("access to attribute '") + unsafe + "' of '" + type_name(self) +
                           "' object is unsafe (templates cannot modify values)");
    return true;
  }
  if (!found) return false;
  out = Value::function(std::string(type_name(self)) + "." + name, std::move(fn));
  return true;
}

}  // namespace apr::tok::jinja
