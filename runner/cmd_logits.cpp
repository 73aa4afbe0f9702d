// apr-qa logits: teacher-forced logits of every position, from the embedded engine (reference
// mode: deterministic across formats and thread counts).
#include <iostream>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "compute_option.hpp"
#include "engine/logits_io.hpp"
#include "engine/open.hpp"
#include "engine/prompt.hpp"
#include "engine/sampler.hpp"

namespace apr::cli {
namespace {

struct LogitsArgs {
  std::string model;
  std::string prompt;
  std::string tokens;
  std::string out;
  int threads = 1;
  std::string backend = "cpu";
  std::string compute = "reference";
  std::int64_t ctx = 4096;
};

std::vector<std::int32_t> parse_ids(const std::string& s) {
  std::vector<std::int32_t> ids;
  std::string cur;
  std::istringstream in(s);
  std::string tok;
  std::string norm = s;
  for (char& c : norm)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::istringstream words(norm);
  while (words >> tok) {
    std::size_t used = 0;
    long long v = 0;
    try {
      v = std::stoll(tok, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    if (used != tok.size() || v < 0 || v > INT32_MAX)
      throw validation_error("--tokens: expected non-negative integer token ids, found '" + tok + "'")
          .at_key("--tokens");
    ids.push_back(static_cast<std::int32_t>(v));
  }
  if (ids.empty()) throw validation_error("--tokens: expected at least one token id, found none").at_key("--tokens");
  return ids;
}

int run_logits(const LogitsArgs& a) {
  engine::EngineOptions o;
  o.threads = a.threads;
  o.backend = a.backend == "gpu" ? engine::Backend::gpu : engine::Backend::cpu;
  o.max_context = a.ctx;
  o.mode = compute_mode(a.compute);
  auto e = engine::open_engine(a.model, o);
  if (!e) throw e.error();
  auto& eng = *e.value();
  std::vector<std::int32_t> ids;
  if (!a.tokens.empty()) {
    ids = parse_ids(a.tokens);
  } else {
    auto pb = engine::PromptBuilder::create(eng);
    if (!pb) throw pb.error();
    ids = pb->text(a.prompt);
    if (ids.empty()) throw validation_error("--prompt: the prompt encodes to no tokens").at_key("--prompt");
  }
  auto logits = eng.logits_all(ids);
  const std::int64_t T = static_cast<std::int64_t>(ids.size()), V = eng.vocab();
  if (!a.out.empty()) engine::write_logits(a.out, logits, T, V);
  nlohmann::json j;
  j["tokens"] = ids;
  j["shape"] = {T, V};
  j["compute"] = a.compute;
  j["mode"] = a.compute;  // the same, under its older name
  j["threads"] = a.threads;
  j["backend"] = a.backend;
  if (!a.out.empty()) j["out"] = a.out;
  std::vector<std::int32_t> top;
  for (std::int64_t t = 0; t < T; ++t)
    top.push_back(engine::argmax(std::span<const float>(logits.data() + t * V, static_cast<std::size_t>(V))));
  j["argmax"] = top;
  std::cout << j.dump() << "\n";
  return kExitOk;
}

const bool registered = register_command({
    "logits",
    "Teacher-forced logits of every position from the embedded engine (reference mode)",
    [](CLI::App& sub) -> RunFn {
      auto a = std::make_shared<LogitsArgs>();
      sub.footer(
          "Runs the embedded engine's forward pass over the whole token sequence on a fresh KV cache\n"
          "and returns the logits of every position, shape [T, vocab], float32.\n"
          "Reference mode: the logits depend only on the dequantized weight values and the tokens, so\n"
          "a quantized file and its exact F32 export, or 1 and N threads, give identical bits.\n\n"
          "With --compute fast the logits are the non-reference int8 mode's (see --compute).\n\n"
          "Output: one JSON line on stdout {tokens, shape, compute, mode (= compute), threads, backend,\n"
          "out, argmax}. With --out,\n"
          "FILE.npy gets a NumPy array (<f4, shape (T, vocab)); any other name gets raw little-endian\n"
          "float32, row-major, no header.\n\n"
          "Exit codes: 0 ok; 2 bad input (token id outside the vocabulary, malformed file); 3 missing file.");
      sub.add_option("MODEL", a->model, "Model file (GGUF, SafeTensors, APR), directory or HF repo id")->required();
      auto* p = sub.add_option("--prompt,-p", a->prompt,
                               "Text to encode with the model's tokenizer (special tokens parsed, BOS per the tokenizer)");
      auto* t = sub.add_option("--tokens", a->tokens, "Token ids instead of a prompt: \"1,2,3\" or \"1 2 3\"");
      p->excludes(t);
      t->excludes(p);
      sub.add_option("--out,-o", a->out, "Write the logits to FILE (.npy: NumPy array; else raw float32)");
      sub.add_option("--backend", a->backend,
                     "Where the forward pass runs: cpu, or gpu (the CUDA device; exit 3 when there is none or\n"
                     "apr-qa was built without CUDA; logits agree with cpu to ~1e-6 relative; default cpu)")
          ->check(CLI::IsMember({"cpu", "gpu"}));
      add_compute_option(sub, a->compute);
      sub.add_option("--threads,-t", a->threads, "Worker threads (results are identical for any count; default 1)")
          ->check(CLI::Range(1, 1024));
      sub.add_option("--ctx", a->ctx, "Maximum sequence length accepted (KV cache capacity; default 4096)")
          ->check(CLI::PositiveNumber);
      return [a, p, t] {
        if (p->count() == 0 && t->count() == 0)
          throw validation_error("logits: expected --prompt or --tokens, found neither");
        return run_logits(*a);
      };
    },
});

}  // namespace
}  // namespace apr::cli
