// The request-head parser of `apr-qa serve` (engine/http_request.hpp) and the request-body
// validation (engine/server_request.hpp): every refusal has the status a client must see.
#include <doctest/doctest.h>

#include <string>

#include "engine/http_request.hpp"
#include "engine/server_request.hpp"

using namespace apr::engine;
using http::HeadParse;
using http::parse_request_head;

namespace {
int status_of(const std::string& raw) {
  auto p = parse_request_head(raw);
  if (p.status == HeadParse::Status::complete) return 200;
  if (p.status == HeadParse::Status::incomplete) return 0;
  return p.http_status;
}
}  // namespace

TEST_CASE("http head: a complete request with body length, keep-alive and query") {
  std::string raw = "POST /generate?x=1 HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
                    "Content-Length: 12\r\n\r\n{\"prompt\":1}";
  auto p = parse_request_head(raw);
  REQUIRE(p.status == HeadParse::Status::complete);
  CHECK(p.head.method == "POST");
  CHECK(p.head.path == "/generate");
  CHECK(p.head.target == "/generate?x=1");
  CHECK(p.head.content_length == 12);
  CHECK(p.head.keep_alive);
  CHECK(p.head_bytes == raw.size() - 12);
  REQUIRE(p.head.header("content-type"));
  CHECK(http::is_json_media_type(*p.head.header("content-type")));
}

TEST_CASE("http head: incomplete until the empty line; bare LF accepted; HTTP/1.0 closes") {
  CHECK(status_of("GET /health HTTP/1.1\r\nHost: a\r\n") == 0);
  CHECK(status_of("GET /health HTTP/1.1\nHost: a\n\n") == 200);
  auto p = parse_request_head("GET / HTTP/1.0\r\n\r\n");
  REQUIRE(p.status == HeadParse::Status::complete);
  CHECK_FALSE(p.head.keep_alive);
  CHECK_FALSE(parse_request_head("GET / HTTP/1.1\r\nConnection: Keep-Alive, Close\r\n\r\n").head.keep_alive);
}

TEST_CASE("http head: refusals carry the status a client sees") {
  CHECK(status_of("GET /health\r\n\r\n") == 400);
  CHECK(status_of("GET  /health HTTP/1.1\r\n\r\n") == 400);
  CHECK(status_of("GET http://x/health HTTP/1.1\r\n\r\n") == 400);
  CHECK(status_of("GET /health HTTP/2.0\r\n\r\n") == 505);
  CHECK(status_of("GET /health HTTP/1.1\r\n folded\r\n\r\n") == 400);
  CHECK(status_of("GET /health HTTP/1.1\r\nNo colon\r\n\r\n") == 400);
  CHECK(status_of("GET /health HTTP/1.1\r\nX: a\x01" "b\r\n\r\n") == 400);
  CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n") == 400);
  CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n") == 400);
  CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n") == 400);
  CHECK(status_of("POST / HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n") == 200);
  CHECK(status_of("POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n") == 501);
  CHECK(status_of("POST / HTTP/1.1\r\nExpect: something\r\n\r\n") == 417);
  CHECK(parse_request_head("POST / HTTP/1.1\r\nExpect: 100-Continue\r\n\r\n").head.expect_continue);
  // Limits: head size (also without any line end) and header count.
  CHECK(status_of("GET / HTTP/1.1\r\nX: " + std::string(20000, 'a')) == 431);
  CHECK(status_of(std::string(20000, 'a')) == 431);
  std::string many = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 101; ++i) many += "X-" + std::to_string(i) + ": 1\r\n";
  CHECK(status_of(many + "\r\n") == 431);
}

TEST_CASE("http head: a Range header is kept as a header, never interpreted") {
  auto p = parse_request_head("GET /health HTTP/1.1\r\nRange: bytes=0-1,2-3\r\n\r\n");
  REQUIRE(p.status == HeadParse::Status::complete);
  REQUIRE(p.head.header("range"));
  CHECK(*p.head.header("range") == "bytes=0-1,2-3");
}

TEST_CASE("http: JSON media types") {
  CHECK(http::is_json_media_type("application/json"));
  CHECK(http::is_json_media_type("Application/JSON; charset=utf-8"));
  CHECK_FALSE(http::is_json_media_type("text/plain"));
  CHECK_FALSE(http::is_json_media_type("application/jsonx"));
  CHECK_FALSE(http::is_json_media_type(""));
}

TEST_CASE("serve request bodies: JSON object, bounded depth, typed fields") {
  CHECK_THROWS_AS(parse_json_body("{not json"), BadRequest);
  CHECK_THROWS_AS(parse_json_body("[1]"), BadRequest);
  CHECK_THROWS_AS(parse_json_body("{\"a\":" + std::string(100000, '[') + std::string(100000, ']') + "}"), BadRequest);
  auto j = parse_json_body(R"({"max_tokens": 5, "temperature": 0.5, "ignore_eos": true})");
  auto s = sampling_from(j, 100, 256);
  CHECK(s.max_tokens == 5);
  CHECK(s.ignore_eos);
  CHECK(sampling_from(parse_json_body("{}"), 100, 256).max_tokens == 100);
  CHECK_THROWS_AS(sampling_from(parse_json_body(R"({"max_tokens": 0})"), 100, 256), BadRequest);
  CHECK_THROWS_AS(sampling_from(parse_json_body(R"({"top_p": 0})"), 100, 256), BadRequest);
  CHECK_THROWS_AS(sampling_from(parse_json_body(R"({"temperature": "hot"})"), 100, 256), BadRequest);
  CHECK_THROWS_AS(token_ids(parse_json_body(R"({"tokens": [1, 18446744073709551615]})"), 10), BadRequest);
  CHECK_THROWS_AS(token_ids(parse_json_body(R"({"tokens": [10]})"), 10), BadRequest);
  CHECK(token_ids(parse_json_body(R"({"tokens": [0, 9]})"), 10)->size() == 2);
  CHECK_THROWS_AS(chat_messages(parse_json_body(R"({"messages": [{"content": "x"}]})")), BadRequest);
  CHECK_THROWS_AS(check_chat_fields(parse_json_body(R"({"n": 2})")), BadRequest);
}
