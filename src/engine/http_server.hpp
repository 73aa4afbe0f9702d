// apr-qa engine: a small HTTP/1.1 server for `apr-qa serve` (sockets, connections, limits).
//
// Why not cpp-httplib (Debian 12 ships 0.11.4): its read timeout applies to each recv(), so a
// client trickling one byte a second never times out; its task queue has no bound and no access
// to the socket (enqueue returns void), so connections cannot be refused when full; a handler
// cannot ask whether its client is still connected (non-streamed generations ran to the end for
// nobody); and it answers Range headers on any 200 response with multipart bodies.
//
// Model: one acceptor thread (run()), one thread per open connection, at most max_connections
// open (the next one gets 503 and is closed). A request (head and body) must arrive within
// read_timeout_ms of the connection becoming idle: a partial request then gets 408 and the
// connection is closed; an idle keep-alive connection is closed silently. Writes time out after
// write_timeout_ms (SO_SNDTIMEO). Every response carries Content-Length (or chunked encoding for
// streams) and "Accept-Ranges: none"; Range headers are ignored, never answered with 206.
// Errors the server answers itself (bad head, 408, 413, 503) have a JSON body
// {"error":{"message":...,"type":...}} and close the connection after draining what the client
// still sends (at most 2 s), so that the client reads the answer instead of a reset.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "engine/http_request.hpp"

namespace apr::engine::http {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0 = any free port
  std::size_t max_connections = 64;
  int read_timeout_ms = 10000;
  int write_timeout_ms = 10000;
  std::size_t max_body_bytes = 1 << 20;
  Limits limits;
};

struct Request {
  RequestHead head;
  std::string body;
};

// The JSON error body every error response carries.
std::string error_json(std::string_view message, std::string_view type);

// One request's answer on its connection. Used by one thread at a time.
class Exchange {
 public:
  Exchange(int fd, bool keep_alive, int minor_version) : fd_(fd), keep_alive_(keep_alive), minor_(minor_version) {}
  // A complete response with Content-Length. False if the write failed.
  bool respond(int status, std::string_view content_type, std::string_view body, const Headers& extra = {});
  bool respond_error(int status, std::string_view message, const Headers& extra = {});
  // A 200 response whose body follows in pieces (chunked; close-delimited for HTTP/1.0).
  bool begin_stream(std::string_view content_type, const Headers& extra = {});
  bool write_chunk(std::string_view data);
  bool end_stream();
  // Close the connection without (further) response: the client went away.
  void abandon() { abandoned_ = true; keep_alive_ = false; }
  // Whether the client closed or reset the connection (poll: POLLRDHUP/POLLHUP/POLLERR), or a
  // write to it failed. Cheap (one poll with zero timeout): generation checks it per token.
  bool peer_closed();
  bool responded() const { return responded_; }
  bool abandoned() const { return abandoned_; }
  bool keep_alive() const { return keep_alive_ && !write_failed_; }

 private:
  bool send_all(std::string_view data);
  std::string head(int status, std::string_view content_type, const Headers& extra, bool chunked,
                   std::size_t length) const;
  int fd_;
  bool keep_alive_;
  int minor_;
  bool responded_ = false;
  bool streaming_ = false;
  bool abandoned_ = false;
  bool write_failed_ = false;
};

using Handler = std::function<void(const Request&, Exchange&)>;

struct Stats {
  std::atomic<std::uint64_t> connections_open{0};
  std::atomic<std::uint64_t> connections_total{0};
  std::atomic<std::uint64_t> connections_refused{0};  // over max_connections: 503
  std::atomic<std::uint64_t> read_timeouts{0};        // partial requests answered 408
  std::atomic<std::uint64_t> requests{0};             // complete requests handed to the handler
  std::atomic<std::uint64_t> bad_requests{0};         // heads/bodies refused by the server itself
};

class Server {
 public:
  Server(ServerOptions o, Handler h);
  ~Server();
  // Binds and listens (io Error naming host:port on failure); returns the bound port.
  Result<int> bind();
  // Accepts connections until stop(); then closes every connection and returns once the
  // connection threads have ended (a handler must return when its peer is shut down).
  void run();
  // Thread-safe; may be called before run() starts.
  void stop();
  const Stats& stats() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apr::engine::http
