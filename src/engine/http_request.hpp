// apr-qa engine: the HTTP/1.1 request-head parser behind `apr-qa serve` (a pure function on
// bytes, so that it can be fuzzed: tests/fuzz/fuzz_serve_request.cpp).
//
// Accepted: "METHOD SP origin-form-target SP HTTP/1.0|HTTP/1.1" CRLF, header lines "Name: value"
// CRLF (a bare LF is accepted as a line end), an empty line. Refused with the status a server
// answers: a head over max_head_bytes or more than max_headers lines (431), a malformed request
// line or header, a folded header line, control characters in a value, a Content-Length that is
// not a decimal number or two different Content-Lengths (400), any Transfer-Encoding (501: request
// bodies must carry Content-Length), an HTTP version other than 1.0/1.1 (505), an Expect other
// than 100-continue (417). Range headers are not interpreted (the server never answers 206).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace apr::engine::http {

struct Limits {
  std::size_t max_head_bytes = 16 * 1024;
  std::size_t max_headers = 100;
};

struct RequestHead {
  std::string method;   // as sent (case-sensitive, RFC 9110)
  std::string target;   // request target as sent
  std::string path;     // target without the query
  int minor_version = 1;  // HTTP/1.<minor>
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased, values trimmed
  std::uint64_t content_length = 0;
  bool keep_alive = true;       // HTTP/1.1 default unless "Connection: close"; 1.0 only with keep-alive
  bool expect_continue = false;  // "Expect: 100-continue"

  // The first header's value with this lower-case name, or nullptr.
  const std::string* header(std::string_view lower_name) const;
};

struct HeadParse {
  enum class Status { incomplete, complete, error };
  Status status = Status::incomplete;
  std::size_t head_bytes = 0;  // bytes of buf the head used (complete only)
  int http_status = 0;         // error only: 400, 417, 431, 501, 505
  std::string message;         // error only: one line for the JSON error body
  RequestHead head;
};

// Parses the request head at the start of buf. incomplete: more bytes are needed (buf holds no
// full head yet and is within the limits).
HeadParse parse_request_head(std::string_view buf, const Limits& limits = {});

// Whether a Content-Type value names JSON: "application/json" with optional parameters
// (case-insensitive), e.g. "application/json; charset=utf-8".
bool is_json_media_type(std::string_view content_type);

// The reason phrase of a status code ("OK", "Not Found", ...; "Unknown" otherwise).
const char* reason_phrase(int status);

}  // namespace apr::engine::http
