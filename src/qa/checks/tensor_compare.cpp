#include "qa/checks/tensor_compare.hpp"
#include "qa/checks/dtype_provenance.hpp"

#include <cmath>
#include <cstring>
#include <sstream>

#include <fmt/format.h>

#include "tensor/dequantize.hpp"

namespace apr::qa::checks {

static bool matches(const std::string& name, const std::string& filter) {
  if (filter.empty()) return true;
  std::stringstream ss(filter);
  for (std::string part; std::getline(ss, part, ',');)
    if (!part.empty() && name.find(part) != std::string::npos) return true;
  return false;
}

struct Stats { double mean = 0, sq = 0, mn = INFINITY, mx = -INFINITY; std::size_t n = 0; };

static void row_floats(const model::CanonicalTensor& t, std::int64_t r, std::vector<float>& out) {
  out.resize(static_cast<std::size_t>(t.source.row_len()));
  dequantize_row(t.type(), t.row(r).data(), out.data(), t.source.row_len());
}

// The dtype change of one tensor, counted by kind; an unexplained one is noted with the reason.
static void count_dtype_change(TensorCompare& c, const model::CanonicalTensor& ta, const model::CanonicalTensor& tb,
                               const std::string& b_format) {
  const DtypeChange k = classify_dtype_change(ta, tb, b_format);
  if (ta.type() != tb.type()) ++c.dtype_changes;
  if (k == DtypeChange::restoration) ++c.dtype_restorations;
  if (k == DtypeChange::recorded_widening || k == DtypeChange::needless_widening) ++c.recorded_dtype_changes;
  if (k == DtypeChange::silent) ++c.silent_dtype_changes;
  if (!unexplained(k)) return;
  ++c.unexplained_dtype_changes;
  const char* why = k == DtypeChange::silent ? "no recorded original type explains it"
                    : k == DtypeChange::needless_widening
                        ? "recorded, but b's format stores the original type and re-encoding gives its bytes back"
                        : "a records an original type b's format stores and b's values re-encode to exactly, yet b kept F32";
  if (c.notes.size() < 8)
    c.notes.push_back(fmt::format("dtype of {}: {} -> {} ({})", ta.name, dtype_name(ta.type()), dtype_name(tb.type()), why));
}

// One tensor present on both sides: shape, dtype provenance, bytes, values (and statistics).
static void compare_one(TensorCompare& c, const model::CanonicalTensor& ta, const model::CanonicalTensor& tb,
                        const std::string& b_format, bool with_stats) {
  auto note = [&](std::string s) { if (c.notes.size() < 8) c.notes.push_back(std::move(s)); };
  if (ta.shape() != tb.shape()) {
    ++c.shape_mismatches;
    c.max_abs = INFINITY;
    auto sa = ta.shape(), sb = tb.shape();
    if (sa.size() == 2 && sb.size() == 2 && sa[0] == sb[1] && sa[1] == sb[0]) ++c.transposed;
    note(fmt::format("shape of {}: [{}] vs [{}]", ta.name, fmt::join(sa, ", "), fmt::join(sb, ", ")));
    return;
  }
  ++c.compared;
  count_dtype_change(c, ta, tb, b_format);
  const std::int64_t rows = ta.source.rows();
  bool bytes_equal = ta.type() == tb.type();
  if (bytes_equal) {
    for (std::int64_t r = 0; r < rows && bytes_equal; ++r) {
      auto ra = ta.row(r), rb = tb.row(r);
      bytes_equal = ra.size() == rb.size() && std::memcmp(ra.data(), rb.data(), ra.size()) == 0;
    }
    if (!bytes_equal) ++c.differing_bytes;
  }
  // Equal bytes of one dtype dequantize to equal values: max |Δ| is 0 and both sides' statistics
  // (the same sums in the same order) are equal, so nothing below could raise max_abs or
  // max_stat_diff — skipping it gives the same measurements without decoding the tensor twice.
  if (bytes_equal) return;
  std::vector<float> fa, fb;
  double tmax = 0;
  Stats sa, sb;
  for (std::int64_t r = 0; r < rows; ++r) {
    row_floats(ta, r, fa);
    row_floats(tb, r, fb);
    for (std::size_t i = 0; i < fa.size(); ++i) {
      double d = std::fabs(static_cast<double>(fa[i]) - fb[i]);
      if (std::isnan(d)) d = (std::isnan(fa[i]) && std::isnan(fb[i])) ? 0 : INFINITY;
      tmax = std::max(tmax, d);
      if (with_stats) {
        for (auto [s, v] : {std::pair<Stats*, double>{&sa, fa[i]}, {&sb, fb[i]}}) {
          s->mean += v; s->sq += v * v; s->mn = std::min(s->mn, v); s->mx = std::max(s->mx, v); ++s->n;
        }
      }
    }
  }
  if (tmax > 0) note(fmt::format("{}: max |Δ| = {:.6g}", ta.name, tmax));
  c.max_abs = std::max(c.max_abs, tmax);
  if (with_stats && sa.n > 0) {
    double ma = sa.mean / sa.n, mb = sb.mean / sb.n;
    double va = std::sqrt(std::max(0.0, sa.sq / sa.n - ma * ma)), vb = std::sqrt(std::max(0.0, sb.sq / sb.n - mb * mb));
    for (double d : {std::fabs(ma - mb), std::fabs(va - vb), std::fabs(sa.mn - sb.mn), std::fabs(sa.mx - sb.mx)})
      c.max_stat_diff = std::max(c.max_stat_diff, d);
  }
}

// A tied model's token embedding stands for its lm_head (the canonical model has none then).
static const model::CanonicalTensor* tied_stand_in(const model::CanonicalModel& m, const std::string& name) {
  return name == "lm_head.weight" && m.config.tied_embeddings ? m.find("model.embed_tokens.weight") : nullptr;
}

TensorCompare compare_tensors(const model::CanonicalModel& a, const model::CanonicalModel& b,
                              const std::string& filter, bool with_stats) {
  TensorCompare c;
  const std::string& b_format = b.provenance.source_format;
  auto missing = [&](std::size_t& count, const std::string& what) {
    ++count;
    c.max_abs = INFINITY;  // a tensor that is not there differs without bound
    if (c.notes.size() < 8) c.notes.push_back(what);
  };
  for (const auto& ta : a.tensors) {
    if (!matches(ta.name, filter)) continue;
    const auto* tb = b.find(ta.name);
    if (!tb) tb = tied_stand_in(b, ta.name);  // b tied, a carries an lm_head: compared with b's embedding
    if (tb) compare_one(c, ta, *tb, b_format, with_stats);
    else missing(c.missing_in_b, "missing in b: " + ta.name);
  }
  for (const auto& tb : b.tensors) {
    if (!matches(tb.name, filter) || a.find(tb.name)) continue;
    if (const auto* ta = tied_stand_in(a, tb.name)) compare_one(c, *ta, tb, b_format, with_stats);  // a tied, b not
    else missing(c.missing_in_a, "only in b: " + tb.name);
  }
  return c;
}

}  // namespace apr::qa::checks
