// apr-qa engine: KL divergence of a model's scored logits against saved reference logits, the
// statistics llama.cpp's `llama-perplexity --kl-divergence` prints (own file format).
//
// - LogitsWriter saves the scored positions of a perplexity run (perplexity.hpp on_window):
//   "APRPPLLOGITS1\n", one JSON line {ctx, chunks, vocab, per_chunk}, then per window the int32
//   targets [per_chunk] and the float32 logits [per_chunk × vocab], little-endian. Streamed: one
//   window in memory.
// - KlAccumulator reads such a file window by window beside a new run with the same ctx, chunks
//   and vocabulary (a validation Error otherwise, and when a window's targets differ: another
//   text or tokenizer). Per scored position, in double: KL(base || new) = Σ p_base (log p_base −
//   log p_new) from log-softmaxes; top-1 agreement (same argmax, lowest id on ties); the base's NLL.
// - Stats: mean KL and its standard error, median, p99 (linear interpolation between closest
//   ranks, as numpy's default), max; top-1 agreement fraction; the base's perplexity, the new one
//   and Δppl = new − base.
#pragma once

#include <cstdint>
#include <fstream>
#include <string>
#include <vector>

#include "engine/perplexity.hpp"

namespace apr::engine {

class LogitsWriter {
 public:
  // Creates/truncates `path`; throws an io Error naming it.
  LogitsWriter(const std::string& path, std::int64_t ctx, std::int64_t chunks, std::int64_t vocab);
  void write(const ScoredWindow& w);
  void close();  // flushes; throws an io Error when the bytes could not all be written

 private:
  std::string path_;
  std::ofstream out_;
};

struct KlStats {
  std::int64_t positions = 0;
  double kl_mean = 0, kl_mean_error = 0, kl_median = 0, kl_p99 = 0, kl_max = 0;
  double top1_agreement = 0;  // fraction of positions
  double ppl_base = 0, ppl = 0, delta_ppl = 0;
};

class KlAccumulator {
 public:
  // Opens the saved base logits; throws an io Error (missing/short file) or a validation Error
  // (not such a file, or its ctx/chunks/vocab differ from the run's).
  KlAccumulator(const std::string& base_path, std::int64_t ctx, std::int64_t chunks, std::int64_t vocab);
  void add(const ScoredWindow& w);  // the next window of the new run
  KlStats finish(double ppl_new) const;

 private:
  std::string path_;
  std::ifstream in_;
  std::int64_t vocab_ = 0, per_chunk_ = 0;
  std::vector<double> kl_;
  std::int64_t same_top1_ = 0;
  double base_nll_ = 0;
  std::vector<std::int32_t> targets_;
  std::vector<float> logits_;
};

}  // namespace apr::engine
