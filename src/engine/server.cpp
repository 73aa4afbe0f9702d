#include "engine/server.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <optional>

#include "engine/generation_queue.hpp"
#include "engine/http_server.hpp"
#include "engine/prompt.hpp"
#include "engine/server_request.hpp"

namespace apr::engine {

namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

void send_json(http::Exchange& ex, int status, const json& j, const http::Headers& extra = {}) {
  ex.respond(status, "application/json", dump(j), extra);
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<Engine> engine;
  std::optional<PromptBuilder> prompts;
  ServeOptions opts;
  std::unique_ptr<GenerationQueue> queue;
  std::unique_ptr<http::Server> http;
  std::atomic<std::uint64_t> next_id{0};
  // /metrics counters
  std::atomic<std::uint64_t> started{0}, completed{0}, cancelled{0}, rejected{0}, tokens{0};

  std::string new_id() { return "chatcmpl-apr-" + std::to_string(++next_id); }

  std::vector<std::int32_t> prompt_tokens(const json& j) {
    if (auto ids = token_ids(j, engine->vocab())) return std::move(*ids);
    auto p = field<std::string>(j, "prompt");
    if (!p) throw BadRequest{400, "missing field 'prompt' (string) or 'tokens' (array)"};
    if (!prompts) throw BadRequest{400, "the model has no tokenizer: send 'tokens'"};
    std::vector<std::int32_t> ids;
    if (field<bool>(j, "chat").value_or(false)) {
      auto r = prompts->chat(single_turn(*p, field<std::string>(j, "system")));
      if (!r) throw BadRequest{400, r.error().what()};
      ids = std::move(r.value());
    } else {
      ids = prompts->text(*p);
    }
    if (ids.empty()) throw BadRequest{400, "the prompt encodes to no tokens"};
    return ids;
  }

  std::vector<std::int32_t> chat_tokens(const json& j) {
    const json& msgs = chat_messages(j);
    if (!prompts) throw BadRequest{400, "the model has no tokenizer"};
    auto r = prompts->chat(msgs);
    if (!r) throw BadRequest{400, r.error().what()};
    if (r.value().empty()) throw BadRequest{400, "the conversation renders to no tokens"};
    return std::move(r.value());
  }

  json metrics() const {
    const auto& h = http->stats();
    return {{"queue", {{"max", queue->max_admitted()}, {"waiting", queue->waiting()}, {"running", queue->busy() ? 1 : 0}}},
            {"generations",
             {{"started", started.load()}, {"completed", completed.load()}, {"cancelled", cancelled.load()},
              {"rejected_queue_full", rejected.load()}}},
            {"tokens_generated", tokens.load()},
            {"connections",
             {{"open", h.connections_open.load()}, {"total", h.connections_total.load()},
              {"refused", h.connections_refused.load()}, {"read_timeouts", h.read_timeouts.load()},
              {"bad_requests", h.bad_requests.load()}, {"max", opts.max_connections}}},
            {"requests", h.requests.load()}};
  }

  // Runs one generation on the engine thread. on_token returns false to stop (write failed);
  // the client's disconnect is checked at every token. Returns nullopt when the request was
  // not admitted (503 sent) and sets `gone` when the client went away before or during it.
  std::optional<GenerateResult> generate(http::Exchange& ex, const std::vector<std::int32_t>& ids,
                                         const SamplingOptions& s, bool& gone,
                                         const std::function<bool(std::int32_t)>& on_token = {},
                                         const std::function<void()>& on_start = {}) {
    std::optional<GenerateResult> out;
    const auto t0 = Clock::now();
    bool admitted = queue->run([&] {
      if (ex.peer_closed()) {
        gone = true;
        cancelled++;
        return;
      }
      started++;
      if (on_start) on_start();
      out = engine->generate(ids, s, [&](std::int32_t t) {
        tokens++;
        if (ex.peer_closed()) {
          gone = true;
          return false;
        }
        return !on_token || on_token(t);
      });
      if (out->stop_reason == "callback" && ex.peer_closed()) gone = true;  // a write to it failed
      // Counted on the engine thread, before the queue reports it idle (/metrics is consistent).
      if (gone) cancelled++;
      else completed++;
    });
    if (!admitted) {
      rejected++;
      ex.respond_error(503,
                       "generation queue full (" + std::to_string(queue->max_admitted()) +
                           " requests admitted, --max-queue); retry later",
                       {{"Retry-After", "1"}});
      return std::nullopt;
    }
    if (gone) {
      ex.abandon();
      if (opts.log_requests) {
        const double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        std::fprintf(stderr, "apr-qa serve: client disconnected; generation stopped after %zu tokens (%.0f ms after the request)\n",
                     out ? out->tokens.size() : std::size_t{0}, ms);
      }
      return std::nullopt;
    }
    return out;
  }

  void handle_generate(const http::Request& req, http::Exchange& ex) {
    json j = parse_json_body(req.body);
    auto ids = prompt_tokens(j);
    auto s = sampling_from(j, opts.max_tokens_limit, 256);
    bool gone = false;
    auto r = generate(ex, ids, s, gone);
    if (!r) return;
    send_json(ex, 200,
              {{"text", r->text}, {"tokens", r->tokens}, {"prompt_tokens", ids}, {"stop_reason", r->stop_reason},
               {"ttft_ms", r->ttft_ms}, {"prefill_tps", r->prefill_tps}, {"decode_tps", r->decode_tps},
               {"model", opts.model_id}});
  }

  void handle_chat(const http::Request& req, http::Exchange& ex) {
    json j = parse_json_body(req.body);
    check_chat_fields(j);
    auto ids = chat_tokens(j);
    auto s = sampling_from(j, opts.max_tokens_limit, 256);
    const bool stream = field<bool>(j, "stream").value_or(false);
    const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string id = new_id();
    bool gone = false;
    if (!stream) {
      auto r = generate(ex, ids, s, gone);
      if (!r) return;
      json out = {{"id", id},
                  {"object", "chat.completion"},
                  {"created", created},
                  {"model", opts.model_id},
                  {"choices", json::array({{{"index", 0},
                                            {"message", {{"role", "assistant"}, {"content", r->text}}},
                                            {"finish_reason", finish_reason(r->stop_reason)}}})},
                  {"usage", {{"prompt_tokens", ids.size()}, {"completion_tokens", r->tokens.size()},
                             {"total_tokens", ids.size() + r->tokens.size()}}}};
      send_json(ex, 200, out);
      return;
    }
    auto chunk = [&](const json& delta, const json& finish) {
      json c = {{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", opts.model_id},
                {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
      return "data: " + dump(c) + "\n\n";
    };
    // The stream starts when the engine takes the request (a full queue can still answer 503).
    std::optional<tok::StreamDecoder> dec;
    const auto& stops = engine->stop_ids();
    std::optional<GenerateResult> r;
    try {
      r = generate(
          ex, ids, s, gone,
          [&](std::int32_t t) {
            if (!engine->has_text(t) || std::find(stops.begin(), stops.end(), t) != stops.end()) return true;
            std::string piece = dec->push(t);
            return piece.empty() || ex.write_chunk(chunk({{"content", piece}}, nullptr));
          },
          [&] {
            dec.emplace(*engine->tokenizer());
            ex.begin_stream("text/event-stream", {{"Cache-Control", "no-cache"}});
            ex.write_chunk(chunk({{"role", "assistant"}, {"content", ""}}, nullptr));
          });
    } catch (const std::exception& e) {
      if (!ex.responded()) throw;
      ex.write_chunk("data: " + http::error_json(e.what(), "server_error") + "\n\n");
      ex.end_stream();
      return;
    }
    if (!r) return;
    if (r->stop_reason == "callback") {  // a write failed: the client is gone
      ex.abandon();
      return;
    }
    std::string tail = dec->flush();
    if (!tail.empty()) ex.write_chunk(chunk({{"content", tail}}, nullptr));
    ex.write_chunk(chunk(json::object(), finish_reason(r->stop_reason)));
    ex.write_chunk("data: [DONE]\n\n");
    ex.end_stream();
  }

  using Method = void (Impl::*)(const http::Request&, http::Exchange&);

  // POST endpoints: JSON Content-Type required; errors mapped to JSON 4xx/5xx.
  void guarded(Method m, const http::Request& req, http::Exchange& ex) {
    try {
      const std::string* ct = req.head.header("content-type");
      if (!ct || !http::is_json_media_type(*ct))
        throw BadRequest{415, "Content-Type must be application/json, found " +
                                  (ct ? "'" + ct->substr(0, 80) + "'" : std::string("none"))};
      (this->*m)(req, ex);
    } catch (const BadRequest& b) {
      ex.respond_error(b.status, b.message);
    } catch (const apr::Error& e) {
      const bool client = e.category() != ErrorCategory::internal && e.category() != ErrorCategory::io;
      ex.respond_error(client ? 400 : 500, e.what());
    } catch (const std::exception& e) {
      ex.respond_error(500, e.what());
    }
  }

  void handle(const http::Request& req, http::Exchange& ex) {
    const auto& path = req.head.path;
    const auto& method = req.head.method;
    struct Route {
      const char* path;
      const char* method;
    };
    static const Route routes[] = {{"/health", "GET"}, {"/v1/models", "GET"}, {"/metrics", "GET"},
                                   {"/generate", "POST"}, {"/v1/chat/completions", "POST"}};
    const Route* route = nullptr;
    for (const auto& r : routes)
      if (path == r.path) route = &r;
    if (!route) return (void)ex.respond_error(404, "no such endpoint: " + method + " " + path.substr(0, 200));
    if (method != route->method)
      return (void)ex.respond_error(405, method + " is not allowed on " + path + " (use " + route->method + ")",
                                    {{"Allow", route->method}});
    if (path == "/health") return send_json(ex, 200, {{"status", "healthy"}, {"model", opts.model_id}});
    if (path == "/v1/models")
      return send_json(ex, 200,
                       {{"object", "list"},
                        {"data", json::array({{{"id", opts.model_id}, {"object", "model"}, {"created", 0},
                                               {"owned_by", "apr-qa"}}})}});
    if (path == "/metrics") return send_json(ex, 200, metrics());
    if (path == "/generate") return guarded(&Impl::handle_generate, req, ex);
    guarded(&Impl::handle_chat, req, ex);
  }
};

Server::Server(std::unique_ptr<Engine> engine, ServeOptions o) : impl_(std::make_unique<Impl>()) {
  Impl* I = impl_.get();
  I->engine = std::move(engine);
  I->opts = std::move(o);
  if (I->engine->tokenizer()) {
    auto pb = PromptBuilder::create(*I->engine);
    if (pb) I->prompts.emplace(std::move(pb.value()));
  }
  I->queue = std::make_unique<GenerationQueue>(I->opts.max_queue);
  http::ServerOptions ho;
  ho.host = I->opts.host;
  ho.port = I->opts.port;
  ho.max_body_bytes = I->opts.max_body_bytes;
  ho.max_connections = I->opts.max_connections;
  ho.read_timeout_ms = I->opts.read_timeout_ms;
  ho.write_timeout_ms = std::max(I->opts.read_timeout_ms, 10000);
  I->http = std::make_unique<http::Server>(ho, [I](const http::Request& req, http::Exchange& ex) { I->handle(req, ex); });
}

Server::~Server() = default;

Result<int> Server::bind() { return impl_->http->bind(); }

void Server::run() {
  impl_->http->run();  // returns once every connection (and so every admitted generation) ended
  impl_->queue->stop();
}

void Server::stop() {
  impl_->http->stop();
  impl_->queue->stop();
}

}  // namespace apr::engine
