#include "engine/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>

#include "engine/cuda/gpu_forward.hpp"
#include "engine/forward.hpp"
#include "engine/sampler.hpp"
#include "engine/thread_pool.hpp"

#include "tokenizer/tokenizer.hpp"

namespace apr::engine {

Engine::~Engine() = default;

const char* backend_name(Backend b) noexcept { return b == Backend::gpu ? "gpu" : "cpu"; }
const char* mode_name(Mode m) noexcept { return m == Mode::fast ? "fast" : "reference"; }

namespace {

// Drops from RSS the pages of the model's mapped files that no tensor uses (GGUF header, metadata,
// tokenizer arrays: parsed into owned structures by now). The mappings are private and
// read-only, so a later read of such a page just faults it in again from the file.
void release_non_tensor_pages(const model::CanonicalModel& m) {
  for (const auto& f : m.keep_alive) {
    if (!f) continue;
    const std::byte* base = f->data();
    std::vector<std::pair<std::uint64_t, std::uint64_t>> used;  // [begin, end) offsets
    for (const auto& t : m.tensors) {
      const std::byte* p = t.source.data.data();
      if (p < base || p >= base + f->size()) continue;
      const auto b = static_cast<std::uint64_t>(p - base);
      used.emplace_back(b, b + t.source.data.size());
    }
    std::sort(used.begin(), used.end());
    std::uint64_t pos = 0;
    for (const auto& [b, e] : used) {
      if (b > pos) f->release(pos, b - pos);
      pos = std::max(pos, e);
    }
    if (pos < f->size()) f->release(pos, f->size() - pos);
  }
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(std::shared_ptr<const model::CanonicalModel> m,
                                               const EngineOptions& o) {
  return capture([&]() -> std::unique_ptr<Engine> {
    if (!m) throw internal_error("engine: create() given a null model");
    if (o.mode == Mode::fast && o.backend != Backend::cpu)
      throw unsupported_error("engine: compute mode 'fast' runs on the cpu backend only; expected 'reference' with backend gpu");
    if (o.threads < 1 || o.threads > 1024)
      throw validation_error("engine: threads must be in [1, 1024], found " + std::to_string(o.threads));
    std::unique_ptr<Engine> e(new Engine());
    e->model_ = m;
    e->opts_ = o;
    ModelWeights w = bind_weights(*m);
    e->pool_ = std::make_unique<ThreadPool>(o.threads);
    if (o.backend == Backend::gpu)
      e->fwd_ = make_gpu_forward(m->config, w, o.max_context);
    else {
      if (o.mode == Mode::fast) pack_int8_weights(w, m.get());
      e->fwd_ = std::make_unique<Forward>(m->config, std::move(w), *e->pool_, o.max_context, o.mode == Mode::fast);
    }
    const auto& td = m->tokenizer;
    auto add_stop = [&](std::int64_t id) {
      if (id >= 0 && id < m->config.vocab &&
          std::find(e->stop_ids_.begin(), e->stop_ids_.end(), id) == e->stop_ids_.end())
        e->stop_ids_.push_back(static_cast<std::int32_t>(id));
    };
    if (td.eos_id) add_stop(*td.eos_id);
    if (!td.tokens.empty()) {
      // Shares the model's tokenizer data (an alias that keeps the model alive): no second copy
      // of the vocabulary and merges in memory.
      auto t = tok::Tokenizer::from_shared(std::shared_ptr<const tok::TokenizerData>(m, &m->tokenizer));
      if (!t) throw Error(t.error()).with_context("engine: building the model's tokenizer");
      e->tok_.emplace(std::move(t.value()));
      for (std::int64_t id = 0; id < static_cast<std::int64_t>(td.tokens.size()); ++id)
        if (e->tok_->is_end_of_generation(static_cast<std::int32_t>(id))) add_stop(id);
    }
    release_non_tensor_pages(*m);
    return e;
  });
}

std::int64_t Engine::vocab() const { return model_->config.vocab; }


std::string Engine::decode(std::span<const std::int32_t> ids) const {
  if (!tok_) return {};
  std::vector<std::int32_t> known;
  known.reserve(ids.size());
  for (auto id : ids)
    if (has_text(id)) known.push_back(id);
  return tok_->decode(known);
}

bool Engine::has_text(std::int32_t id) const {
  return tok_ && id >= 0 && id < tok_->vocab_size();
}

std::vector<float> Engine::logits_all(std::span<const std::int32_t> tokens) {
  std::vector<float> out;
  fwd_->reset();
  fwd_->run(tokens, true, out);
  return out;
}

std::vector<float> Engine::logits_from(std::span<const std::int32_t> tokens, std::int64_t first) {
  const std::int64_t T = static_cast<std::int64_t>(tokens.size());
  first = std::clamp<std::int64_t>(first, 0, T);
  const std::size_t V = static_cast<std::size_t>(vocab());
  if (opts_.backend == Backend::gpu || first == 0) {  // the whole pass; the gpu's kept as it was
    std::vector<float> all = logits_all(tokens);
    all.erase(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(static_cast<std::size_t>(first) * V));
    return all;
  }
  std::vector<float> out;
  fwd_->reset();
  fwd_->run(tokens.first(static_cast<std::size_t>(first)), false, out);  // K/V only (one row of logits)
  out.clear();
  if (first < T) fwd_->run(tokens.subspan(static_cast<std::size_t>(first)), true, out);
  return out;
}

GenerateResult Engine::generate(std::span<const std::int32_t> prompt, const SamplingOptions& s,
                                const std::function<bool(std::int32_t)>& on_token) {
  return generate_impl(prompt, s, on_token, nullptr);
}

GenerateResult Engine::generate_with_logits(std::span<const std::int32_t> prompt, const SamplingOptions& s,
                                            std::vector<float>& all_logits) {
  return generate_impl(prompt, s, {}, &all_logits);
}

std::optional<GenerateResult> Engine::generate_verified(std::span<const std::int32_t> prompt,
                                                        std::span<const std::int32_t> draft, const SamplingOptions& s,
                                                        std::vector<float>& all) {
  all.clear();
  const std::size_t P = prompt.size(), D = draft.size();
  if (opts_.backend == Backend::gpu || !(s.temperature <= 0) || P == 0 || D == 0 || s.max_tokens <= 0 ||
      D > static_cast<std::size_t>(s.max_tokens) || static_cast<std::int64_t>(P + D) > fwd_->max_context())
    return std::nullopt;
  const std::int64_t V = vocab();
  std::vector<std::int32_t> seq(prompt.begin(), prompt.end());
  seq.insert(seq.end(), draft.begin(), draft.end());
  for (std::int32_t id : seq)
    if (id < 0 || id >= V) return std::nullopt;
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  std::vector<float> rows = logits_all(seq);
  const double pass_s = std::chrono::duration<double>(clock::now() - t0).count();
  if (rows.size() != seq.size() * static_cast<std::size_t>(V)) return std::nullopt;
  Rng rng(s.seed);
  const SamplerParams sp{s.temperature, s.top_k, s.top_p};
  GenerateResult r;
  r.stop_reason = "max_tokens";
  bool stopped = false;
  for (std::size_t i = 0; i < D; ++i) {
    // The row of the position before draft[i] is what generate() samples draft[i] from.
    std::span<const float> row(rows.data() + (P - 1 + i) * static_cast<std::size_t>(V), static_cast<std::size_t>(V));
    const std::int32_t next = sample(row, sp, rng);
    if (next != draft[i]) return std::nullopt;
    r.tokens.push_back(next);
    const bool is_eos = !s.ignore_eos && std::find(stop_ids_.begin(), stop_ids_.end(), next) != stop_ids_.end();
    const bool is_extra = std::find(s.extra_stop.begin(), s.extra_stop.end(), next) != s.extra_stop.end();
    const bool last = i + 1 == D;
    if (is_eos || is_extra) {
      if (!last) return std::nullopt;  // this model stops inside the draft
      r.stop_reason = is_eos ? "eos" : "stop_token";
      stopped = true;
    } else if (static_cast<int>(r.tokens.size()) >= s.max_tokens && !last) {
      return std::nullopt;
    }
  }
  if (!stopped && static_cast<int>(r.tokens.size()) < s.max_tokens) return std::nullopt;  // it would go on
  r.ttft_ms = pass_s * 1e3;
  r.prefill_tps = pass_s > 0 ? static_cast<double>(seq.size()) / pass_s : 0;
  r.decode_tps = 0;
  std::span<const std::int32_t> text_ids(r.tokens);
  if (stopped) text_ids = text_ids.first(text_ids.size() - 1);
  r.text = decode(text_ids);
  r.peak_rss_bytes = peak_rss_bytes();
  all = std::move(rows);
  return r;
}

GenerateResult Engine::generate_impl(std::span<const std::int32_t> prompt, const SamplingOptions& s,
                                     const std::function<bool(std::int32_t)>& on_token, std::vector<float>* all) {
  if (all) all->clear();
  if (opts_.backend == Backend::gpu) all = nullptr;  // left empty: the caller runs logits_all
  using clock = std::chrono::steady_clock;
  auto secs = [](clock::duration d) { return std::chrono::duration<double>(d).count(); };
  GenerateResult r;
  if (prompt.empty()) throw validation_error("engine: generate() needs a prompt of at least one token");
  if (!(s.temperature <= 0) && !(s.temperature > 0))
    throw validation_error("engine: temperature is NaN");
  if (s.top_p <= 0 || s.top_p > 1)
    throw validation_error("engine: top_p must be in (0, 1], found " + std::to_string(s.top_p));
  if (s.top_k < 0) throw validation_error("engine: top_k must be >= 0, found " + std::to_string(s.top_k));
  r.stop_reason = "max_tokens";
  if (s.max_tokens <= 0) {
    r.peak_rss_bytes = peak_rss_bytes();
    return r;
  }
  Rng rng(s.seed);
  const SamplerParams sp{s.temperature, s.top_k, s.top_p};
  std::vector<float> logits;
  const auto t0 = clock::now();
  fwd_->reset();
  fwd_->run(prompt, all != nullptr, logits);
  const auto t_prefill = clock::now();
  const std::size_t V = static_cast<std::size_t>(vocab());
  if (all) {  // every prompt row kept; the last one is what sampling reads
    *all = logits;
    logits.erase(logits.begin(), logits.end() - static_cast<std::ptrdiff_t>(V));
  }
  std::int32_t next = sample(logits, sp, rng);
  const auto t_first = clock::now();
  r.ttft_ms = secs(t_first - t0) * 1e3;
  const double pre_s = secs(t_prefill - t0);
  r.prefill_tps = pre_s > 0 ? static_cast<double>(prompt.size()) / pre_s : 0;
  bool stopped = false;
  int decoded_steps = 0;
  for (;;) {
    r.tokens.push_back(next);
    const bool is_eos =
        !s.ignore_eos && std::find(stop_ids_.begin(), stop_ids_.end(), next) != stop_ids_.end();
    const bool is_extra = std::find(s.extra_stop.begin(), s.extra_stop.end(), next) != s.extra_stop.end();
    if (on_token && !on_token(next)) {
      r.stop_reason = "callback";
      break;
    }
    if (is_eos || is_extra) {
      r.stop_reason = is_eos ? "eos" : "stop_token";
      stopped = true;
      break;
    }
    if (static_cast<int>(r.tokens.size()) >= s.max_tokens) break;
    if (fwd_->n_past() + 1 > fwd_->max_context()) {
      r.stop_reason = "max_context";
      break;
    }
    const std::int32_t in[1] = {next};
    fwd_->run(in, false, logits);
    if (all) all->insert(all->end(), logits.begin(), logits.end());
    next = sample(logits, sp, rng);
    ++decoded_steps;
  }
  const double dec_s = secs(clock::now() - t_first);
  r.decode_tps = (decoded_steps > 0 && dec_s > 0) ? decoded_steps / dec_s : 0;
  // The last token's own row (outside the timings): one more step, or none when the cache is full.
  if (all) {
    if (fwd_->n_past() + 1 <= fwd_->max_context()) {
      const std::int32_t in[1] = {r.tokens.back()};
      fwd_->run(in, false, logits);
      all->insert(all->end(), logits.begin(), logits.end());
    } else {
      all->clear();
    }
  }
  std::span<const std::int32_t> text_ids(r.tokens);
  if (stopped) text_ids = text_ids.first(text_ids.size() - 1);
  r.text = decode(text_ids);
  r.peak_rss_bytes = peak_rss_bytes();
  return r;
}

std::uint64_t peak_rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (!f) return 0;
  char line[256];
  std::uint64_t kb = 0;
  while (std::fgets(line, sizeof line, f)) {
    if (std::strncmp(line, "VmHWM:", 6) == 0) {
      kb = std::strtoull(line + 6, nullptr, 10);
      break;
    }
  }
  std::fclose(f);
  return kb * 1024;
}

}  // namespace apr::engine
