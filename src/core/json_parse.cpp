#include "core/json_parse.hpp"

#include <vector>

#include "core/error.hpp"
#include "core/file_read.hpp"
#include "core/printable.hpp"

namespace apr {
namespace {

using json = nlohmann::json;

// SAX handler that builds the DOM with an explicit stack of open containers.
class BoundedDom {
 public:
  BoundedDom(json& root, const JsonLimits& l) : root_(root), limits_(l) {}

  bool null() { return put(json(nullptr)) != nullptr; }
  bool boolean(bool v) { return put(json(v)) != nullptr; }
  bool number_integer(json::number_integer_t v) { return put(json(v)) != nullptr; }
  bool number_unsigned(json::number_unsigned_t v) { return put(json(v)) != nullptr; }
  bool number_float(json::number_float_t v, const json::string_t&) { return put(json(v)) != nullptr; }
  bool string(json::string_t& v) { return put(json(std::move(v))) != nullptr; }
  bool binary(json::binary_t& v) { return put(json::binary(std::move(v))) != nullptr; }
  bool start_object(std::size_t) { return open(json::object()); }
  bool start_array(std::size_t) { return open(json::array()); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }
  bool key(json::string_t& k) {
    auto& obj = stack_.back()->get_ref<json::object_t&>();
    auto [it, fresh] = obj.try_emplace(std::move(k), nullptr);  // one lookup; k is moved only when fresh
    if (!fresh) {
      if (limits_.reject_duplicate_keys) {
        duplicate_ = true;
        failure_ = "duplicate key '" + printable(it->first, 80) + "'";
        return false;
      }
      it->second = nullptr;  // the last value wins
    }
    slot_ = &it->second;
    return true;
  }
  bool parse_error(std::size_t pos, const std::string&, const nlohmann::detail::exception& ex) {
    error_pos_ = pos;
    std::string m = ex.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 5: syntax error ..." -> from "syntax".
    if (auto c = m.find(": "); c != std::string::npos && m.compare(0, 1, "[") == 0) m = m.substr(c + 2);
    failure_ = "malformed JSON: " + m;
    return false;
  }

  const std::string& failure() const { return failure_; }
  bool depth_exceeded() const { return depth_exceeded_; }
  bool duplicate() const { return duplicate_; }
  std::size_t error_pos() const { return error_pos_; }

 private:
  json* put(json&& v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    json& top = *stack_.back();
    if (top.is_array()) {
      auto& arr = top.get_ref<json::array_t&>();
      arr.push_back(std::move(v));
      return &arr.back();
    }
    *slot_ = std::move(v);
    return slot_;
  }
  bool open(json&& v) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      depth_exceeded_ = true;
      failure_ = "JSON nested deeper than " + std::to_string(limits_.max_depth) + " levels";
      return false;
    }
    stack_.push_back(put(std::move(v)));
    return true;
  }
  bool close() {
    stack_.pop_back();
    return true;
  }

  json& root_;
  const JsonLimits& limits_;
  std::vector<json*> stack_;
  json* slot_ = nullptr;
  std::string failure_;
  bool depth_exceeded_ = false;
  bool duplicate_ = false;
  std::size_t error_pos_ = 0;
};

// Offset of the first bracket that opens level max_depth + 1 (outside strings).
std::size_t depth_offset(std::string_view t, int max_depth) {
  int depth = 0;
  bool in_str = false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    char ch = t[i];
    if (in_str) {
      if (ch == '\\') ++i;
      else if (ch == '"') in_str = false;
    } else if (ch == '"') {
      in_str = true;
    } else if (ch == '[' || ch == '{') {
      if (++depth > max_depth) return i;
    } else if (ch == ']' || ch == '}') {
      --depth;
    }
  }
  return t.size();
}

void append_escaped(std::string& out, std::string_view s, std::size_t budget) {
  out += '"';
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (out.size() >= budget) {
      out += "...";
      break;
    }
    auto ch = static_cast<unsigned char>(s[i]);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += static_cast<char>(ch);
    } else if (ch < 0x20 || ch == 0x7f) {
      static const char* hex = "0123456789abcdef";
      out += "\\u00";
      out += hex[ch >> 4];
      out += hex[ch & 15];
    } else {
      out += static_cast<char>(ch);
    }
  }
  out += '"';
}

void excerpt(std::string& out, const json& j, std::size_t budget, int depth) {
  if (out.size() >= budget) return;
  switch (j.type()) {
    case json::value_t::string:
      append_escaped(out, j.get_ref<const std::string&>(), budget);
      return;
    case json::value_t::array:
    case json::value_t::object: {
      const bool arr = j.is_array();
      if (depth >= 3 && !j.empty()) {
        out += arr ? "[...]" : "{...}";
        return;
      }
      out += arr ? '[' : '{';
      bool first = true;
      for (auto it = j.begin(); it != j.end(); ++it) {
        if (!first) out += ", ";
        first = false;
        if (out.size() >= budget) {
          out += "...";
          break;
        }
        if (!arr) {
          append_escaped(out, it.key(), budget);
          out += ": ";
        }
        excerpt(out, it.value(), budget, depth + 1);
      }
      out += arr ? ']' : '}';
      return;
    }
    case json::value_t::binary: out += "<binary>"; return;
    case json::value_t::discarded: out += "<discarded>"; return;
    default: out += j.dump(); return;  // null, boolean, numbers: short
  }
}

}  // namespace

json parse_json_bounded(std::string_view text, const std::string& origin, const JsonLimits& limits) {
  json root;
  BoundedDom dom(root, limits);
  const bool ok = json::sax_parse(text.begin(), text.end(), &dom, nlohmann::detail::input_format_t::json, true, false);
  if (ok) return root;
  if (dom.duplicate()) throw validation_error(dom.failure()).at_path(origin);
  if (dom.depth_exceeded())
    throw parse_error(dom.failure() + " (expected at most " + std::to_string(limits.max_depth) + ")")
        .at_path(origin)
        .at_offset(depth_offset(text, limits.max_depth));
  auto e = parse_error(dom.failure().empty() ? std::string("malformed JSON") : dom.failure()).at_path(origin);
  if (dom.error_pos() > 0) e.at_offset(dom.error_pos() - 1);
  throw e;
}

json read_json_file(const std::filesystem::path& path, const JsonLimits& limits, std::uint64_t max_bytes) {
  const std::string text = read_regular_file(path, "a JSON file", max_bytes);
  return parse_json_bounded(text, path.string(), limits);
}

std::string json_excerpt(const json& j, std::size_t max_chars) {
  std::string out;
  excerpt(out, j, max_chars, 0);
  if (out.size() > max_chars + 3) out = out.substr(0, max_chars) + "...";
  return out;
}

}  // namespace apr
