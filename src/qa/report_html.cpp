// Self-contained HTML report: inline CSS and SVG only.
#include <algorithm>
#include <map>
#include <set>

#include <fmt/format.h>

#include "qa/report.hpp"

namespace apr::qa {

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

static const char* css_class(Outcome o) {
  switch (o) {
    case Outcome::corroborated: return "ok";
    case Outcome::falsified: return "fail";
    case Outcome::crashed: return "crash";
    case Outcome::timeout: return "timeout";
    case Outcome::error: return "error";
    case Outcome::skipped: return "skip";
  }
  return "skip";
}

// Worst outcome of a cell: Crashed > Timeout > Error > Falsified > Corroborated > Skipped.
static int rank(Outcome o) {
  switch (o) {
    case Outcome::crashed: return 5;
    case Outcome::timeout: return 4;
    case Outcome::error: return 3;
    case Outcome::falsified: return 2;
    case Outcome::corroborated: return 1;
    case Outcome::skipped: return 0;
  }
  return 0;
}

std::string html_report(const ReportInput& in) {
  const auto& m = in.mqs;
  std::string h = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>apr-qa " + html_escape(in.model_id) +
                  "</title>\n<style>body{font-family:system-ui,sans-serif;margin:2em;color:#222}"
                  ".cards{display:flex;gap:1em;flex-wrap:wrap}.card{border:1px solid #ccc;border-radius:6px;padding:.8em 1.2em}"
                  ".card b{font-size:1.6em;display:block}table{border-collapse:collapse;margin:1em 0;font-size:.9em}"
                  "td,th{border:1px solid #ddd;padding:3px 6px;vertical-align:top}.ok{background:#d4f7d4}.fail{background:#f9c9c9}"
                  ".crash{background:#e39b9b}.timeout{background:#f7e3a1}.error{background:#f2c6e8}.skip{background:#eee;color:#777}code{font-size:.85em}"
                  "</style></head><body>\n";
  h += fmt::format("<h1>apr-qa: {}</h1>\n", html_escape(in.model_id));
  if (!in.playbook.empty()) h += fmt::format("<p>Playbook <code>{}</code></p>\n", html_escape(in.playbook));
  const auto& v = in.verdict;
  std::string not_measured;
  for (const auto& c : v.not_measured) not_measured += (not_measured.empty() ? "" : ", ") + c;
  h += fmt::format("<p class=\"headline\"><b>{}</b></p>\n", html_escape(headline(v)));
  h += "<div class=\"cards\">";
  h += fmt::format("<div class=\"card {}\">Verdict<b>{}</b>{}</div>", v.certified() ? "ok" : (v.status == "PROVISIONAL" ? "timeout" : "fail"),
                   html_escape(v.status), v.tier.empty() ? std::string("tier not given") : "tier " + html_escape(v.tier));
  h += fmt::format("<div class=\"card\">Score<b>{}/{}</b>grade {} · measured categories only</div>", v.score, v.max_score, html_escape(v.grade));
  h += fmt::format("<div class=\"card\">Coverage<b>{}/{}</b>planned gates measured</div>", v.measured, v.planned);
  h += fmt::format("<div class=\"card\">Entries<b>{}</b>{} passed · {} failed · {} error · {} timeout · {} crashed · {} skipped</div>",
                   in.evidence.size(), v.passed, v.failed, v.errors, v.timeouts, v.crashes, v.skipped);
  h += "</div>\n";
  if (!v.reasons.empty()) {
    h += "<ul>";
    for (const auto& r : v.reasons) h += "<li>" + html_escape(r) + "</li>";
    h += "</ul>\n";
  }
  h += "<h2>Categories</h2><table><tr><th>Category</th><th>Score</th><th>Max</th><th>Passed/Counted</th><th>Skipped</th></tr>";
  for (const auto& c : v.categories) {
    if (c.measured())
      h += fmt::format("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}/{}</td><td>{}</td></tr>", c.name, c.score, c.max, c.passed, c.counted, c.skipped);
    else
      h += fmt::format("<tr class=\"skip\"><td>{}</td><td>not measured</td><td>—</td><td>0/0</td><td>{}</td></tr>", c.name, c.skipped);
  }
  h += "</table>\n";
  if (!not_measured.empty()) h += "<p>Not measured (excluded from the score): " + html_escape(not_measured) + "</p>\n";
  h += history_html(in.history);

  // Gate × (format, backend) matrix.
  std::vector<std::string> gates;
  std::set<std::pair<std::string, std::string>> cols;
  std::map<std::pair<std::string, std::pair<std::string, std::string>>, std::pair<Outcome, int>> cell;
  for (const auto& e : in.evidence) {
    if (std::find(gates.begin(), gates.end(), e.gate_id) == gates.end()) gates.push_back(e.gate_id);
    auto col = std::make_pair(e.scenario.format, e.scenario.backend);
    cols.insert(col);
    auto key = std::make_pair(e.gate_id, col);
    auto it = cell.find(key);
    if (it == cell.end()) cell[key] = {e.outcome, 1};
    else {
      if (rank(e.outcome) > rank(it->second.first)) it->second.first = e.outcome;
      ++it->second.second;
    }
  }
  h += "<h2>Gate × format × backend</h2><table><tr><th>Gate</th>";
  for (const auto& c : cols) h += fmt::format("<th>{}<br>{}</th>", html_escape(c.first), html_escape(c.second));
  h += "</tr>\n";
  for (const auto& g : gates) {
    h += "<tr><td>" + html_escape(g) + "</td>";
    for (const auto& c : cols) {
      auto it = cell.find({g, c});
      if (it == cell.end()) h += "<td></td>";
      else h += fmt::format("<td class=\"{}\">{}{}</td>", css_class(it->second.first), to_string(it->second.first),
                            it->second.second > 1 ? fmt::format(" ×{}", it->second.second) : "");
    }
    h += "</tr>\n";
  }
  h += "</table>\n";

  // Throughput chart: median tokens/s per (format, backend) from evidence metrics.
  std::map<std::string, std::vector<double>> tps;
  for (const auto& e : in.evidence)
    if (e.metrics.tokens_per_second && *e.metrics.tokens_per_second > 0)
      tps[e.scenario.format + "/" + e.scenario.backend].push_back(*e.metrics.tokens_per_second);
  h += "<h2>Throughput (tokens/s, median)</h2>\n";
  if (tps.empty()) {
    h += "<p>No throughput was measured in this run.</p>\n";
  } else {
    double maxv = 0;
    std::vector<std::pair<std::string, double>> bars;
    for (auto& [k, v] : tps) {
      std::sort(v.begin(), v.end());
      bars.emplace_back(k, v[v.size() / 2]);
      maxv = std::max(maxv, v[v.size() / 2]);
    }
    int H = 30 * static_cast<int>(bars.size()) + 10;
    h += fmt::format("<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"620\" height=\"{}\" role=\"img\">", H);
    for (std::size_t i = 0; i < bars.size(); ++i) {
      double w = maxv > 0 ? 400.0 * bars[i].second / maxv : 0;
      int y = 5 + 30 * static_cast<int>(i);
      h += fmt::format("<text x=\"0\" y=\"{}\" font-size=\"12\">{}</text><rect x=\"150\" y=\"{}\" width=\"{:.1f}\" height=\"20\" fill=\"#4a7\"/>"
                       "<text x=\"{:.1f}\" y=\"{}\" font-size=\"12\">{:.2f}</text>",
                       y + 15, html_escape(bars[i].first), y, w, 155 + w, y + 15, bars[i].second);
    }
    h += "</svg>\n";
  }
  if (!in.seconds_by_kind.empty()) {
    h += "<h2>Worker time by node kind</h2><table><tr><th>Kind</th><th>Seconds</th></tr>";
    for (const auto& [k, v] : in.seconds_by_kind) h += fmt::format("<tr><td>{}</td><td>{:.2f}</td></tr>", html_escape(k), v);
    h += "</table>\n";
  }
  // Evidence, failures first.
  std::vector<const Evidence*> order;
  for (const auto& e : in.evidence) if (is_failure(e.outcome)) order.push_back(&e);
  for (const auto& e : in.evidence) if (!is_failure(e.outcome)) order.push_back(&e);
  h += "<h2>Evidence</h2><table><tr><th>Gate</th><th>Outcome</th><th>Scenario</th><th>Reason</th><th>Measurements</th><th>Artifacts</th></tr>\n";
  for (const auto* e : order) {
    std::string ms, arts;
    for (const auto& mm : e->measurements) {
      ms += fmt::format("<code>{}</code> = {}", html_escape(mm.name), format_number(mm.value));
      if (mm.threshold) ms += fmt::format(" ({} {})", html_escape(to_string(mm.comparator)), format_number(*mm.threshold));
      ms += "<br>";
    }
    for (const auto& a : e->artifacts) arts += fmt::format("<code>{}</code> {} B<br>", html_escape(a.path), a.bytes);
    h += fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}/{}/{}</td><td>{}</td><td>{}</td><td>{}</td></tr>\n", css_class(e->outcome),
                     html_escape(e->gate_id), to_string(e->outcome), html_escape(e->scenario.modality), html_escape(e->scenario.backend),
                     html_escape(e->scenario.format), html_escape(e->reason), ms, arts);
  }
  h += "</table>\n";
  // The anchor's MQS, for compatibility only: not the verdict.
  h += fmt::format("<h2>Anchor MQS (compatibility)</h2>\n<p>The anchor's formula, kept for its readers (mqs.json <code>anchor_mqs</code>); "
                   "not the verdict: it gives an empty category its maximum. Raw {} / 1000, normalized {:.1f}, grade {}; "
                   "anchor certification {} ({} tier, score {}).</p>\n",
                   m.raw_score, m.normalized_score, html_escape(m.grade), html_escape(in.cert.status), html_escape(in.cert.tier), in.cert.score);
  h += "<table><tr><th>Gateway</th><th>Passed</th><th>Reason</th></tr>";
  for (const auto& g : m.gateways)
    h += fmt::format("<tr class=\"{}\"><td>{}</td><td>{}</td><td>{}</td></tr>", g.passed ? "ok" : "fail", g.id, g.passed ? "yes" : "no", html_escape(g.failure_reason));
  h += "</table>\n</body></html>\n";
  return h;
}

}  // namespace apr::qa
