// apr-qa chat templates: Jinja lexer (see jinja_lexer.hpp). Mirrors jinja2 3.1's lexing rules
// (root/comment/block/variable/raw states, OptionalLStrip handling, bracket balancing).
#include "tokenizer/jinja_lexer.hpp"
#include "core/utf8.hpp"

#include <algorithm>
#include <cstdlib>

#include "tokenizer/jinja_unicode.hpp"
#include "tokenizer/jinja_value.hpp"

namespace apr::tok::jinja {

const char* tok_name(Tok t) {
  switch (t) {
    case Tok::data: return "template data";
    case Tok::var_begin: return "'{{'";
    case Tok::var_end: return "'}}'";
    case Tok::block_begin: return "'{%'";
    case Tok::block_end: return "'%}'";
    case Tok::name: return "name";
    case Tok::string: return "string";
    case Tok::integer: return "integer";
    case Tok::floating: return "float";
    case Tok::op: return "operator";
    case Tok::eof: return "end of template";
  }
  return "?";
}

namespace {

bool ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// Python str.rstrip() / "all characters are whitespace" on UTF-8 text.
std::string py_rstrip(const std::string& s) { return uni::strip(s, false, true, nullptr); }
bool all_space(const std::string& s) {
  if (s.empty()) return false;
  for (char32_t c : utf8::decode(s))
    if (!uni::is_space(c)) return false;
  return true;
}

class Lexer {
 public:
  explicit Lexer(std::string src) : s_(std::move(src)) {
    for (std::size_t k = 0; k < s_.size(); ++k)
      if (s_[k] == '\n') line_starts_.push_back(k + 1);
  }

  std::vector<Token> run() {
    while (pos_ < s_.size()) root_step();
    Token eof;
    eof.type = Tok::eof;
    locate(eof, s_.size());
    out_.push_back(eof);
    return std::move(out_);
  }

 private:
  [[noreturn]] void error(std::size_t at, const std::string& msg) {
    Token t;
    locate(t, at);
    throw TemplateError{TemplateError::Kind::syntax, msg, t.line, t.col};
  }

  void locate(Token& t, std::size_t at) const {
    auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), at);
    std::size_t line_start = *(it - 1);
    t.line = static_cast<int>(it - line_starts_.begin());
    t.col = static_cast<int>(at - line_start) + 1;
  }

  void emit(Tok type, std::size_t at, std::string text = {}) {
    Token t;
    t.type = type;
    t.text = std::move(text);
    locate(t, at);
    out_.push_back(std::move(t));
  }

  std::size_t skip_space(std::size_t q) const {
    while (q < s_.size() && ascii_space(s_[q])) ++q;
    return q;
  }
  bool at(std::size_t q, const char* lit) const { return s_.compare(q, std::char_traits<char>::length(lit), lit) == 0; }

  // Text before a tag: '-' strips all trailing whitespace; otherwise lstrip_blocks removes the
  // indentation of a line holding only whitespace before a block or comment tag.
  void emit_text(std::string text, std::size_t text_at, char sign, bool lstrip_applies) {
    if (sign == '-') {
      text = py_rstrip(text);
    } else if (sign != '+' && lstrip_applies) {
      std::size_t nl = text.rfind('\n');
      std::size_t l_pos = nl == std::string::npos ? 0 : nl + 1;
      if ((l_pos > 0 || line_starting_) && all_space(text.substr(l_pos))) text.resize(l_pos);
    }
    if (!text.empty()) emit(Tok::data, text_at, std::move(text));
  }

  void root_step() {
    std::size_t idx = pos_;
    while (true) {
      idx = s_.find('{', idx);
      if (idx == std::string::npos || idx + 1 >= s_.size()) {
        emit(Tok::data, pos_, s_.substr(pos_));
        pos_ = s_.size();
        return;
      }
      char k = s_[idx + 1];
      if (k == '{' || k == '%' || k == '#') break;
      ++idx;
    }
    std::string text = s_.substr(pos_, idx - pos_);
    std::size_t text_at = pos_;
    char kind = s_[idx + 1];
    std::size_t p = idx + 2;
    char sign = 0;
    if (p < s_.size() && (s_[p] == '-' || s_[p] == '+')) sign = s_[p++];

    if (kind == '%' && try_raw(text, text_at, sign, idx, p)) return;

    emit_text(std::move(text), text_at, sign, kind != '{');
    line_starting_ = false;
    if (kind == '#') {
      comment(idx, p);
    } else {
      tag(kind == '{', idx, p);
    }
  }

  bool try_raw(std::string& text, std::size_t text_at, char sign, std::size_t idx, std::size_t p) {
    std::size_t q = skip_space(p);
    if (!at(q, "raw")) return false;
    q = skip_space(q + 3);
    std::size_t body;
    if (at(q, "-%}")) body = skip_space(q + 3);
    else if (at(q, "%}")) body = q + 2;
    else return false;
    emit_text(std::move(text), text_at, sign, true);
    // Body runs to the first {% endraw %} (with optional whitespace control).
    std::size_t r = body;
    while (true) {
      r = s_.find("{%", r);
      if (r == std::string::npos) error(idx, "Missing end of raw directive");
      std::size_t e = r + 2;
      char esign = 0;
      if (e < s_.size() && (s_[e] == '-' || s_[e] == '+')) esign = s_[e++];
      e = skip_space(e);
      if (!at(e, "endraw")) {
        r += 2;
        continue;
      }
      e = skip_space(e + 6);
      std::size_t end;
      if (at(e, "+%}")) end = e + 3;
      else if (at(e, "-%}")) end = skip_space(e + 3);
      else if (at(e, "%}")) end = e + 2 + ((e + 2 < s_.size() && s_[e + 2] == '\n') ? 1 : 0);
      else {
        r += 2;
        continue;
      }
      line_starting_ = false;
      emit_text(s_.substr(body, r - body), body, esign, true);
      line_starting_ = end > 0 && s_[end - 1] == '\n';
      pos_ = end;
      return true;
    }
  }

  void comment(std::size_t idx, std::size_t p) {
    for (std::size_t q = p; q < s_.size(); ++q) {
      std::size_t end = 0;
      if (at(q, "+#}")) end = q + 3;
      else if (at(q, "-#}")) end = skip_space(q + 3);
      else if (at(q, "#}")) end = q + 2 + ((q + 2 < s_.size() && s_[q + 2] == '\n') ? 1 : 0);
      if (end) {
        line_starting_ = s_[end - 1] == '\n';
        pos_ = end;
        return;
      }
    }
    error(idx, "Missing end of comment tag");
  }

  void tag(bool variable, std::size_t idx, std::size_t p) {
    emit(variable ? Tok::var_begin : Tok::block_begin, idx);
    std::vector<char> balance;
    std::size_t q = p;
    while (true) {
      if (q >= s_.size())
        error(q, std::string("unexpected end of template, expected end of ") + (variable ? "print statement '}}'" : "statement block '%}'"));
      if (balance.empty()) {
        std::size_t end = 0;
        if (variable) {
          if (at(q, "-}}")) end = skip_space(q + 3);
          else if (at(q, "}}")) end = q + 2;
        } else {
          if (at(q, "+%}")) end = q + 3;
          else if (at(q, "-%}")) end = skip_space(q + 3);
          else if (at(q, "%}")) end = q + 2 + ((q + 2 < s_.size() && s_[q + 2] == '\n') ? 1 : 0);
        }
        if (end) {
          emit(variable ? Tok::var_end : Tok::block_end, q);
          line_starting_ = s_[end - 1] == '\n';
          pos_ = end;
          return;
        }
      }
      char c = s_[q];
      if (ascii_space(c)) {
        q = skip_space(q);
        continue;
      }
      if (is_digit(c)) {
        q = number(q);
        continue;
      }
      if (is_name_start(c)) {
        std::size_t e = q;
        while (e < s_.size() && is_name_char(s_[e])) ++e;
        emit(Tok::name, q, s_.substr(q, e - q));
        q = e;
        continue;
      }
      if (c == '\'' || c == '"') {
        q = string_literal(q);
        continue;
      }
      static const char* const ops[] = {"//", "**", "==", "!=", "<=", ">=", "+", "-", "/", "*", "%", "~", "[",
                                        "]",  "(",  ")",  "{",  "}",  "<",  ">", "=", ".", ":", "|", ",", ";"};
      const char* found = nullptr;
      for (const char* op : ops)
        if (at(q, op)) {
          found = op;
          break;
        }
      if (!found) {
        if (static_cast<unsigned char>(c) >= 0x80) error(q, "Invalid character in identifier or expression");
        error(q, std::string("unexpected char '") + c + "'");
      }
      std::string op = found;
      if (op == "(" || op == "[" || op == "{") {
        balance.push_back(op == "(" ? ')' : op == "[" ? ']' : '}');
      } else if (op == ")" || op == "]" || op == "}") {
        if (balance.empty()) error(q, "unexpected '" + op + "'");
        if (balance.back() != op[0]) error(q, "unexpected '" + op + "', expected '" + std::string(1, balance.back()) + "'");
        balance.pop_back();
      }
      emit(Tok::op, q, op);
      q += op.size();
    }
  }

  // Digits with single '_' separators; returns end or `q` when none.
  std::size_t digits(std::size_t q) const {
    if (q >= s_.size() || !is_digit(s_[q])) return q;
    std::size_t e = q;
    while (e < s_.size()) {
      if (is_digit(s_[e])) ++e;
      else if (s_[e] == '_' && e + 1 < s_.size() && is_digit(s_[e + 1])) e += 1;
      else break;
    }
    return e;
  }

  std::size_t number(std::size_t q) {
    auto strip_us = [](std::string t) {
      t.erase(std::remove(t.begin(), t.end(), '_'), t.end());
      return t;
    };
    bool after_dot = q > 0 && s_[q - 1] == '.';
    std::size_t int_end = digits(q);
    if (!after_dot) {  // float: digits ((.digits)? e[+-]?digits | .digits)
      std::size_t e = int_end;
      bool frac = false, expo = false;
      if (e < s_.size() && s_[e] == '.' && digits(e + 1) > e + 1) {
        e = digits(e + 1);
        frac = true;
      }
      if (e < s_.size() && (s_[e] == 'e' || s_[e] == 'E')) {
        std::size_t x = e + 1;
        if (x < s_.size() && (s_[x] == '+' || s_[x] == '-')) ++x;
        if (digits(x) > x) {
          e = digits(x);
          expo = true;
        }
      }
      if (frac || expo) {
        Token t;
        t.type = Tok::floating;
        t.text = s_.substr(q, e - q);
        // strtod, not stod: 1e999 is inf and 1e-999 is 0.0 as in Python, not an exception.
        t.fval = std::strtod(strip_us(t.text).c_str(), nullptr);
        locate(t, q);
        out_.push_back(t);
        return e;
      }
    }
    // integer: 0b/0o/0x prefixes, [1-9](_?\d)*, 0(_?0)*
    std::size_t e = q;
    int base = 10;
    if (s_[q] == '0' && q + 1 < s_.size() && std::string("bBoOxX").find(s_[q + 1]) != std::string::npos) {
      char k = static_cast<char>(s_[q + 1] | 0x20);
      base = k == 'b' ? 2 : k == 'o' ? 8 : 16;
      auto ok = [&](char c) {
        if (base == 2) return c == '0' || c == '1';
        if (base == 8) return c >= '0' && c <= '7';
        return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      };
      e = q + 2;
      while (e < s_.size()) {
        if (ok(s_[e])) ++e;
        else if (s_[e] == '_' && e + 1 < s_.size() && ok(s_[e + 1])) ++e;
        else break;
      }
      if (e == q + 2) e = q + 1;  // just "0"
      else q += 0;
    } else if (s_[q] == '0') {
      e = q + 1;
      while (e < s_.size() && (s_[e] == '0' || (s_[e] == '_' && e + 1 < s_.size() && s_[e + 1] == '0'))) ++e;
    } else {
      e = int_end;
    }
    Token t;
    t.type = Tok::integer;
    t.text = s_.substr(q, e - q);
    std::string digits_only = strip_us(t.text);
    if (base != 10 && digits_only.size() > 2) digits_only = digits_only.substr(2);
    else base = 10;
    try {
      t.ival = static_cast<std::int64_t>(std::stoull(digits_only, nullptr, base));
      if (static_cast<std::uint64_t>(t.ival) > static_cast<std::uint64_t>(INT64_MAX)) throw std::out_of_range("");
    } catch (...) {
      error(q, "integer literal " + t.text + " exceeds 64-bit range (unsupported)");
    }
    locate(t, q);
    out_.push_back(t);
    return e;
  }

  std::size_t string_literal(std::size_t q) {
    char quote = s_[q];
    std::size_t e = q + 1;
    std::string raw;
    while (true) {
      if (e >= s_.size()) error(q, std::string("unexpected char '") + quote + "' (unterminated string literal)");
      char c = s_[e];
      if (c == '\\' && e + 1 < s_.size()) {
        raw += c;
        raw += s_[e + 1];
        e += 2;
        continue;
      }
      if (c == quote) break;
      raw += c;
      ++e;
    }
    Token t;
    t.type = Tok::string;
    t.text = unescape(raw, q);
    locate(t, q);
    out_.push_back(t);
    return e + 1;
  }

  // Python "unicode-escape" decoding of a string literal body.
  std::string unescape(const std::string& r, std::size_t at_pos) {
    std::string out;
    auto hex = [&](std::size_t from, int n) -> char32_t {
      if (from + static_cast<std::size_t>(n) > r.size()) error(at_pos, "truncated escape in string literal");
      char32_t v = 0;
      for (int k = 0; k < n; ++k) {
        char c = r[from + static_cast<std::size_t>(k)];
        int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
        if (d < 0) error(at_pos, "truncated escape in string literal");
        v = v * 16 + static_cast<char32_t>(d);
      }
      return v;
    };
    for (std::size_t k = 0; k < r.size(); ++k) {
      char c = r[k];
      if (c != '\\' || k + 1 >= r.size()) {
        out += c;
        continue;
      }
      char n = r[++k];
      switch (n) {
        case '\n': break;
        case '\\': out += '\\'; break;
        case '\'': out += '\''; break;
        case '"': out += '"'; break;
        case 'a': out += '\a'; break;
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'v': out += '\v'; break;
        case 'x': utf8::append(out, hex(k + 1, 2)); k += 2; break;
        case 'u': utf8::append(out, hex(k + 1, 4)); k += 4; break;
        case 'U': {
          char32_t v = hex(k + 1, 8);
          if (v > 0x10FFFF) error(at_pos, "illegal Unicode character in string literal");
          utf8::append(out, v);
          k += 8;
          break;
        }
        case 'N': error(at_pos, "unsupported construct: \\N{...} escape in string literal");
        default:
          if (n >= '0' && n <= '7') {
            char32_t v = 0;
            std::size_t m = k;
            for (int d = 0; d < 3 && m < r.size() && r[m] >= '0' && r[m] <= '7'; ++d, ++m) v = v * 8 + static_cast<char32_t>(r[m] - '0');
            utf8::append(out, v);
            k = m - 1;
          } else {
            out += '\\';
            out += n;
          }
      }
    }
    return out;
  }

  std::string s_;
  std::size_t pos_ = 0;
  bool line_starting_ = true;
  std::vector<std::size_t> line_starts_{0};
  std::vector<Token> out_;
};

}  // namespace

std::vector<Token> lex(const std::string& source) {
  std::size_t bad = 0;
  if (!utf8::is_valid(source, &bad))
    throw TemplateError{TemplateError::Kind::syntax, "invalid UTF-8 at byte offset " + std::to_string(bad), 0, 0};
  // Normalise newlines and drop one trailing newline (keep_trailing_newline=False).
  std::string s;
  s.reserve(source.size());
  for (std::size_t k = 0; k < source.size(); ++k) {
    if (source[k] == '\r') {
      s += '\n';
      if (k + 1 < source.size() && source[k + 1] == '\n') ++k;
    } else {
      s += source[k];
    }
  }
  if (!s.empty() && s.back() == '\n') s.pop_back();
  return Lexer(std::move(s)).run();
}

}  // namespace apr::tok::jinja
