// apr-qa chat templates: Python json.dumps on interpreter values (see jinja_json.hpp).
#include "tokenizer/jinja_json.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja_budget.hpp"
#include "tokenizer/jinja_unicode.hpp"

namespace apr::tok::jinja {
namespace {

void escape_string(std::string& out, const std::string& s, bool ensure_ascii) {
  out += '"';
  for (char32_t c : utf8::decode(s)) {
    switch (c) {
      case '"': out += "\\\""; continue;
      case '\\': out += "\\\\"; continue;
      case '\n': out += "\\n"; continue;
      case '\r': out += "\\r"; continue;
      case '\t': out += "\\t"; continue;
      case '\b': out += "\\b"; continue;
      case '\f': out += "\\f"; continue;
      default: break;
    }
    char buf[16];
    if (c < 0x20 || (ensure_ascii && c > 0x7E)) {
      if (c >= 0x10000) {
        unsigned v = static_cast<unsigned>(c) - 0x10000;
        std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (v >> 10), 0xDC00 + (v & 0x3FF));
      } else {
        std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
      }
      out += buf;
    } else {
      utf8::append(out, c);
    }
  }
  out += '"';
}

std::string key_text(const std::string& k) { return k; }

void dump(std::string& out, const Value& v, const DumpOptions& o, int level) {
  DepthGuard guard;
  check_string_size(out.size());
  auto newline = [&](int lvl) {
    check_string_size(out.size() + 1 + static_cast<std::size_t>(lvl) * o.indent->size());
    out += '\n';
    for (int k = 0; k < lvl; ++k) out += *o.indent;
  };
  switch (v.kind) {
    case Kind::none: out += "null"; return;
    case Kind::boolean: out += v.b ? "true" : "false"; return;
    case Kind::integer: out += std::to_string(v.i); return;
    case Kind::floating:
      if (std::isnan(v.f)) out += "NaN";
      else if (std::isinf(v.f)) out += v.f < 0 ? "-Infinity" : "Infinity";
      else out += repr_float(v.f);
      return;
    case Kind::string: escape_string(out, v.s, o.ensure_ascii); return;
    case Kind::list: {
      if (v.range) fail("Object of type range is not JSON serializable");
      if (v.list->empty()) {
        out += "[]";
        return;
      }
      out += '[';
      for (std::size_t k = 0; k < v.list->size(); ++k) {
        if (k) out += o.item_sep;
        if (o.indent) newline(level + 1);
        dump(out, (*v.list)[k], o, level + 1);
      }
      if (o.indent) newline(level);
      out += ']';
      return;
    }
    case Kind::dict: {
      if (v.dict->items.empty()) {
        out += "{}";
        return;
      }
      std::vector<const std::pair<std::string, Value>*> items;
      for (const auto& kv : v.dict->items) items.push_back(&kv);
      if (o.sort_keys)
        std::stable_sort(items.begin(), items.end(), [](auto* a, auto* b) { return a->first < b->first; });
      out += '{';
      bool first = true;
      for (const auto* kv : items) {
        if (!first) out += o.item_sep;
        first = false;
        if (o.indent) newline(level + 1);
        escape_string(out, key_text(kv->first), o.ensure_ascii);
        out += o.key_sep;
        dump(out, kv->second, o, level + 1);
      }
      if (o.indent) newline(level);
      out += '}';
      return;
    }
    default: {
      std::string t = v.kind == Kind::ns ? "Namespace" : type_name(v);
      fail("Object of type " + t + " is not JSON serializable");
    }
  }
}

}  // namespace

std::string dumps(const Value& v, const DumpOptions& opts) {
  std::string out;
  dump(out, v, opts, 0);
  return out;
}

}  // namespace apr::tok::jinja
