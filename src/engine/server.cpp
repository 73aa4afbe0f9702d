#include "engine/server.hpp"

#include <httplib.h>

#include <chrono>
#include <mutex>
#include <optional>

#include "engine/prompt.hpp"

namespace apr::engine {

namespace {

using json = nlohmann::json;

struct BadRequest {
  int status;
  std::string message;
};

json error_body(const std::string& msg, const char* type = "invalid_request_error") {
  return {{"error", {{"message", msg}, {"type", type}}}};
}

void send_json(httplib::Response& res, int status, const json& j) {
  res.status = status;
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

json parse_body(const httplib::Request& req) {
  json j = json::parse(req.body, nullptr, false);
  if (j.is_discarded()) throw BadRequest{400, "request body is not valid JSON"};
  if (!j.is_object()) throw BadRequest{400, "request body must be a JSON object, found " + std::string(j.type_name())};
  return j;
}

template <typename T>
std::optional<T> field(const json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || it->is_null()) return std::nullopt;
  if constexpr (std::is_same_v<T, bool>) {
    if (!it->is_boolean()) throw BadRequest{400, std::string("field '") + key + "' must be a boolean"};
  } else if constexpr (std::is_same_v<T, std::string>) {
    if (!it->is_string()) throw BadRequest{400, std::string("field '") + key + "' must be a string"};
  } else if constexpr (std::is_integral_v<T>) {
    if (!it->is_number_integer()) throw BadRequest{400, std::string("field '") + key + "' must be an integer"};
  } else {
    if (!it->is_number()) throw BadRequest{400, std::string("field '") + key + "' must be a number"};
  }
  return it->get<T>();
}

SamplingOptions sampling_from(const json& j, int limit, int default_max) {
  SamplingOptions s;
  auto mt = field<std::int64_t>(j, "max_tokens");
  if (!mt) mt = field<std::int64_t>(j, "max_completion_tokens");
  if (mt && (*mt < 1 || *mt > limit))
    throw BadRequest{400, "max_tokens must be in [1, " + std::to_string(limit) + "], found " + std::to_string(*mt)};
  s.max_tokens = static_cast<int>(mt.value_or(std::min(default_max, limit)));
  s.temperature = field<double>(j, "temperature").value_or(0.0);
  if (!(s.temperature >= 0 && s.temperature <= 100)) throw BadRequest{400, "temperature must be in [0, 100]"};
  s.top_p = field<double>(j, "top_p").value_or(1.0);
  if (!(s.top_p > 0 && s.top_p <= 1)) throw BadRequest{400, "top_p must be in (0, 1]"};
  auto k = field<std::int64_t>(j, "top_k").value_or(0);
  if (k < 0 || k > (1 << 30)) throw BadRequest{400, "top_k must be >= 0"};
  s.top_k = static_cast<int>(k);
  auto seed = field<std::int64_t>(j, "seed").value_or(0);
  s.seed = static_cast<std::uint64_t>(seed);
  return s;
}

std::string finish_reason(const std::string& stop) {
  return (stop == "eos" || stop == "stop_token") ? "stop" : "length";
}

}  // namespace

struct Server::Impl {
  std::unique_ptr<Engine> engine;
  std::optional<PromptBuilder> prompts;
  ServeOptions opts;
  httplib::Server http;
  std::mutex engine_mu;
  std::uint64_t next_id = 0;
  std::mutex id_mu;

  std::string new_id() {
    std::lock_guard<std::mutex> lk(id_mu);
    return "chatcmpl-apr-" + std::to_string(++next_id);
  }

  std::vector<std::int32_t> prompt_tokens(const json& j) {
    if (auto it = j.find("tokens"); it != j.end() && !it->is_null()) {
      if (!it->is_array() || it->empty()) throw BadRequest{400, "field 'tokens' must be a non-empty array of ids"};
      std::vector<std::int32_t> ids;
      for (const auto& v : *it) {
        if (!v.is_number_integer() || v.get<std::int64_t>() < 0 || v.get<std::int64_t>() >= engine->vocab())
          throw BadRequest{400, "field 'tokens' holds an id outside [0, " + std::to_string(engine->vocab()) + ")"};
        ids.push_back(v.get<std::int32_t>());
      }
      return ids;
    }
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
    auto it = j.find("messages");
    if (it == j.end() || !it->is_array() || it->empty())
      throw BadRequest{400, "field 'messages' must be a non-empty array"};
    for (const auto& m : *it) {
      if (!m.is_object() || !m.contains("role") || !m["role"].is_string())
        throw BadRequest{400, "each message must be an object with a string 'role'"};
      if (m.contains("content") && !m["content"].is_string() && !m["content"].is_null())
        throw BadRequest{400, "message 'content' must be a string (content parts are not supported)"};
    }
    if (!prompts) throw BadRequest{400, "the model has no tokenizer"};
    auto r = prompts->chat(*it);
    if (!r) throw BadRequest{400, r.error().what()};
    if (r.value().empty()) throw BadRequest{400, "the conversation renders to no tokens"};
    return std::move(r.value());
  }

  void check_chat_fields(const json& j) {
    if (auto n = field<std::int64_t>(j, "n"); n && *n != 1) throw BadRequest{400, "only n = 1 is supported"};
    if (auto it = j.find("stop"); it != j.end() && !it->is_null())
      throw BadRequest{400, "'stop' sequences are not supported; generation stops at the model's end tokens"};
    if (auto it = j.find("tools"); it != j.end() && !it->is_null())
      throw BadRequest{400, "'tools' are not supported by this server"};
  }

  // Run f with the engine locked; map engine errors to 400s.
  template <typename F>
  auto locked(F&& f) {
    std::lock_guard<std::mutex> lk(engine_mu);
    return f();
  }

  void handle_generate(const httplib::Request& req, httplib::Response& res) {
    json j = parse_body(req);
    auto ids = prompt_tokens(j);
    auto s = sampling_from(j, opts.max_tokens_limit, 256);
    auto r = locked([&] { return engine->generate(ids, s); });
    send_json(res, 200,
              {{"text", r.text}, {"tokens", r.tokens}, {"prompt_tokens", ids}, {"stop_reason", r.stop_reason},
               {"ttft_ms", r.ttft_ms}, {"prefill_tps", r.prefill_tps}, {"decode_tps", r.decode_tps},
               {"model", opts.model_id}});
  }

  void handle_chat(const httplib::Request& req, httplib::Response& res) {
    json j = parse_body(req);
    check_chat_fields(j);
    auto ids = chat_tokens(j);
    auto s = sampling_from(j, opts.max_tokens_limit, 256);
    const bool stream = field<bool>(j, "stream").value_or(false);
    const auto created = std::chrono::duration_cast<std::chrono::seconds>(
                             std::chrono::system_clock::now().time_since_epoch()).count();
    const std::string id = new_id();
    if (!stream) {
      auto r = locked([&] { return engine->generate(ids, s); });
      json out = {{"id", id},
                  {"object", "chat.completion"},
                  {"created", created},
                  {"model", opts.model_id},
                  {"choices", json::array({{{"index", 0},
                                            {"message", {{"role", "assistant"}, {"content", r.text}}},
                                            {"finish_reason", finish_reason(r.stop_reason)}}})},
                  {"usage", {{"prompt_tokens", ids.size()}, {"completion_tokens", r.tokens.size()},
                             {"total_tokens", ids.size() + r.tokens.size()}}}};
      send_json(res, 200, out);
      return;
    }
    auto chunk = [id, created, model = opts.model_id](const json& delta, const json& finish) {
      json c = {{"id", id},
                {"object", "chat.completion.chunk"},
                {"created", created},
                {"model", model},
                {"choices", json::array({{{"index", 0}, {"delta", delta}, {"finish_reason", finish}}})}};
      return "data: " + c.dump(-1, ' ', false, json::error_handler_t::replace) + "\n\n";
    };
    res.status = 200;
    res.set_header("Cache-Control", "no-cache");
    res.set_chunked_content_provider(
        "text/event-stream",
        [this, ids, s, chunk](std::size_t, httplib::DataSink& sink) {
          auto write = [&](const std::string& t) { return sink.write(t.data(), t.size()); };
          if (!write(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))) return false;
          std::string reason;
          try {
            std::lock_guard<std::mutex> lk(engine_mu);
            tok::StreamDecoder dec(*engine->tokenizer());
            const auto& stops = engine->stop_ids();
            auto r = engine->generate(ids, s, [&](std::int32_t t) {
              if (!engine->has_text(t) || std::find(stops.begin(), stops.end(), t) != stops.end()) return true;
              std::string piece = dec.push(t);
              return piece.empty() || write(chunk({{"content", piece}}, nullptr));
            });
            if (r.stop_reason == "callback") return false;  // client went away
            std::string tail = dec.flush();
            if (!tail.empty()) write(chunk({{"content", tail}}, nullptr));
            reason = finish_reason(r.stop_reason);
          } catch (const std::exception& e) {
            write("data: " + error_body(e.what(), "server_error").dump() + "\n\n");
            sink.done();
            return true;
          }
          write(chunk(json::object(), reason));
          write("data: [DONE]\n\n");
          sink.done();
          return true;
        });
  }

  template <typename H>
  httplib::Server::Handler guarded(H h) {
    return [this, h](const httplib::Request& req, httplib::Response& res) {
      try {
        (this->*h)(req, res);
      } catch (const BadRequest& b) {
        send_json(res, b.status, error_body(b.message));
      } catch (const apr::Error& e) {
        const bool client = e.category() != ErrorCategory::internal && e.category() != ErrorCategory::io;
        send_json(res, client ? 400 : 500, error_body(e.what(), client ? "invalid_request_error" : "server_error"));
      } catch (const std::exception& e) {
        send_json(res, 500, error_body(e.what(), "server_error"));
      }
    };
  }
};

Server::Server(std::unique_ptr<Engine> engine, ServeOptions o) : impl_(std::make_unique<Impl>()) {
  impl_->engine = std::move(engine);
  impl_->opts = std::move(o);
  if (impl_->engine->tokenizer()) {
    auto pb = PromptBuilder::create(*impl_->engine);
    if (pb) impl_->prompts.emplace(std::move(pb.value()));
  }
  auto& http = impl_->http;
  Impl* I = impl_.get();
  http.set_payload_max_length(I->opts.max_body_bytes);
  http.Get("/health", [I](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"status", "healthy"}, {"model", I->opts.model_id}});
  });
  http.Get("/v1/models", [I](const httplib::Request&, httplib::Response& res) {
    send_json(res, 200, {{"object", "list"},
                         {"data", json::array({{{"id", I->opts.model_id}, {"object", "model"}, {"created", 0},
                                                {"owned_by", "apr-qa"}}})}});
  });
  http.Post("/generate", I->guarded(&Impl::handle_generate));
  http.Post("/v1/chat/completions", I->guarded(&Impl::handle_chat));
  // Any error status without a body (404, 405, 413 payload too large, ...) gets a JSON message.
  http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return;
    std::string msg = res.status == 413 ? "request body too large"
                      : res.status == 404 ? "no such endpoint: " + req.method + " " + req.path
                                          : "request failed with HTTP " + std::to_string(res.status);
    send_json(res, res.status, error_body(msg));
  });
  http.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string msg = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      msg = e.what();
    } catch (...) {
    }
    send_json(res, 500, error_body(msg, "server_error"));
  });
}

Server::~Server() = default;

Result<int> Server::bind() {
  auto& o = impl_->opts;
  if (o.port == 0) {
    int p = impl_->http.bind_to_any_port(o.host);
    if (p <= 0) return io_error("serve: cannot bind " + o.host + " to any port");
    return p;
  }
  if (!impl_->http.bind_to_port(o.host, o.port))
    return io_error("serve: cannot bind " + o.host + ":" + std::to_string(o.port) + " (in use or not permitted)");
  return o.port;
}

void Server::run() { impl_->http.listen_after_bind(); }
void Server::stop() { impl_->http.stop(); }

}  // namespace apr::engine
