#include "engine/http_server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>

namespace apr::engine::http {

namespace {

using Clock = std::chrono::steady_clock;

int ms_left(Clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1 << 30));
}

enum class ReadOutcome { data, closed, timeout, error };

// Appends what one recv() returns to buf, waiting until deadline.
ReadOutcome read_some(int fd, std::string& buf, Clock::time_point deadline) {
  char tmp[16384];
  for (;;) {
    pollfd p{fd, POLLIN, 0};
    int left = ms_left(deadline);
    int n = ::poll(&p, 1, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ReadOutcome::error;
    }
    if (n == 0) return ReadOutcome::timeout;
    ssize_t got = ::recv(fd, tmp, sizeof tmp, 0);
    if (got > 0) {
      buf.append(tmp, static_cast<std::size_t>(got));
      return ReadOutcome::data;
    }
    if (got == 0) return ReadOutcome::closed;
    if (errno == EINTR || errno == EAGAIN) continue;
    return ReadOutcome::error;
  }
}

// After an error answer: stop writing, read (and drop) what the client still sends for at most
// 2 s or 4 MiB, so that it sees the answer rather than a connection reset.
void lingering_close(int fd) {
  ::shutdown(fd, SHUT_WR);
  auto deadline = Clock::now() + std::chrono::seconds(2);
  std::size_t drained = 0;
  std::string sink;
  while (drained < (4u << 20)) {
    sink.clear();
    if (read_some(fd, sink, deadline) != ReadOutcome::data) break;
    drained += sink.size();
  }
}

}  // namespace

std::string error_json(std::string_view message, std::string_view type) {
  nlohmann::json j = {{"error", {{"message", std::string(message)}, {"type", std::string(type)}}}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// ---- Exchange ----

bool Exchange::send_all(std::string_view data) {
  if (write_failed_) return false;
  while (!data.empty()) {
    ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      write_failed_ = true;  // EPIPE, ECONNRESET, or EAGAIN after SO_SNDTIMEO
      return false;
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

std::string Exchange::head(int status, std::string_view content_type, const Headers& extra, bool chunked,
                           std::size_t length) const {
  std::string h = "HTTP/1." + std::to_string(minor_) + " " + std::to_string(status) + " " + reason_phrase(status) + "\r\n";
  if (!content_type.empty()) h += "Content-Type: " + std::string(content_type) + "\r\n";
  if (chunked) {
    if (minor_ >= 1) h += "Transfer-Encoding: chunked\r\n";
  } else {
    h += "Content-Length: " + std::to_string(length) + "\r\n";
  }
  h += "Accept-Ranges: none\r\n";
  for (const auto& [k, v] : extra) h += k + ": " + v + "\r\n";
  h += keep_alive_ ? "Connection: keep-alive\r\n" : "Connection: close\r\n";
  h += "\r\n";
  return h;
}

bool Exchange::respond(int status, std::string_view content_type, std::string_view body, const Headers& extra) {
  responded_ = true;
  std::string out = head(status, content_type, extra, false, body.size());
  out.append(body);
  return send_all(out);
}

bool Exchange::respond_error(int status, std::string_view message, const Headers& extra) {
  return respond(status, "application/json",
                 error_json(message, status >= 500 ? "server_error" : "invalid_request_error"), extra);
}

bool Exchange::begin_stream(std::string_view content_type, const Headers& extra) {
  responded_ = true;
  streaming_ = true;
  if (minor_ == 0) keep_alive_ = false;  // close-delimited body
  return send_all(head(200, content_type, extra, true, 0));
}

bool Exchange::write_chunk(std::string_view data) {
  if (data.empty()) return !write_failed_;
  if (minor_ == 0) return send_all(data);
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string out = size;
  out.append(data);
  out += "\r\n";
  return send_all(out);
}

bool Exchange::end_stream() {
  if (minor_ == 0) return !write_failed_;
  return send_all("0\r\n\r\n");
}

bool Exchange::peer_closed() {
  if (write_failed_) return true;
  pollfd p{fd_, POLLRDHUP, 0};
  int n = ::poll(&p, 1, 0);
  return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR | POLLNVAL)) != 0;
}

// ---- Server ----

struct Server::Impl {
  ServerOptions opts;
  Handler handler;
  Stats stats;
  int listen_fd = -1;
  int wake[2] = {-1, -1};
  std::atomic<bool> stopping{false};
  std::mutex mu;
  std::condition_variable cv;
  std::set<int> open_fds;

  void refuse(int fd) {
    stats.connections_refused++;
    Exchange ex(fd, false, 1);
    // The answer is small: one send into an empty socket buffer does not block.
    ex.respond_error(503, "too many open connections (--max-connections " + std::to_string(opts.max_connections) +
                              "); retry later",
                     {{"Retry-After", "1"}});
    ::shutdown(fd, SHUT_WR);
    ::close(fd);
  }

  // Answer an error the server detects itself and close the connection.
  void fail(int fd, int minor, int status, const std::string& message) {
    stats.bad_requests++;
    Exchange ex(fd, false, minor);
    ex.respond_error(status, message);
    lingering_close(fd);
  }

  void serve_connection(int fd) {
    std::string buf;
    for (;;) {
      const auto deadline = Clock::now() + std::chrono::milliseconds(opts.read_timeout_ms);
      HeadParse hp;
      for (;;) {
        hp = parse_request_head(buf, opts.limits);
        if (hp.status != HeadParse::Status::incomplete) break;
        auto r = read_some(fd, buf, deadline);
        if (r == ReadOutcome::data) continue;
        if (r == ReadOutcome::timeout && !buf.empty() && !stopping) {
          stats.read_timeouts++;
          fail(fd, 1, 408, "request not received within " + std::to_string(opts.read_timeout_ms / 1000.0).substr(0, 5) +
                               " s (--read-timeout)");
        }
        return;  // closed, idle timeout, error
      }
      if (hp.status == HeadParse::Status::error) return fail(fd, 1, hp.http_status, hp.message);
      RequestHead head = std::move(hp.head);
      buf.erase(0, hp.head_bytes);
      if (head.content_length > opts.max_body_bytes)
        return fail(fd, head.minor_version, 413,
                    "request body of " + std::to_string(head.content_length) + " bytes is larger than --max-body " +
                        std::to_string(opts.max_body_bytes));
      const auto length = static_cast<std::size_t>(head.content_length);
      if (head.expect_continue && buf.size() < length) {
        const std::string c = "HTTP/1.1 100 Continue\r\n\r\n";
        if (::send(fd, c.data(), c.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(c.size())) return;
      }
      while (buf.size() < length) {
        auto r = read_some(fd, buf, deadline);
        if (r == ReadOutcome::data) continue;
        if (r == ReadOutcome::timeout && !stopping) {
          stats.read_timeouts++;
          fail(fd, head.minor_version, 408, "request body not received within the read timeout (--read-timeout)");
        }
        return;
      }
      Request req{std::move(head), buf.substr(0, length)};
      buf.erase(0, length);
      stats.requests++;
      Exchange ex(fd, req.head.keep_alive && !stopping, req.head.minor_version);
      try {
        handler(req, ex);
      } catch (const std::exception& e) {
        if (!ex.responded()) ex.respond_error(500, e.what());
      }
      if (ex.abandoned() || !ex.responded()) return;
      if (!ex.keep_alive() || stopping) return;
    }
  }

  void start_connection(int fd) {
    {
      std::lock_guard<std::mutex> lk(mu);
      open_fds.insert(fd);
    }
    stats.connections_open++;
    stats.connections_total++;
    // Everything under the lock: once run() sees no open fd it may return and the Server go away.
    auto finish = [this, fd] {
      std::lock_guard<std::mutex> lk(mu);
      open_fds.erase(fd);
      ::close(fd);
      stats.connections_open--;
      cv.notify_all();
    };
    try {
      std::thread([this, fd, finish] {
        serve_connection(fd);
        finish();
      }).detach();
    } catch (const std::system_error&) {
      finish();  // no thread for it: drop the connection
    }
  }
};

Server::Server(ServerOptions o, Handler h) : impl_(std::make_unique<Impl>()) {
  impl_->opts = std::move(o);
  impl_->handler = std::move(h);
  if (::pipe2(impl_->wake, O_CLOEXEC | O_NONBLOCK) != 0) impl_->wake[0] = impl_->wake[1] = -1;
}

Server::~Server() {
  if (impl_->listen_fd >= 0) ::close(impl_->listen_fd);
  for (int fd : impl_->wake)
    if (fd >= 0) ::close(fd);
}

const Stats& Server::stats() const { return impl_->stats; }

Result<int> Server::bind() {
  const auto& o = impl_->opts;
  const std::string where = o.host + ":" + std::to_string(o.port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* res = nullptr;
  const std::string port = std::to_string(o.port);
  if (int rc = ::getaddrinfo(o.host.c_str(), port.c_str(), &hints, &res); rc != 0)
    return io_error("serve: cannot resolve " + o.host + ": " + ::gai_strerror(rc));
  int fd = -1;
  int err = 0;
  for (addrinfo* a = res; a; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) { err = errno; continue; }
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(fd, a->ai_addr, a->ai_addrlen) == 0 && ::listen(fd, 256) == 0) break;
    err = errno;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(res);
  if (fd < 0)
    return io_error("serve: cannot bind " + where + ": " + std::strerror(err) + " (in use or not permitted)");
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len);
  int bound = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port)
                                       : ntohs(reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
  impl_->listen_fd = fd;
  return bound;
}

void Server::run() {
  Impl& I = *impl_;
  const timeval snd{I.opts.write_timeout_ms / 1000, (I.opts.write_timeout_ms % 1000) * 1000};
  while (!I.stopping) {
    pollfd p[2] = {{I.listen_fd, POLLIN, 0}, {I.wake[0], POLLIN, 0}};
    int n = ::poll(p, I.wake[0] >= 0 ? 2 : 1, I.wake[0] >= 0 ? -1 : 200);
    if (n < 0 && errno != EINTR) break;
    if (n <= 0 || !(p[0].revents & POLLIN)) continue;
    int fd = ::accept4(I.listen_fd, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) {
      if (errno == EMFILE || errno == ENFILE) std::this_thread::sleep_for(std::chrono::milliseconds(50));
      continue;
    }
    int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &snd, sizeof snd);
    if (I.stats.connections_open.load() >= I.opts.max_connections) {
      I.refuse(fd);
      continue;
    }
    I.start_connection(fd);
  }
  ::close(I.listen_fd);
  I.listen_fd = -1;
  // Wake every connection (blocked reads see EOF, writes fail) and wait for their threads.
  std::unique_lock<std::mutex> lk(I.mu);
  for (int fd : I.open_fds) ::shutdown(fd, SHUT_RDWR);
  I.cv.wait(lk, [&] { return I.open_fds.empty(); });
}

void Server::stop() {
  impl_->stopping = true;
  if (impl_->wake[1] >= 0) {
    char c = 1;
    [[maybe_unused]] auto n = ::write(impl_->wake[1], &c, 1);
  }
}

}  // namespace apr::engine::http
