// apr-qa qa: the history section of report.html — certification history (history.jsonl lines) as
// inline SVG line charts (score, throughput per format/backend, perplexity) and a table.
#include <algorithm>
#include <cmath>
#include <map>

#include <fmt/format.h>

#include "qa/report.hpp"

namespace apr::qa {

namespace {

using Series = std::map<std::string, std::vector<std::pair<std::size_t, double>>>;  // name -> (night, value)

const char* kColors[] = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"};

// One chart: x = certification index (oldest left), y from 0 (or the minimum) to the maximum.
std::string line_chart(const std::string& title, const Series& s, std::size_t nights, const std::string& first_date,
                       const std::string& last_date) {
  if (s.empty()) return "";
  double lo = INFINITY, hi = -INFINITY;
  for (const auto& [n, pts] : s)
    for (const auto& p : pts) lo = std::min(lo, p.second), hi = std::max(hi, p.second);
  if (lo > 0) lo = 0;
  if (hi <= lo) hi = lo + 1;
  const double W = 560, H = 160, X0 = 50, Y0 = 10;
  auto x = [&](std::size_t i) { return X0 + (nights > 1 ? W * static_cast<double>(i) / static_cast<double>(nights - 1) : W / 2); };
  auto y = [&](double v) { return Y0 + H - H * (v - lo) / (hi - lo); };
  std::string h = fmt::format("<h3>{}</h3><svg xmlns=\"http://www.w3.org/2000/svg\" width=\"760\" height=\"{}\" role=\"img\">", html_escape(title),
                              H + 40);
  h += fmt::format("<line x1=\"{0}\" y1=\"{1}\" x2=\"{0}\" y2=\"{2}\" stroke=\"#999\"/><line x1=\"{0}\" y1=\"{2}\" x2=\"{3}\" y2=\"{2}\" stroke=\"#999\"/>",
                   X0, Y0, Y0 + H, X0 + W);
  h += fmt::format("<text x=\"0\" y=\"{:.0f}\" font-size=\"11\">{}</text><text x=\"0\" y=\"{:.0f}\" font-size=\"11\">{}</text>", Y0 + 10,
                   format_number(hi), Y0 + H, format_number(lo));
  h += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\">{}</text><text x=\"{}\" y=\"{}\" font-size=\"11\" text-anchor=\"end\">{}</text>", X0,
                   Y0 + H + 15, html_escape(first_date), X0 + W, Y0 + H + 15, html_escape(last_date));
  std::size_t k = 0;
  for (const auto& [name, pts] : s) {
    const char* col = kColors[k % (sizeof kColors / sizeof *kColors)];
    std::string path;
    for (const auto& p : pts) path += fmt::format("{}{:.1f},{:.1f}", path.empty() ? "M" : " L", x(p.first), y(p.second));
    h += fmt::format("<path d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"2\"/>", path, col);
    for (const auto& p : pts)
      h += fmt::format("<circle cx=\"{:.1f}\" cy=\"{:.1f}\" r=\"3\" fill=\"{}\"><title>{}: {}</title></circle>", x(p.first), y(p.second), col,
                       html_escape(name), format_number(p.second));
    h += fmt::format("<text x=\"{}\" y=\"{}\" font-size=\"11\" fill=\"{}\">{}</text>", X0 + W + 8, Y0 + 12 + 14 * k, col, html_escape(name));
    ++k;
  }
  return h + "</svg>\n";
}

void add_map(Series& s, const nlohmann::json& line, const char* key, std::size_t i) {
  if (!line.contains(key) || !line[key].is_object()) return;
  for (const auto& [name, v] : line[key].items())
    if (v.is_number()) s[name].emplace_back(i, v.get<double>());
}

}  // namespace

std::string history_html(const std::vector<nlohmann::json>& history) {
  if (history.empty()) return "";
  std::size_t n = history.size();
  std::string first = history.front().value("date", "").substr(0, 10), last = history.back().value("date", "").substr(0, 10);
  Series score, tps, bpb;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& l = history[i];
    double max = l.value("max_score", 0.0);
    if (max > 0) score["score %"].emplace_back(i, 100.0 * l.value("score", 0.0) / max);
    add_map(tps, l, "throughput_tps", i);
    add_map(bpb, l, "bits_per_byte", i);
  }
  std::string h = fmt::format("<h2>History ({} certification{}, {} to {})</h2>\n", n, n == 1 ? "" : "s", html_escape(first), html_escape(last));
  h += line_chart("Score (% of the measured categories' maximum)", score, n, first, last);
  h += line_chart("Throughput (tokens/s, median per format/backend)", tps, n, first, last);
  h += line_chart("Bits per byte on the frozen corpus (per format)", bpb, n, first, last);
  h += "<table><tr><th>Date</th><th>apr-qa</th><th>Verdict</th><th>Score</th><th>Grade</th><th>Coverage</th></tr>";
  for (std::size_t i = n; i-- > 0 && n - i <= 30;) {
    const auto& l = history[i];
    std::string verdict = l.value("verdict", "");
    std::string cls = verdict == "CERTIFIED" ? "ok" : verdict == "PROVISIONAL" ? "timeout" : "fail";
    std::string cov = l.contains("coverage") ? fmt::format("{}/{}", l["coverage"].value("measured", 0), l["coverage"].value("planned", 0)) : "";
    h += fmt::format("<tr class=\"{}\"><td>{}</td><td><code>{}+{}</code></td><td>{}</td><td>{}/{}</td><td>{}</td><td>{}</td></tr>", cls,
                     html_escape(l.value("date", "")), html_escape(l.value("apr_qa_version", "")), html_escape(l.value("apr_qa_git", "")),
                     html_escape(verdict), l.value("score", 0), l.value("max_score", 0), html_escape(l.value("grade", "")), cov);
  }
  return h + "</table>\n";
}

}  // namespace apr::qa
