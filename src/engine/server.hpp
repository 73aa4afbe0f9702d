// apr-qa engine: the HTTP front end of `apr-qa serve` (engine/http_server.hpp: our own HTTP/1.1
// server; engine/generation_queue.hpp: the admission queue).
//
// Endpoints (JSON in and out):
//   GET  /health                -> {"status":"healthy","model":ID}
//   GET  /v1/models             -> OpenAI model list with the one served model
//   GET  /metrics               -> counters: queue, generations (completed, cancelled, rejected),
//                                tokens generated, connections (open, refused, read timeouts)
//   POST /generate              {prompt | tokens, chat?, system?, max_tokens?, temperature?, top_k?,
//                                top_p?, seed?} -> {text, tokens, prompt_tokens, stop_reason, ttft_ms,
//                                prefill_tps, decode_tps}
//   POST /v1/chat/completions   OpenAI-compatible: {messages, max_tokens | max_completion_tokens,
//                                temperature, top_p, top_k (extension), seed, stream}; stream=true sends
//                                SSE "data: {chunk}" events and "data: [DONE]".
// Defaults: temperature 0 (greedy; OpenAI's default of 1 is not assumed), max_tokens 256.
// Bad requests (malformed JSON, wrong types, out-of-range values, unsupported fields such as
// n > 1 or stop strings, bodies over max_body_bytes) get a 4xx with
// {"error":{"message":...,"type":"invalid_request_error"}}; never a crash. A POST without a JSON
// Content-Type gets 415. Generations run one at a time on one engine thread; at most max_queue are
// admitted (running + waiting), the next gets 503 with Retry-After. /health, /v1/models and
// /metrics are answered on the connection's own thread and never wait for the engine. A
// generation stops at the next token once its client has disconnected (streamed or not).
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "engine/engine.hpp"

namespace apr::engine {

struct ServeOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                      // 0 = any free port
  std::size_t max_body_bytes = 1 << 20;
  int max_tokens_limit = 4096;          // upper bound a request may ask for
  std::string model_id;                 // reported by /health and /v1/models
  std::size_t max_queue = 16;           // generation requests admitted at once (running + waiting)
  std::size_t max_connections = 64;     // open connections; the next one gets 503
  int read_timeout_ms = 10000;          // a request must arrive within this (else 408 / close)
  bool log_requests = true;             // one stderr line per cancelled generation
};

class Server {
 public:
  Server(std::unique_ptr<Engine> engine, ServeOptions o);
  ~Server();
  // Binds (io Error naming host:port on failure) and returns the bound port.
  Result<int> bind();
  // Serves until stop(); returns after the listener closed.
  void run();
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace apr::engine
