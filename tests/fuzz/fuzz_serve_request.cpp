// libFuzzer target: what `apr-qa serve` does with a client's bytes before the engine: the
// HTTP/1.1 head parser, then the body (after the head, Content-Length bytes) as a /generate and
// a /v1/chat/completions request: JSON, sampling fields, messages, token ids. Every input ends in
// a parsed request or a BadRequest / HTTP status, never another exception.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "engine/http_request.hpp"
#include "engine/server_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace apr::engine;
  std::string_view in(reinterpret_cast<const char*>(data), size);
  auto p = http::parse_request_head(in);
  if (p.status == http::HeadParse::Status::error) {
    if (p.http_status < 400 || p.http_status > 599 || p.message.empty()) __builtin_trap();
    return 0;
  }
  std::string_view body = p.status == http::HeadParse::Status::complete ? in.substr(p.head_bytes) : in;
  if (p.status == http::HeadParse::Status::complete) {
    if (p.head_bytes > in.size()) __builtin_trap();
    if (p.head.content_length < body.size()) body = body.substr(0, static_cast<std::size_t>(p.head.content_length));
    if (const auto* ct = p.head.header("content-type")) (void)http::is_json_media_type(*ct);
    (void)http::reason_phrase(404);
  }
  try {
    auto j = parse_json_body(body);
    try {
      (void)sampling_from(j, 4096, 256);
    } catch (const BadRequest&) {
    }
    try {
      (void)token_ids(j, 49152);
    } catch (const BadRequest&) {
    }
    check_chat_fields(j);
    (void)chat_messages(j);
  } catch (const BadRequest& b) {
    if (b.status < 400 || b.status > 599) __builtin_trap();
  }
  return 0;
}
