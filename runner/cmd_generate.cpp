// apr-qa generate: text generation with the embedded engine (greedy or seeded sampling).
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "compute_option.hpp"
#include "engine/open.hpp"
#include "engine/prompt.hpp"

namespace apr::cli {
namespace {

struct GenerateArgs {
  std::string model;
  std::string prompt;
  bool chat = false;
  std::optional<std::string> system;
  int max_tokens = 32;
  double temperature = 0;
  int top_k = 0;
  double top_p = 1.0;
  std::uint64_t seed = 0;
  int threads = 1;
  std::string backend = "cpu";
  std::string compute = "reference";
  std::int64_t ctx = 4096;
  bool json = false;
};

int run_generate(const GenerateArgs& a) {
  engine::EngineOptions o;
  o.threads = a.threads;
  o.backend = a.backend == "gpu" ? engine::Backend::gpu : engine::Backend::cpu;
  o.max_context = a.ctx;
  o.mode = compute_mode(a.compute);
  auto e = engine::open_engine(a.model, o);
  if (!e) throw e.error();
  auto& eng = *e.value();
  auto pb = engine::PromptBuilder::create(eng);
  if (!pb) throw pb.error();
  std::vector<std::int32_t> prompt;
  if (a.chat) {
    auto ids = pb->chat(engine::single_turn(a.prompt, a.system));
    if (!ids) throw ids.error();
    prompt = std::move(ids.value());
  } else {
    if (a.system) throw validation_error("generate: --system needs --chat").at_key("--system");
    prompt = pb->text(a.prompt);
  }
  if (prompt.empty()) throw validation_error("generate: the prompt encodes to no tokens").at_key("--prompt");
  engine::SamplingOptions s;
  s.temperature = a.temperature;
  s.top_k = a.top_k;
  s.top_p = a.top_p;
  s.seed = a.seed;
  s.max_tokens = a.max_tokens;

  std::optional<tok::StreamDecoder> stream;
  if (!a.json) stream.emplace(*eng.tokenizer());
  const auto& stops = eng.stop_ids();
  auto on_token = [&](std::int32_t id) {
    if (stream && eng.has_text(id) && std::find(stops.begin(), stops.end(), id) == stops.end()) {
      std::cout << stream->push(id) << std::flush;
    }
    return true;
  };
  auto r = eng.generate(prompt, s, on_token);
  if (a.json) {
    nlohmann::json j;
    j["text"] = r.text;
    j["tokens"] = r.tokens;
    j["prompt_tokens"] = prompt;
    j["stop_reason"] = r.stop_reason;
    j["ttft_ms"] = r.ttft_ms;
    j["prefill_tps"] = r.prefill_tps;
    j["decode_tps"] = r.decode_tps;
    j["peak_rss_bytes"] = r.peak_rss_bytes;
    j["threads"] = a.threads;
    j["backend"] = a.backend;
    j["compute"] = a.compute;
    j["mode"] = a.compute;  // the same, under its older name
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << stream->flush() << "\n";
    std::fprintf(stderr,
                 "[%zu prompt tokens, %zu generated, stop: %s; ttft %.1f ms, prefill %.1f tok/s, decode %.1f tok/s, "
                 "peak rss %.1f MiB, compute %s]\n",
                 prompt.size(), r.tokens.size(), r.stop_reason.c_str(), r.ttft_ms, r.prefill_tps, r.decode_tps,
                 static_cast<double>(r.peak_rss_bytes) / (1024.0 * 1024.0), a.compute.c_str());
  }
  return kExitOk;
}

const bool registered = register_command({
    "generate",
    "Generate text with the embedded engine (greedy by default, or seeded sampling)",
    [](CLI::App& sub) -> RunFn {
      auto a = std::make_shared<GenerateArgs>();
      sub.footer(
          "Encodes the prompt with the model's tokenizer (or, with --chat, renders the model's chat\n"
          "template for one user turn, plus --system, with the generation prompt appended), runs the\n"
          "embedded engine (reference mode unless --compute fast) and stops at the model's end-of-generation tokens or\n"
          "after --max-tokens.\n"
          "Sampling: temperature 0 (default) is greedy (argmax). Otherwise logits/temperature, then the\n"
          "top-k cut, then the top-p (nucleus) cut, then a draw from a xoshiro256** stream seeded by\n"
          "--seed: the same seed gives the same tokens on every machine.\n\n"
          "Output: the text streamed to stdout and a stats line on stderr; with --json one JSON object\n"
          "{text, tokens, prompt_tokens, stop_reason (eos|max_tokens|stop_token|max_context), ttft_ms,\n"
          "prefill_tps, decode_tps, peak_rss_bytes, threads, backend, compute (reference|fast; also as\n"
          "mode)}.\n\n"
          "Exit codes: 0 ok; 2 bad input (no tokenizer/chat template, malformed file); 3 missing file.");
      sub.add_option("MODEL", a->model, "Model file (GGUF, SafeTensors, APR), directory or HF repo id")->required();
      sub.add_option("--prompt,-p", a->prompt, "Prompt text (user message with --chat)")->required();
      sub.add_flag("--chat", a->chat, "Render the model's chat template around the prompt");
      sub.add_option("--system", a->system, "System message (with --chat)");
      sub.add_option("--max-tokens,-n", a->max_tokens, "Maximum tokens to generate (default 32)")
          ->check(CLI::Range(0, 1 << 20));
      sub.add_option("--temperature", a->temperature, "Sampling temperature; 0 = greedy (default 0)")
          ->check(CLI::Range(0.0, 100.0));
      sub.add_option("--top-k", a->top_k, "Keep the k most likely tokens; 0 = all (default 0)")
          ->check(CLI::NonNegativeNumber);
      sub.add_option("--top-p", a->top_p, "Nucleus cut in (0, 1]; 1 = off (default 1)")
          ->check(CLI::Range(1e-9, 1.0));
      sub.add_option("--seed", a->seed, "Seed of the sampling RNG (default 0)");
      sub.add_option("--backend", a->backend,
                     "Where the forward pass runs: cpu, or gpu (the CUDA device; exit 3 when there is none or\n"
                     "apr-qa was built without CUDA; logits agree with cpu to ~1e-6 relative; default cpu)")
          ->check(CLI::IsMember({"cpu", "gpu"}));
      add_compute_option(sub, a->compute);
      sub.add_option("--threads,-t", a->threads, "Worker threads (tokens are identical for any count; default 1)")
          ->check(CLI::Range(1, 1024));
      sub.add_option("--ctx", a->ctx, "Maximum prompt + generated tokens (KV cache capacity; default 4096)")
          ->check(CLI::PositiveNumber);
      sub.add_flag("--json", a->json, "Print one JSON object with text, token ids and timings");
      return [a] { return run_generate(*a); };
    },
});

}  // namespace
}  // namespace apr::cli
