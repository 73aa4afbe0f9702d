#include "engine/http_request.hpp"

#include <algorithm>
#include <cctype>

namespace apr::engine::http {

namespace {

bool is_tchar(unsigned char c) {
  if (std::isalnum(c)) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+': case '-':
    case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

bool is_token(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return is_tchar(static_cast<unsigned char>(c)); });
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

HeadParse fail(int status, std::string message) {
  HeadParse p;
  p.status = HeadParse::Status::error;
  p.http_status = status;
  p.message = std::move(message);
  return p;
}

// Next line of buf from pos: [pos, end of line) without CR/LF; advances pos past the LF.
// False when no LF follows within buf.
bool next_line(std::string_view buf, std::size_t& pos, std::string_view& line) {
  std::size_t lf = buf.find('\n', pos);
  if (lf == std::string_view::npos) return false;
  std::size_t end = lf;
  if (end > pos && buf[end - 1] == '\r') --end;
  line = buf.substr(pos, end - pos);
  pos = lf + 1;
  return true;
}

// Comma-separated tokens of a header value (Connection), lower-cased.
bool has_token(std::string_view value, std::string_view want) {
  std::size_t start = 0;
  while (start <= value.size()) {
    std::size_t comma = value.find(',', start);
    if (comma == std::string_view::npos) comma = value.size();
    if (lower(trim(value.substr(start, comma - start))) == want) return true;
    start = comma + 1;
  }
  return false;
}

}  // namespace

const std::string* RequestHead::header(std::string_view lower_name) const {
  for (const auto& [k, v] : headers)
    if (k == lower_name) return &v;
  return nullptr;
}

HeadParse parse_request_head(std::string_view buf, const Limits& limits) {
  // The head ends at the first empty line; look for it within the limit only.
  std::size_t pos = 0;
  // RFC 9112 2.2: ignore at least one empty line before the request line.
  while (pos < buf.size() && pos < 4 && (buf[pos] == '\r' || buf[pos] == '\n')) ++pos;
  std::string_view window = buf.substr(0, std::min(buf.size(), limits.max_head_bytes));
  std::size_t end = std::string_view::npos;
  for (std::size_t i = window.find('\n', pos); i != std::string_view::npos; i = window.find('\n', i + 1)) {
    // an empty line: "\n\n" or "\n\r\n"
    if (i + 1 < window.size() && window[i + 1] == '\n') { end = i + 2; break; }
    if (i + 2 < window.size() && window[i + 1] == '\r' && window[i + 2] == '\n') { end = i + 3; break; }
  }
  if (end == std::string_view::npos) {
    if (buf.size() >= limits.max_head_bytes)
      return fail(431, "request head larger than " + std::to_string(limits.max_head_bytes) + " bytes");
    return HeadParse{};
  }
  std::string_view head_text = buf.substr(0, end);

  HeadParse p;
  RequestHead& h = p.head;
  std::string_view line;
  if (!next_line(head_text, pos, line)) return fail(400, "malformed request line");
  // Request line: METHOD SP TARGET SP VERSION (single spaces).
  std::size_t sp1 = line.find(' ');
  std::size_t sp2 = sp1 == std::string_view::npos ? sp1 : line.find(' ', sp1 + 1);
  if (sp1 == std::string_view::npos || sp2 == std::string_view::npos || line.find(' ', sp2 + 1) != std::string_view::npos)
    return fail(400, "malformed request line (expected 'METHOD /path HTTP/1.1')");
  std::string_view method = line.substr(0, sp1), target = line.substr(sp1 + 1, sp2 - sp1 - 1),
                   version = line.substr(sp2 + 1);
  if (!is_token(method)) return fail(400, "malformed request method");
  if (target.empty() || target.front() != '/')
    return fail(400, "request target must be a path starting with '/'");
  for (char c : target)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return fail(400, "control character in request target");
  if (version.size() != 8 || version.substr(0, 7) != "HTTP/1.") {
    if (version.substr(0, 5) == "HTTP/" && version.size() <= 16)
      return fail(505, "HTTP version not supported (expected HTTP/1.0 or HTTP/1.1)");
    return fail(400, "malformed HTTP version");
  }
  if (version[7] != '0' && version[7] != '1') return fail(505, "HTTP version not supported (expected HTTP/1.0 or HTTP/1.1)");
  h.method = std::string(method);
  h.target = std::string(target);
  h.path = std::string(target.substr(0, target.find('?')));
  h.minor_version = version[7] - '0';
  h.keep_alive = h.minor_version == 1;

  bool have_length = false;
  while (next_line(head_text, pos, line)) {
    if (line.empty()) break;
    if (h.headers.size() >= limits.max_headers)
      return fail(431, "more than " + std::to_string(limits.max_headers) + " header lines");
    if (line.front() == ' ' || line.front() == '\t') return fail(400, "folded header lines are not accepted");
    std::size_t colon = line.find(':');
    if (colon == std::string_view::npos) return fail(400, "malformed header line (expected 'Name: value')");
    std::string_view name = line.substr(0, colon);
    if (!is_token(name)) return fail(400, "malformed header name");
    std::string_view value = trim(line.substr(colon + 1));
    for (char c : value)
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return fail(400, "control character in header value");
    std::string key = lower(name);
    if (key == "content-length") {
      if (value.empty() || value.size() > 15 ||
          !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; }))
        return fail(400, "Content-Length must be a decimal number of at most 15 digits");
      std::uint64_t n = 0;
      for (char c : value) n = n * 10 + static_cast<std::uint64_t>(c - '0');
      if (have_length && n != h.content_length) return fail(400, "two different Content-Length headers");
      h.content_length = n;
      have_length = true;
    } else if (key == "transfer-encoding") {
      return fail(501, "Transfer-Encoding in requests is not supported; send the body with Content-Length");
    } else if (key == "connection") {
      if (has_token(value, "close")) h.keep_alive = false;
      else if (has_token(value, "keep-alive")) h.keep_alive = true;
    } else if (key == "expect") {
      if (lower(value) != "100-continue") return fail(417, "only 'Expect: 100-continue' is supported");
      h.expect_continue = true;
    }
    h.headers.emplace_back(std::move(key), std::string(value));
  }
  p.status = HeadParse::Status::complete;
  p.head_bytes = end;
  return p;
}

bool is_json_media_type(std::string_view content_type) {
  std::string_view type = trim(content_type.substr(0, content_type.find(';')));
  return lower(type) == "application/json";
}

const char* reason_phrase(int status) {
  switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 411: return "Length Required";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 417: return "Expectation Failed";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    default: return "Unknown";
  }
}

}  // namespace apr::engine::http
