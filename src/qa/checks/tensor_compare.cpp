#include "qa/checks/tensor_compare.hpp"

#ifdef APR_QA_CHECKS_REAL
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

TensorCompare compare_tensors(const model::CanonicalModel& a, const model::CanonicalModel& b,
                              const std::string& filter, bool with_stats) {
  TensorCompare c;
  auto note = [&](std::string s) { if (c.notes.size() < 8) c.notes.push_back(std::move(s)); };
  for (const auto& ta : a.tensors) {
    if (!matches(ta.name, filter)) continue;
    const auto* tb = b.find(ta.name);
    if (!tb) {
      if (ta.name == "lm_head.weight" && a.config.tied_embeddings) continue;
      ++c.missing_in_b;
      c.max_abs = INFINITY;  // a tensor that is not there differs without bound
      note("missing in b: " + ta.name);
      continue;
    }
    if (ta.shape() != tb->shape()) {
      ++c.shape_mismatches;
      c.max_abs = INFINITY;
      auto sa = ta.shape(), sb = tb->shape();
      if (sa.size() == 2 && sb.size() == 2 && sa[0] == sb[1] && sa[1] == sb[0]) ++c.transposed;
      note(fmt::format("shape of {}: [{}] vs [{}]", ta.name, fmt::join(sa, ", "), fmt::join(sb, ", ")));
      continue;
    }
    ++c.compared;
    std::int64_t rows = ta.source.rows();
    bool same_type = ta.type() == tb->type();
    if (!same_type) {
      ++c.dtype_changes;
      if (ta.original_type && *ta.original_type == tb->type()) {
        ++c.dtype_restorations;
      } else if (tb->original_type && *tb->original_type == ta.type()) {
        ++c.recorded_dtype_changes;
      } else {
        ++c.silent_dtype_changes;
        note(fmt::format("dtype of {}: {} -> {} (no recorded original type explains it)", ta.name, dtype_name(ta.type()),
                         dtype_name(tb->type())));
      }
    }
    bool bytes_equal = same_type;
    if (same_type) {
      for (std::int64_t r = 0; r < rows && bytes_equal; ++r) {
        auto ra = ta.row(r), rb = tb->row(r);
        bytes_equal = ra.size() == rb.size() && std::memcmp(ra.data(), rb.data(), ra.size()) == 0;
      }
      if (!bytes_equal) ++c.differing_bytes;
    }
    if (bytes_equal && !with_stats) continue;
    std::vector<float> fa, fb;
    double tmax = 0;
    Stats sa, sb;
    for (std::int64_t r = 0; r < rows; ++r) {
      row_floats(ta, r, fa);
      row_floats(*tb, r, fb);
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
  for (const auto& tb : b.tensors) {
    if (!matches(tb.name, filter) || a.find(tb.name)) continue;
    if (tb.name == "lm_head.weight" && a.config.tied_embeddings) continue;
    ++c.missing_in_a;
    c.max_abs = INFINITY;
    note("only in b: " + tb.name);
  }
  return c;
}

}  // namespace apr::qa::checks
#endif
