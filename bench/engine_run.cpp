// Benchmark driver for bench/engine.py: loads a model, prefills a prompt of N seeded random token
// ids and decodes M tokens greedily (end-of-generation ignored), prints one JSON line with
// prefill/decode tokens per second, time to first token, peak RSS, the KV cache size and the
// compute mode that produced them ("reference", the default, or "fast": int8 activations,
// non-reference, engine.hpp). Also the same rates per CPU second of the process (prefill_tps_cpu,
// decode_tps_cpu: CLOCK_PROCESS_CPUTIME_ID, all threads): on a shared, loaded machine they do not
// count the time the process waited for a core.
//   bench_engine_run MODEL PROMPT_TOKENS DECODE_TOKENS THREADS [reference|fast]
// The engine's A/B switches are read as apr-qa reads them: APR_ENGINE_NO_AVX512 (set at all),
// APR_ENGINE_NO_AMX (set and not "0"); the JSON line names them.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>

#include <nlohmann/json.hpp>

#include "core/switches.hpp"
#include "engine/open.hpp"

int main(int argc, char** argv) {
  const std::string compute = argc == 6 ? argv[5] : "reference";
  if ((argc != 5 && argc != 6) || (compute != "reference" && compute != "fast")) {
    std::fprintf(stderr, "usage: bench_engine_run MODEL PROMPT_TOKENS DECODE_TOKENS THREADS [reference|fast]\n");
    return 2;
  }
  const int n_prompt = std::stoi(argv[2]), n_decode = std::stoi(argv[3]), threads = std::stoi(argv[4]);
  apr::switches().engine_no_avx512 = std::getenv("APR_ENGINE_NO_AVX512") != nullptr;
  if (const char* v = std::getenv("APR_ENGINE_NO_AMX")) apr::switches().engine_no_amx = *v && std::strcmp(v, "0") != 0;
  apr::engine::EngineOptions o;
  o.threads = threads;
  o.mode = compute == "fast" ? apr::engine::Mode::fast : apr::engine::Mode::reference;
  o.max_context = n_prompt + n_decode + 1;
  auto e = apr::engine::open_engine(argv[1], o);
  if (!e) {
    std::fprintf(stderr, "bench_engine_run: %s\n", e.error().what());
    return 1;
  }
  auto& eng = *e.value();
  std::mt19937 rng(1234);
  std::vector<std::int32_t> prompt(static_cast<std::size_t>(n_prompt));
  for (auto& t : prompt) t = static_cast<std::int32_t>(rng() % static_cast<unsigned>(std::min<std::int64_t>(eng.vocab(), 30000)));
  apr::engine::SamplingOptions s;
  s.max_tokens = n_decode;
  s.ignore_eos = true;
  auto cpu_now = [] {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + 1e-9 * static_cast<double>(ts.tv_nsec);
  };
  double c_first = 0;
  int seen = 0;
  const double c0 = cpu_now();
  auto r = eng.generate(prompt, s, [&](std::int32_t) {
    if (seen++ == 0) c_first = cpu_now();  // the prompt is prefilled and the first token sampled
    return true;
  });
  const double c_end = cpu_now();
  const double pre_cpu = n_prompt / (c_first - c0);
  const double dec_cpu = seen > 1 ? (seen - 1) / (c_end - c_first) : 0.0;
  const auto& c = eng.model().config;
  const double kv = 2.0 * static_cast<double>(c.layers) * static_cast<double>(c.kv_heads * c.head_dim) *
                    static_cast<double>(n_prompt + n_decode) * 4.0;
  nlohmann::json j{{"prefill_tps", r.prefill_tps}, {"decode_tps", r.decode_tps}, {"ttft_ms", r.ttft_ms},
                   {"peak_rss_bytes", r.peak_rss_bytes}, {"kv_cache_bytes", kv}, {"generated", r.tokens.size()},
                   {"threads", threads}, {"compute", compute},
                   {"prefill_tps_cpu", pre_cpu}, {"decode_tps_cpu", dec_cpu},
                   {"no_avx512", apr::switches().engine_no_avx512}, {"no_amx", apr::switches().engine_no_amx}};
  std::printf("%s\n", j.dump().c_str());
  return 0;
}
