#include "engine/perplexity_kl.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace apr::engine {

namespace {

constexpr const char* kMagic = "APRPPLLOGITS1";

// log-softmax of one row in double; returns the argmax (lowest id on ties).
std::int64_t log_softmax(const float* row, std::int64_t vocab, std::vector<double>& out) {
  out.resize(static_cast<std::size_t>(vocab));
  std::int64_t best = 0;
  for (std::int64_t i = 1; i < vocab; ++i)
    if (row[i] > row[best]) best = i;
  const double mx = row[best];
  double sum = 0;
  for (std::int64_t i = 0; i < vocab; ++i) sum += std::exp(static_cast<double>(row[i]) - mx);
  const double lse = mx + std::log(sum);
  for (std::int64_t i = 0; i < vocab; ++i) out[static_cast<std::size_t>(i)] = static_cast<double>(row[i]) - lse;
  return best;
}

double percentile(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return std::nan("");
  const double pos = p * static_cast<double>(sorted.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, sorted.size() - 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - static_cast<double>(lo));
}

}  // namespace

LogitsWriter::LogitsWriter(const std::string& path, std::int64_t ctx, std::int64_t chunks, std::int64_t vocab)
    : path_(path), out_(path, std::ios::binary | std::ios::trunc) {
  if (!out_) throw io_error("cannot create the logits file").at_path(path);
  nlohmann::json h = {{"ctx", ctx}, {"chunks", chunks}, {"vocab", vocab}, {"per_chunk", ctx - 1 - ctx / 2}};
  out_ << kMagic << "\n" << h.dump() << "\n";
}

void LogitsWriter::write(const ScoredWindow& w) {
  out_.write(reinterpret_cast<const char*>(w.targets.data()), static_cast<std::streamsize>(w.targets.size_bytes()));
  out_.write(reinterpret_cast<const char*>(w.logits.data()), static_cast<std::streamsize>(w.logits.size_bytes()));
  if (!out_) throw io_error("writing the logits file failed").at_path(path_);
}

void LogitsWriter::close() {
  out_.close();
  if (!out_) throw io_error("writing the logits file failed").at_path(path_);
}

KlAccumulator::KlAccumulator(const std::string& base_path, std::int64_t ctx, std::int64_t chunks, std::int64_t vocab)
    : path_(base_path), in_(base_path, std::ios::binary), vocab_(vocab), per_chunk_(ctx - 1 - ctx / 2) {
  if (!in_) throw io_error("cannot read the base logits file").at_path(base_path);
  std::string magic, header;
  std::getline(in_, magic);
  if (magic != kMagic)
    throw validation_error(std::string("not a saved-logits file: expected the line ") + kMagic + " (apr-qa perplexity --save-logits)")
        .at_path(base_path);
  std::getline(in_, header);
  auto h = nlohmann::json::parse(header, nullptr, false);
  if (h.is_discarded() || !h.is_object()) throw validation_error("the saved-logits header is not a JSON object").at_path(base_path);
  const std::pair<const char*, std::int64_t> expected[] = {{"ctx", ctx}, {"chunks", chunks}, {"vocab", vocab}};
  for (const auto& [key, want] : expected) {
    const std::int64_t found = h.value(key, std::int64_t{-1});
    if (found != want)
      throw validation_error("the base logits were saved with " + std::string(key) + " " + std::to_string(found) +
                             ", this run has " + std::to_string(want) + " (use the same --ctx/--chunks and vocabulary)")
          .at_path(base_path)
          .at_key(key);
  }
}

void KlAccumulator::add(const ScoredWindow& w) {
  const auto rows = static_cast<std::size_t>(per_chunk_), V = static_cast<std::size_t>(vocab_);
  targets_.resize(rows);
  logits_.resize(rows * V);
  in_.read(reinterpret_cast<char*>(targets_.data()), static_cast<std::streamsize>(rows * sizeof(std::int32_t)));
  in_.read(reinterpret_cast<char*>(logits_.data()), static_cast<std::streamsize>(rows * V * sizeof(float)));
  if (!in_) throw io_error("the base logits file ends before window " + std::to_string(w.chunk + 1)).at_path(path_);
  if (w.targets.size() != rows || !std::equal(targets_.begin(), targets_.end(), w.targets.begin()))
    throw validation_error("window " + std::to_string(w.chunk + 1) +
                           ": the base logits were saved for other tokens (another text or tokenizer)")
        .at_path(path_);
  std::vector<double> lb, ln;
  for (std::size_t r = 0; r < rows; ++r) {
    const auto top_b = log_softmax(logits_.data() + r * V, vocab_, lb);
    const auto top_n = log_softmax(w.logits.data() + r * V, vocab_, ln);
    double kl = 0;
    for (std::size_t i = 0; i < V; ++i) kl += std::exp(lb[i]) * (lb[i] - ln[i]);
    kl_.push_back(kl);
    same_top1_ += top_b == top_n ? 1 : 0;
    base_nll_ -= lb[static_cast<std::size_t>(targets_[r])];
  }
}

KlStats KlAccumulator::finish(double ppl_new) const {
  KlStats s;
  s.positions = static_cast<std::int64_t>(kl_.size());
  if (kl_.empty()) return s;
  const double n = static_cast<double>(kl_.size());
  double sum = 0, sum2 = 0;
  for (double v : kl_) sum += v, sum2 += v * v;
  s.kl_mean = sum / n;
  const double var = sum2 / n - s.kl_mean * s.kl_mean;
  s.kl_mean_error = var > 0 && kl_.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0;
  std::vector<double> sorted = kl_;
  std::sort(sorted.begin(), sorted.end());
  s.kl_median = percentile(sorted, 0.5);
  s.kl_p99 = percentile(sorted, 0.99);
  s.kl_max = sorted.back();
  s.top1_agreement = static_cast<double>(same_top1_) / n;
  s.ppl_base = std::exp(base_nll_ / n);
  s.ppl = ppl_new;
  s.delta_ppl = ppl_new - s.ppl_base;
  return s;
}

}  // namespace apr::engine
