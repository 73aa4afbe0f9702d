// apr-qa engine: the HTTP front end of `apr-qa serve` (cpp-httplib).
//
// Endpoints (JSON in and out):
//   GET  /health                -> {"status":"healthy","model":ID}
//   GET  /v1/models             -> OpenAI model list with the one served model
//   POST /generate              {prompt | tokens, chat?, system?, max_tokens?, temperature?, top_k?,
//                                top_p?, seed?} -> {text, tokens, prompt_tokens, stop_reason, ttft_ms,
//                                prefill_tps, decode_tps}
//   POST /v1/chat/completions   OpenAI-compatible: {messages, max_tokens | max_completion_tokens,
//                                temperature, top_p, top_k (extension), seed, stream}; stream=true sends
//                                SSE "data: {chunk}" events and "data: [DONE]".
// Defaults: temperature 0 (greedy; OpenAI's default of 1 is not assumed), max_tokens 256.
// Bad requests (malformed JSON, wrong types, out-of-range values, unsupported fields such as
// n > 1 or stop strings, bodies over max_body_bytes) get a 4xx with
// {"error":{"message":...,"type":"invalid_request_error"}}; never a crash. Requests run one at a
// time on the single engine (a mutex); connections are served concurrently by a thread pool.
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
