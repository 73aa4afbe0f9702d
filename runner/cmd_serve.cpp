// apr-qa serve: an HTTP server (health, generate, OpenAI-compatible chat completions) on the
// embedded engine.
#include <csignal>
#include <cstdio>
#include <iostream>
#include <memory>
#include <pthread.h>
#include <thread>

#include "command.hpp"
#include "engine/open.hpp"
#include "engine/server.hpp"

namespace apr::cli {
namespace {

struct ServeArgs {
  std::string model;
  std::string host = "127.0.0.1";
  int port = 8080;
  int threads = 1;
  std::string backend = "cpu";
  std::int64_t ctx = 4096;
  std::size_t max_body = 1 << 20;
  int max_tokens_limit = 4096;
  std::size_t max_queue = 16;
  std::size_t max_connections = 64;
  double read_timeout = 10;
};

int run_serve(const ServeArgs& a) {
  // Block SIGINT/SIGTERM in every thread; a dedicated thread waits for them and stops the server.
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);

  engine::EngineOptions o;
  o.threads = a.threads;
  o.backend = a.backend == "gpu" ? engine::Backend::gpu : engine::Backend::cpu;
  o.max_context = a.ctx;
  auto e = engine::open_engine(a.model, o);
  if (!e) throw e.error();
  engine::ServeOptions so;
  so.host = a.host;
  so.port = a.port;
  so.max_body_bytes = a.max_body;
  so.max_tokens_limit = a.max_tokens_limit;
  so.max_queue = a.max_queue;
  so.max_connections = a.max_connections;
  so.read_timeout_ms = static_cast<int>(a.read_timeout * 1000);
  so.model_id = std::filesystem::path(a.model).filename().string();
  if (so.model_id.empty()) so.model_id = a.model;
  engine::Server server(std::move(e.value()), so);
  auto port = server.bind();
  if (!port) throw port.error();
  if (a.host != "127.0.0.1" && a.host != "localhost" && a.host != "::1")
    std::fprintf(stderr, "apr-qa serve: warning: listening on non-loopback address %s (no authentication)\n",
                 a.host.c_str());
  std::printf("apr-qa serve: listening on http://%s:%d (model %s, %d threads, backend %s)\n", a.host.c_str(),
              port.value(), so.model_id.c_str(), a.threads, a.backend.c_str());
  std::fflush(stdout);
  int got = 0;
  std::thread waiter([&] {
    sigwait(&set, &got);
    server.stop();
  });
  server.run();
  if (got == 0) pthread_kill(waiter.native_handle(), SIGTERM);  // listener ended on its own
  waiter.join();
  std::printf("apr-qa serve: stopped\n");
  return got == SIGINT ? kExitInterrupted : kExitOk;
}

const bool registered = register_command({
    "serve",
    "Serve the embedded engine over HTTP (health, generate, OpenAI-compatible chat completions)",
    [](CLI::App& sub) -> RunFn {
      auto a = std::make_shared<ServeArgs>();
      sub.footer(
          "Endpoints:\n"
          "  GET  /health               {\"status\":\"healthy\",\"model\":ID}\n"
          "  GET  /v1/models            OpenAI model list\n"
          "  POST /generate             {prompt|tokens, chat, system, max_tokens, temperature, top_k, top_p,\n"
          "                             seed} -> {text, tokens, prompt_tokens, stop_reason, ttft_ms, ...}\n"
          "  POST /v1/chat/completions  OpenAI chat completions; \"stream\": true sends SSE chunks and\n"
          "                             \"data: [DONE]\"\n"
          "  GET  /metrics              counters: queue, generations (cancelled, rejected), connections\n"
          "temperature defaults to 0 (greedy); max_tokens to 256. Malformed JSON, bad fields and bodies\n"
          "over --max-body get a 4xx JSON error; a POST without Content-Type application/json gets 415.\n"
          "Generations run one at a time on one engine thread; at most --max-queue are admitted (the\n"
          "next gets 503 with Retry-After). /health never waits for a generation. A request must arrive\n"
          "within --read-timeout (else 408); at most --max-connections are open (the next gets 503). A\n"
          "generation stops when its client disconnects. Range headers are ignored (Accept-Ranges: none).\n"
          "Prints the bound address on stdout; SIGINT/SIGTERM stop it. Binds to loopback unless --host\n"
          "says otherwise (there is no authentication).\n\n"
          "Exit codes: 0 stopped by SIGTERM; 130 by SIGINT; 2 bad model file; 3 missing file, no CUDA\n"
          "device for --backend gpu, or the port cannot be bound.");
      sub.add_option("MODEL", a->model, "Model file (GGUF, SafeTensors, APR), directory or HF repo id")->required();
      sub.add_option("--host", a->host, "Address to bind (default 127.0.0.1)");
      sub.add_option("--port", a->port, "TCP port; 0 = any free port (default 8080)")->check(CLI::Range(0, 65535));
      sub.add_option("--threads,-t", a->threads, "Engine worker threads (default 1)")->check(CLI::Range(1, 1024));
      sub.add_option("--backend", a->backend,
                     "Where generations run: cpu, or gpu (the CUDA device; exit 3 when there is none or apr-qa\n"
                     "was built without CUDA; default cpu)")
          ->check(CLI::IsMember({"cpu", "gpu"}));
      sub.add_option("--ctx", a->ctx, "Maximum prompt + generated tokens per request (default 4096)")
          ->check(CLI::PositiveNumber);
      sub.add_option("--max-body", a->max_body, "Largest request body accepted, bytes (default 1048576)")
          ->check(CLI::PositiveNumber);
      sub.add_option("--max-tokens-limit", a->max_tokens_limit, "Largest max_tokens a request may ask (default 4096)")
          ->check(CLI::Range(1, 1 << 20));
      sub.add_option("--max-queue", a->max_queue,
                     "Generation requests admitted at once, running + waiting; more get 503 (default 16)")
          ->check(CLI::Range(1, 4096));
      sub.add_option("--max-connections", a->max_connections, "Open connections at most; more get 503 (default 64)")
          ->check(CLI::Range(2, 65536));
      sub.add_option("--read-timeout", a->read_timeout,
                     "Seconds a request (head and body) may take to arrive; else 408 and close (default 10)")
          ->check(CLI::Range(0.1, 3600.0));
      return [a] { return run_serve(*a); };
    },
});

}  // namespace
}  // namespace apr::cli
