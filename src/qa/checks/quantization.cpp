// Check kind quantization_quality: how much a quantized variant of the source costs in quality,
// measured as llama.cpp's `llama-perplexity --kl-divergence` does (engine/perplexity_kl.hpp).
//
// params: model (the source: the reference), quantization (a model.quantizations entry: q8_0,
// q6_k, q5_k_m, q5_0, q4_k_m, q4_0, q3_k_m, q2_k quantize; f32, f16, bf16 re-type), variant (where the variant
// GGUF is written; reused with `reuse`), reference_logits (the reference's scored logits, written
// once per run and shared by every variant), corpus, ctx, chunks, threads, allow_requantize.
//
// A source whose weight matrices are already quantized is itself the reference: requantizing it
// would measure one quantization against another, so the check is Skipped with that reason
// unless the gate sets allow_requantize. A quantization apr-qa has no quantizer for is Skipped,
// named. Measurements: positions (scored positions compared), kl_mean, kl_p99,
// kl_max, kl_median, top1_agreement (fraction), delta_ppl_rel ((ppl − ppl_base) / ppl_base),
// ppl_base, ppl; the quantizer's type per tensor goes to metrics.type_selection.
#include <unistd.h>

#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "convert/convert.hpp"
#include "engine/perplexity.hpp"
#include "engine/perplexity_kl.hpp"
#include "tensor/dtype.hpp"

namespace apr::qa::checks {

namespace fs = std::filesystem;

namespace {

struct Ppl {
  engine::PerplexityResult r;
  std::optional<engine::KlStats> kl;
};

// Perplexity of `path` on the corpus; saves the scored logits to `save` or compares with `base`.
Ppl run_ppl(const std::string& path, const std::string& corpus, std::int64_t ctx, std::int64_t chunks, int threads,
            const std::string& save, const std::string& base) {
  auto text = engine::load_corpus(corpus);
  if (!text) throw text.error();
  engine::EngineOptions eo;
  eo.threads = threads;
  eo.max_context = ctx;
  auto e = engine::Engine::create(load(path), eo);
  if (!e) throw e.error();
  auto& eng = **e;
  const auto tokens = engine::tokenize_for_perplexity(eng, *text);
  const std::int64_t n = std::min(chunks, static_cast<std::int64_t>(tokens.size()) / ctx);
  std::unique_ptr<engine::LogitsWriter> writer;
  std::unique_ptr<engine::KlAccumulator> kl;
  if (!save.empty()) writer = std::make_unique<engine::LogitsWriter>(save, ctx, n, eng.vocab());
  if (!base.empty()) kl = std::make_unique<engine::KlAccumulator>(base, ctx, n, eng.vocab());
  engine::PerplexityOptions po;
  po.ctx = ctx;
  po.chunks = chunks;
  po.on_window = [&](const engine::ScoredWindow& w) {
    if (writer) writer->write(w);
    if (kl) kl->add(w);
  };
  Ppl out{engine::perplexity(eng, tokens, po), std::nullopt};
  if (writer) writer->close();
  if (kl) out.kl = kl->finish(out.r.ppl);
  return out;
}

// A temporary sibling of `dst`, renamed over it when complete (parallel nodes may race: the
// content is the same, the rename atomic).
fs::path partial(const fs::path& dst) { return dst.parent_path() / fmt::format(".partial-{}-{}", ::getpid(), dst.filename().string()); }

}  // namespace

CheckOutput quantization_quality(const nlohmann::json& p) {
  CheckOutput o;
  const std::string ref = p.at("model").get<std::string>();
  const std::string q = p.at("quantization").get<std::string>();
  const fs::path variant = p.at("variant").get<std::string>();
  const fs::path ref_logits = p.at("reference_logits").get<std::string>();
  const std::string corpus = p.value("corpus", std::string(engine::kDefaultCorpus));
  const std::int64_t ctx = p.value("ctx", std::int64_t{256});
  const std::int64_t chunks = p.value("chunks", std::int64_t{2});
  const int threads = p.value("threads", 1);
  if (ctx < 4 || chunks < 1) throw validation_error(fmt::format("quantization_quality: ctx >= 4 and chunks >= 1 expected, found {} and {}", ctx, chunks));

  convert::ConvertOptions co;
  co.to = ModelFormat::gguf;
  if (q == "f32" || q == "f16" || q == "bf16") {
    co.dtype = q == "f32" ? GgmlType::F32 : (q == "f16" ? GgmlType::F16 : GgmlType::BF16);
  } else {
    const auto& names = convert::quantize_scheme_names();
    if (std::find(names.begin(), names.end(), q) == names.end()) {
      o.skip = fmt::format("apr-qa has no {} quantizer (it has {})", q, fmt::format("{}", fmt::join(names, ", ")));
      return o;
    }
    co.quantize = q;
  }
  // The reference must be unquantized: a quantized source is the reference itself.
  auto src = load(ref);
  std::map<std::string, int> quantized;
  for (const auto& t : src->tensors)
    if (t.shape().size() == 2 && is_quantized(t.type())) quantized[std::string(dtype_info(t.type()).name)]++;
  if (!quantized.empty() && !p.value("allow_requantize", false)) {
    std::string types;
    for (const auto& [n, c] : quantized) types += fmt::format("{}{} x{}", types.empty() ? "" : ", ", n, c);
    o.skip = fmt::format("the source is already quantized ({}): it is the reference itself, and requantizing it would "
                         "measure one quantization against another (convert it to F32 first, or set the gate's "
                         "allow_requantize)", types);
    return o;
  }
  src.reset();

  std::error_code ec;
  bool cached = p.value("reuse", false) && fs::is_regular_file(variant, ec);
  if (!cached) {
    fs::create_directories(variant.parent_path());
    auto tmp = partial(variant);
    auto rep = convert::convert_model(ref, tmp, co);
    if (!rep) throw rep.error();
    fs::rename(rep->output, variant);
    nlohmann::json sel = nlohmann::json::object();
    for (const auto& l : rep->lossy_tensors) {  // "name: FROM->TO"
      auto colon = l.rfind(": ");
      if (colon != std::string::npos) sel[l.substr(0, colon)] = l.substr(colon + 2);
    }
    o.metrics["type_selection"] = sel;
  }
  if (!fs::is_regular_file(ref_logits, ec)) {
    fs::create_directories(ref_logits.parent_path());
    auto tmp = partial(ref_logits);
    run_ppl(ref, corpus, ctx, chunks, threads, tmp.string(), "");
    fs::rename(tmp, ref_logits);
  }
  auto v = run_ppl(variant.string(), corpus, ctx, chunks, threads, "", ref_logits.string());
  const auto& k = *v.kl;
  o.add("positions", static_cast<double>(k.positions), "positions");
  o.add("kl_mean", k.kl_mean, "nats");
  o.add("kl_median", k.kl_median, "nats");
  o.add("kl_p99", k.kl_p99, "nats");
  o.add("kl_max", k.kl_max, "nats");
  o.add("top1_agreement", k.top1_agreement, "ratio");
  o.add("ppl_base", k.ppl_base);
  o.add("ppl", k.ppl);
  o.add("delta_ppl_rel", k.ppl_base > 0 ? k.delta_ppl / k.ppl_base : std::nan(""), "ratio");
  o.artifacts.push_back(describe_artifact(variant.string(), "gguf"));
  o.metrics.update({{"quantization", q}, {"corpus", corpus}, {"ctx", ctx}, {"chunks", v.r.chunks}, {"cached_variant", cached},
                    {"kl_mean_error", k.kl_mean_error}, {"delta_ppl", k.delta_ppl}, {"reference_logits", ref_logits.string()}});
  o.output = fmt::format("{} variant vs the source on {} ({} positions): KL mean {:.6f} p99 {:.6f} max {:.6f}, top-1 {:.2f}%, "
                         "ppl {:.4f} -> {:.4f} ({:+.3f}%)",
                         q, corpus, k.positions, k.kl_mean, k.kl_p99, k.kl_max, 100 * k.top1_agreement, k.ppl_base, k.ppl,
                         k.ppl_base > 0 ? 100 * k.delta_ppl / k.ppl_base : 0.0);
  return o;
}

}  // namespace apr::qa::checks
