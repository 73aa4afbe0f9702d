#include "cert/compare.hpp"

#include <cmath>

#include <fmt/format.h>

#include "qa/report.hpp"

namespace apr::cert {

using qa::Evidence;
using qa::Outcome;

std::size_t Comparison::regressions() const {
  std::size_t n = 0;
  for (const auto& c : changes) n += c.regression;
  return n;
}
std::size_t Comparison::improvements() const {
  std::size_t n = 0;
  for (const auto& c : changes) n += c.improvement;
  return n;
}

namespace {

std::string scenario_label(const Evidence& e) {
  return fmt::format("{}/{}/{} seed {}", e.scenario.modality, e.scenario.backend, e.scenario.format, e.scenario.seed);
}

// gate|scenario id|repeat -> entry
std::map<std::string, const Evidence*> index_entries(const std::vector<Evidence>& v, std::vector<std::string>& order) {
  std::map<std::string, const Evidence*> out;
  std::map<std::string, int> seen;
  for (const auto& e : v) {
    std::string base = e.gate_id + "|" + e.scenario.id;
    std::string key = base + "|" + std::to_string(seen[base]++);
    out[key] = &e;
    order.push_back(key);
  }
  return out;
}

bool measured(Outcome o) { return o == Outcome::corroborated || o == Outcome::falsified; }

void drift(const Evidence& o, const Evidence& n, const BandLookup& catalogue_band, const std::map<std::string, double>& overrides,
           std::vector<Change>& out) {
  for (const auto& nm : n.measurements) {
    if (!nm.threshold || std::isnan(nm.value)) continue;  // only judged, measured values
    const qa::Measurement* om = nullptr;
    for (const auto& m : o.measurements)
      if (m.name == nm.name) om = &m;
    if (!om || std::isnan(om->value)) continue;
    double ov = om->value, nv = nm.value;
    if (ov == nv) continue;
    double band = kDefaultBand;
    if (auto it = overrides.find(nm.name); it != overrides.end()) band = it->second;
    else if (auto b = catalogue_band ? catalogue_band(n.gate_id, nm.name) : std::nullopt) band = *b;
    bool upper = nm.comparator == qa::Comparator::le || nm.comparator == qa::Comparator::lt;
    bool lower = nm.comparator == qa::Comparator::ge || nm.comparator == qa::Comparator::gt;
    double worse = upper ? nv - ov : lower ? ov - nv : std::fabs(nv - ov);  // > 0: the wrong way
    double rel = std::fabs(ov) > 0 ? worse / std::fabs(ov) : (worse > 0 ? INFINITY : 0);
    Change c;
    c.kind = "drift";
    c.gate_id = n.gate_id;
    c.scenario = scenario_label(n);
    c.old_outcome = qa::to_string(o.outcome);
    c.new_outcome = qa::to_string(n.outcome);
    c.measurement = nm.name;
    c.old_value = ov;
    c.new_value = nv;
    c.band = band;
    c.comparator = qa::to_string(nm.comparator);
    std::string what = fmt::format("{} [{}] {}: {} -> {} ({} {})", c.gate_id, c.scenario, nm.name, qa::format_number(ov),
                                   qa::format_number(nv), c.comparator, qa::format_number(*nm.threshold));
    if (ov == 0 && upper) {
      c.regression = true;
      c.text = what + ": was exactly 0, is no longer 0";
    } else if (worse > 0 && rel > band) {
      c.regression = true;
      c.text = what + fmt::format(": {:.3g}% the wrong way, beyond its band of {:.3g}%", 100 * rel, 100 * band);
    } else if (worse < 0 && -worse / std::max(std::fabs(ov), 1e-300) > band) {
      c.improvement = true;
      c.text = what + ": better";
    } else {
      continue;  // within the noise band
    }
    out.push_back(std::move(c));
  }
}

}  // namespace

Comparison compare_evidence(const std::vector<Evidence>& old_entries, const std::vector<Evidence>& new_entries,
                            const BandLookup& catalogue_band, const std::map<std::string, double>& overrides) {
  Comparison cmp;
  cmp.old_entries = old_entries.size();
  cmp.new_entries = new_entries.size();
  std::vector<std::string> old_order, new_order;
  auto olds = index_entries(old_entries, old_order);
  auto news = index_entries(new_entries, new_order);
  for (const auto& key : old_order) {
    const Evidence& o = *olds[key];
    auto it = news.find(key);
    if (it != news.end()) continue;
    Change c;
    c.kind = "removed";
    c.gate_id = o.gate_id;
    c.scenario = scenario_label(o);
    c.old_outcome = qa::to_string(o.outcome);
    c.regression = o.outcome == Outcome::corroborated;
    c.text = fmt::format("{} [{}] was {} and is gone from the new record{}", c.gate_id, c.scenario, c.old_outcome,
                         c.regression ? " (coverage lost)" : "");
    cmp.changes.push_back(std::move(c));
  }
  for (const auto& key : new_order) {
    const Evidence& n = *news[key];
    auto it = olds.find(key);
    Change c;
    c.gate_id = n.gate_id;
    c.scenario = scenario_label(n);
    c.new_outcome = qa::to_string(n.outcome);
    if (it == olds.end()) {
      c.kind = "added";
      c.regression = qa::is_failure(n.outcome);
      c.text = fmt::format("{} [{}] is new: {}", c.gate_id, c.scenario, c.new_outcome);
      cmp.changes.push_back(std::move(c));
      continue;
    }
    const Evidence& o = *it->second;
    if (o.outcome != n.outcome) {
      c.kind = "verdict";
      c.old_outcome = qa::to_string(o.outcome);
      bool was_pass = o.outcome == Outcome::corroborated, is_pass = n.outcome == Outcome::corroborated;
      c.regression = (was_pass && !is_pass) || (qa::is_failure(n.outcome) && !qa::is_failure(o.outcome));
      c.improvement = !was_pass && is_pass;
      c.text = fmt::format("{} [{}] {} -> {}", c.gate_id, c.scenario, c.old_outcome, c.new_outcome);
      if (qa::is_failure(n.outcome) && !n.reason.empty()) c.text += ": " + n.reason.substr(0, 200);
      cmp.changes.push_back(std::move(c));
    }
    if (measured(o.outcome) && measured(n.outcome)) drift(o, n, catalogue_band, overrides, cmp.changes);
  }
  return cmp;
}

Comparison unmatched_record(const std::string& label, bool in_old) {
  Comparison c;
  c.label = label;
  Change ch;
  ch.kind = in_old ? "removed" : "added";
  ch.gate_id = "(record)";
  ch.regression = in_old;
  ch.text = in_old ? "the record is gone from NEW (certification stopped)" : "a new record (no previous one to compare with)";
  c.changes.push_back(std::move(ch));
  return c;
}

std::string comparisons_markdown(const std::vector<Comparison>& cs) {
  std::size_t reg = 0, imp = 0;
  for (const auto& c : cs) reg += c.regressions(), imp += c.improvements();
  std::string s = "# apr-qa compare\n\n";
  for (const auto& c : cs) {
    s += fmt::format("## {}\n\n", c.label);
    if (c.changes.empty()) {
      s += fmt::format("No change ({} entries).\n\n", c.new_entries);
      continue;
    }
    auto section = [&](const char* title, auto pred) {
      std::string body;
      for (const auto& ch : c.changes)
        if (pred(ch)) body += "- " + ch.text + "\n";
      if (!body.empty()) s += fmt::format("**{}**\n\n{}\n", title, body);
    };
    section("Regressions", [](const Change& ch) { return ch.regression; });
    section("Improvements", [](const Change& ch) { return ch.improvement; });
    section("Other changes", [](const Change& ch) { return !ch.regression && !ch.improvement; });
  }
  s += fmt::format("{}: {} regression{}, {} improvement{} over {} record{}\n", reg ? "REGRESSION" : "OK", reg, reg == 1 ? "" : "s", imp,
                   imp == 1 ? "" : "s", cs.size(), cs.size() == 1 ? "" : "s");
  return s;
}

nlohmann::json comparisons_json(const std::vector<Comparison>& cs) {
  nlohmann::json out{{"records", nlohmann::json::array()}, {"regressions", 0}, {"improvements", 0}};
  std::size_t reg = 0, imp = 0;
  for (const auto& c : cs) {
    nlohmann::json changes = nlohmann::json::array();
    for (const auto& ch : c.changes) {
      nlohmann::json j{{"kind", ch.kind}, {"gate_id", ch.gate_id}, {"scenario", ch.scenario}, {"old_outcome", ch.old_outcome},
                       {"new_outcome", ch.new_outcome}, {"regression", ch.regression}, {"improvement", ch.improvement},
                       {"text", ch.text}};
      if (ch.kind == "drift")
        j.update({{"measurement", ch.measurement}, {"old", ch.old_value}, {"new", ch.new_value}, {"band", ch.band},
                  {"comparator", ch.comparator}});
      changes.push_back(std::move(j));
    }
    out["records"].push_back({{"label", c.label}, {"old_entries", c.old_entries}, {"new_entries", c.new_entries},
                              {"regressions", c.regressions()}, {"improvements", c.improvements()}, {"changes", changes}});
    reg += c.regressions();
    imp += c.improvements();
  }
  out["regressions"] = reg;
  out["improvements"] = imp;
  return out;
}

}  // namespace apr::cert
