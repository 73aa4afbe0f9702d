// Check kind inference, modality serve (`serve --backend` of the cell; a gpu cell without a device is
// Skipped by inference()):
// inside the node worker, start `apr-qa serve MODEL --host 127.0.0.1 --port 0` as a grandchild,
// read the port it reports on stdout, poll GET /health until the body says "healthy" (bounded
// by health_timeout_ms, default 60000), POST /generate {prompt, max_tokens, temperature 0, seed}
// and judge the returned text with the same oracle as the run cell (judge_generation).
//
// Measurements (in this order, so the first failure names the stage): server_healthy (>= 1),
// http_status (== 200), generated_tokens (>= 1), oracle_pass (>= 1), then latency_ms and
// tokens_per_second (returned tokens / request latency, end to end; both recorded only). A
// server that exits or never becomes healthy, or a request that fails, gives zeros for what was
// not received (never a pass) and the cause in `output`.
//
// The server always dies: it runs in its own process group with PR_SET_PDEATHSIG=SIGKILL (so it
// dies with the worker even when the executor SIGKILLs the worker on timeout), and on every exit
// path of this function it gets SIGTERM, then SIGKILL to its group after 2 s.
//
// Test knobs (environment): APR_QA_SERVE_EXE replaces the server executable (default: this
// apr-qa binary); APR_QA_SERVE_HEALTH_TIMEOUT_MS overrides the health deadline. Only loopback
// is ever contacted.
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <thread>

#include <fmt/format.h>
#include <httplib.h>

#include "core/error.hpp"
#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "qa/process.hpp"
#include "core/switches.hpp"

namespace apr::qa::checks {
namespace {

using clock_type = std::chrono::steady_clock;
namespace fs = std::filesystem;

std::int64_t ms_since(clock_type::time_point t0) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - t0).count();
}

struct HttpReply {
  int status = 0;
  std::string body;
};

// One HTTP/1.1 request to 127.0.0.1:port through cpp-httplib's client ("Connection: close"):
// connecting, and each read and write, wait at most timeout_ms. Returns nullopt with `err` set
// when no complete reply arrived (httplib's error name: Connection, Read, ...).
std::optional<HttpReply> http_request(int port, const std::string& method, const std::string& path,
                                      const std::string& body, std::int64_t timeout_ms, std::string& err) {
  httplib::Client client("127.0.0.1", port);
  const auto timeout = std::chrono::milliseconds(std::max<std::int64_t>(1, timeout_ms));
  client.set_connection_timeout(timeout);
  client.set_read_timeout(timeout);
  client.set_write_timeout(timeout);
  client.set_keep_alive(false);
  auto res = method == "POST" ? client.Post(path.c_str(), body, "application/json") : client.Get(path.c_str());
  if (!res) {
    const auto e = res.error();
    const std::string why = e == httplib::Error::Connection ? "cannot connect (nothing listening, refused or timed out)"
                            : e == httplib::Error::Read     ? "no complete reply (read failed or timed out)"
                            : e == httplib::Error::Write    ? "cannot send the request"
                                                            : "failed (" + httplib::to_string(e) + ")";
    err = fmt::format("{} http://127.0.0.1:{}{}: {} within {} ms", method, port, path, why, timeout_ms);
    return std::nullopt;
  }
  return HttpReply{res->status, res->body};
}

// The `apr-qa serve` grandchild, its stdout/stderr (unlinked temp files read through our own
// descriptors), and the guarantee that it is gone when this object is.
class ServerProcess {
 public:
  ServerProcess(const std::string& exe, const std::string& model, const char* backend) {
    std::string tmpl = (fs::temp_directory_path() / "apr-qa-serve-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw io_error(std::string("mkdtemp: ") + std::strerror(errno)).at_path(tmpl);
    dir_ = tmpl;
    proc_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{exe, "serve", model, "--host", "127.0.0.1", "--port", "0", "--backend", backend},
        dir_ / "stdout.log",
        dir_ / "stderr.log", 0);
    // Keep read handles and delete the directory now, so nothing is left behind even when the
    // worker is SIGKILLed on timeout; the server keeps writing to the unlinked files.
    out_fd_ = ::open((dir_ / "stdout.log").c_str(), O_RDONLY | O_CLOEXEC);
    err_fd_ = ::open((dir_ / "stderr.log").c_str(), O_RDONLY | O_CLOEXEC);
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  ~ServerProcess() {
    stop();
    if (out_fd_ >= 0) ::close(out_fd_);
    if (err_fd_ >= 0) ::close(err_fd_);
  }
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // The end of the server if it has exited (reaped), else nullopt.
  std::optional<ProcessEnd> ended() {
    if (!end_) end_ = proc_->poll();  // nullopt once reaped by kill_now()
    return end_;
  }
  // SIGTERM, up to 2 s for it to exit, then SIGKILL to the process group.
  void stop() {
    if (!proc_ || stopped_ || ended()) return;
    stopped_ = true;
    ::kill(proc_->pid(), SIGTERM);  // not yet reaped, so the pid is still ours
    auto t0 = clock_type::now();
    while (!ended() && ms_since(t0) < 2000) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    if (!end_) proc_->kill_now();  // SIGKILL to the group, then reap
  }
  // The port from "listening on http://HOST:PORT" on its stdout, when printed.
  std::optional<int> port() const {
    if (out_fd_ < 0) return std::nullopt;
    std::string out = file_tail(fd_path(out_fd_), 1 << 16);
    auto at = out.find("listening on http://");
    if (at == std::string::npos) return std::nullopt;
    auto colon = out.find(':', at + std::strlen("listening on http://"));
    if (colon == std::string::npos) return std::nullopt;
    int p = std::atoi(out.c_str() + colon + 1);
    if (p <= 0 || p > 65535) return std::nullopt;
    return p;
  }
  std::string stderr_tail() const { return err_fd_ < 0 ? "" : file_tail(fd_path(err_fd_), 2000); }

 private:
  static fs::path fd_path(int fd) { return fs::path("/proc/self/fd") / std::to_string(fd); }
  fs::path dir_;
  int out_fd_ = -1, err_fd_ = -1;
  std::unique_ptr<ChildProcess> proc_;
  std::optional<ProcessEnd> end_;
  bool stopped_ = false;
};

std::string describe_end(const ProcessEnd& e) {
  switch (e.how) {
    case ProcessEnd::How::exited: return fmt::format("exited with status {}", e.exit_code);
    case ProcessEnd::How::signaled: return fmt::format("was killed by signal {}", e.signal);
    default: return "was killed";
  }
}

// Records the not-received stages as zeros and the cause; never a pass.
CheckOutput failed(bool healthy, int http_status, std::string why, ServerProcess& server) {
  CheckOutput o;
  o.add("server_healthy", healthy ? 1.0 : 0.0);
  o.add("http_status", http_status);
  o.add("generated_tokens", 0, "tokens");
  o.add("oracle_pass", 0);
  std::string tail = server.stderr_tail();
  o.output = "serve: " + why + (tail.empty() ? "" : "\n--- server stderr ---\n" + tail);
  return o;
}

}  // namespace

CheckOutput serve_inference(const nlohmann::json& p) {
  const std::string model = p.at("model").get<std::string>();
  const std::string prompt = p.value("prompt", "What is 2+2?");
  const int max_tokens = p.value("max_tokens", 32);
  const std::int64_t health_ms =
      switches().serve_health_timeout_ms.value_or(p.value("health_timeout_ms", std::int64_t{60000}));
  const std::int64_t request_ms = p.value("request_timeout_ms", std::int64_t{300000});
  std::string exe;
  if (!switches().serve_exe.empty()) {
    exe = switches().serve_exe;
  } else {
    std::error_code ec;
    exe = fs::read_symlink("/proc/self/exe", ec).string();
    if (ec || exe.empty()) exe = "/proc/self/exe";
  }

  ServerProcess server(exe, model, engine::backend_name(backend_of(p)));
  const auto t0 = clock_type::now();
  std::optional<int> port;
  std::string last_err = "no port reported on stdout";
  bool healthy = false;
  while (ms_since(t0) < health_ms) {
    if (auto end = server.ended())
      return failed(false, 0, fmt::format("server {} before becoming healthy ({})", describe_end(*end), last_err), server);
    if (!port) port = server.port();
    if (port) {
      std::string err;
      auto r = http_request(*port, "GET", "/health", "", 2000, err);
      if (r && r->status == 200 && r->body.find("healthy") != std::string::npos) {
        healthy = true;
        break;
      }
      last_err = r ? fmt::format("GET /health: HTTP {} {}", r->status, r->body.substr(0, 200)) : "GET /health: " + err;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!healthy)
    return failed(false, 0, fmt::format("server not healthy within {} ms (last: {})", health_ms, last_err), server);
  const double health_wait_ms = static_cast<double>(ms_since(t0));

  nlohmann::json req = {{"prompt", prompt}, {"max_tokens", max_tokens}, {"temperature", 0},
                        {"seed", p.value("seed", std::uint64_t{0})}};
  std::string err;
  const auto t1 = clock_type::now();
  auto r = http_request(*port, "POST", "/generate", req.dump(), request_ms, err);
  const double latency_ms = static_cast<double>(std::chrono::duration_cast<std::chrono::microseconds>(clock_type::now() - t1).count()) / 1e3;
  if (!r) return failed(true, 0, "POST /generate: " + err, server);
  nlohmann::json body = nlohmann::json::parse(r->body, nullptr, false);
  if (r->status != 200 || !body.is_object() || !body.contains("text") || !body["text"].is_string() ||
      !body.contains("tokens") || !body["tokens"].is_array())
    return failed(true, r->status,
                  fmt::format("POST /generate: HTTP {}, expected 200 with {{\"text\": string, \"tokens\": array}}, found {}",
                              r->status, r->body.substr(0, 300)),
                  server);
  server.stop();

  const std::string text = body["text"].get<std::string>();
  const std::size_t total = body["tokens"].size();
  const std::string stop = body.value("stop_reason", "");
  // The engine appends the stop token it met; it is not generated text (as in the run cell).
  const std::size_t gen = total > 0 && (stop == "eos" || stop == "stop_token") ? total - 1 : total;
  CheckOutput o;
  o.add("server_healthy", 1.0);
  o.add("http_status", r->status);
  std::string verdict = judge_generation(o, p, prompt, text, gen);
  const double tps = latency_ms > 0 ? static_cast<double>(total) / (latency_ms / 1e3) : 0;
  o.add("latency_ms", latency_ms, "ms");
  o.add("tokens_per_second", tps, "tok/s");
  o.output = text + fmt::format("\n[{}; stop {}; HTTP {}; healthy after {:.0f} ms]", verdict, stop, r->status, health_wait_ms);
  o.metrics = {{"tokens_per_second", tps}, {"total_tokens", static_cast<std::int64_t>(total)}};
  if (body.contains("ttft_ms") && body["ttft_ms"].is_number()) o.metrics["time_to_first_token_ms"] = body["ttft_ms"];
  return o;
}

}  // namespace apr::qa::checks
