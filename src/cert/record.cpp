#include "cert/record.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/build_info.hpp"
#include "core/error.hpp"
#include "core/file_read.hpp"
#include "qa/mqs.hpp"
#include "qa/report.hpp"
#include "qa/verdict.hpp"

namespace apr::cert {

namespace fs = std::filesystem;
using qa::Evidence;

fs::path record_dir(const fs::path& root, const std::string& model_id, const std::string& tier) {
  return root / model_id / tier;  // model_id is "org/name": two folders
}

static double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

KeyNumbers key_numbers(const std::vector<Evidence>& entries) {
  std::map<std::string, std::vector<double>> tps;
  KeyNumbers k;
  for (const auto& e : entries) {
    if (e.outcome != qa::Outcome::corroborated && e.outcome != qa::Outcome::falsified) continue;
    for (const auto& m : e.measurements) {
      if (std::isnan(m.value)) continue;
      if (m.name == "tokens_per_second") tps[e.scenario.format + "/" + e.scenario.backend].push_back(m.value);
      if (m.name == "perplexity") k.perplexity[e.scenario.format] = m.value;
      if (m.name == "bits_per_byte") k.bits_per_byte[e.scenario.format] = m.value;
    }
  }
  for (auto& [key, v] : tps) k.throughput[key] = median(v);
  return k;
}

nlohmann::json history_entry(const RecordContext& ctx, const std::vector<Evidence>& entries) {
  const auto& m = *ctx.model;
  auto v = qa::compute_verdict(entries, ctx.tier);
  auto mqs = qa::compute_mqs(m.id, entries);
  auto cert = qa::certify(mqs, ctx.tier);
  // Per gate: the worst outcome over its entries ("Falsified" beats "Corroborated", …).
  auto rank = [](qa::Outcome o) {
    switch (o) {
      case qa::Outcome::corroborated: return 0;
      case qa::Outcome::skipped: return 1;
      case qa::Outcome::falsified: return 2;
      case qa::Outcome::timeout: return 3;
      case qa::Outcome::error: return 4;
      case qa::Outcome::crashed: return 5;
    }
    return 5;
  };
  std::map<std::string, qa::Outcome> gates;
  for (const auto& e : entries) {
    auto it = gates.find(e.gate_id);
    if (it == gates.end() || rank(e.outcome) > rank(it->second)) gates[e.gate_id] = e.outcome;
  }
  nlohmann::json gj = nlohmann::json::object();
  for (const auto& [g, o] : gates) gj[g] = qa::to_string(o);
  // Judged measurements, keyed "GATE [modality/backend/format] name" (the first entry of a key).
  nlohmann::json meas = nlohmann::json::object();
  for (const auto& e : entries)
    for (const auto& x : e.measurements) {
      if (!x.threshold || std::isnan(x.value)) continue;
      std::string key = fmt::format("{} [{}/{}/{}] {}", e.gate_id, e.scenario.modality, e.scenario.backend, e.scenario.format, x.name);
      if (!meas.contains(key)) meas[key] = x.value;
    }
  auto k = key_numbers(entries);
  auto host = qa::HostInfo::current();
  return nlohmann::json{
      {"date", ctx.date},
      {"model", m.id},
      {"tier", ctx.tier},
      {"apr_qa_version", build_version()},
      {"apr_qa_git", build_git_hash()},
      {"host", {{"hostname", host.hostname}, {"cpu", host.cpu}}},
      {"source", m.source.describe()},
      {"synthetic", m.source.synthetic()},
      {"model_sha256", ctx.model_sha256},
      {"sha256_verified", ctx.sha256_verified},
      {"verdict", v.status},
      {"score", v.score},
      {"max_score", v.max_score},
      {"grade", v.grade},
      {"coverage", {{"measured", v.measured}, {"planned", v.planned}}},
      {"counts", {{"passed", v.passed}, {"failed", v.failed}, {"errors", v.errors}, {"timeouts", v.timeouts},
                  {"crashes", v.crashes}, {"skipped", v.skipped}}},
      {"anchor", {{"raw_score", mqs.raw_score}, {"normalized_score", mqs.normalized_score}, {"grade", mqs.grade},
                  {"certification", cert.status}, {"certification_score", cert.score}}},
      {"gates", gj},
      {"throughput_tps", k.throughput},
      {"perplexity", k.perplexity},
      {"bits_per_byte", k.bits_per_byte},
      {"measurements", meas}};
}

std::vector<nlohmann::json> read_history(const fs::path& file) {
  std::vector<nlohmann::json> out;
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  std::string text = read_regular_file(file, "a certification history (history.jsonl)", 64u << 20);
  std::size_t line = 0, pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    std::string l = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
    pos = nl == std::string::npos ? text.size() : nl + 1;
    ++line;
    if (l.empty()) continue;
    auto j = nlohmann::json::parse(l, nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("date"))
      throw parse_error(fmt::format("line {}: expected one JSON object with a \"date\" per line", line)).at_path(file.string());
    out.push_back(std::move(j));
  }
  return out;
}

static qa::ReportInput report_input(const std::string& model_id, const std::string& tier, const std::vector<Evidence>& entries,
                                    const std::vector<nlohmann::json>& history) {
  qa::ReportInput ri;
  ri.model_id = model_id;
  ri.playbook = tier;
  ri.evidence = entries;
  ri.verdict = qa::compute_verdict(entries, tier);
  ri.mqs = qa::compute_mqs(model_id, entries);
  ri.cert = qa::certify(ri.mqs, tier);
  ri.history = history;
  return ri;
}

static std::string mqs_text(const qa::ReportInput& ri) {
  return qa::mqs_file_json(ri.model_id, ri.verdict, ri.mqs, ri.cert).dump(2) + "\n";
}

void write_derived(const fs::path& dir, const std::string& model_id, const std::string& tier, const std::vector<Evidence>& entries,
                   const std::vector<nlohmann::json>& history) {
  qa::write_reports(dir, report_input(model_id, tier, entries, history));
}

fs::path write_record(const fs::path& root, const RecordContext& ctx, const fs::path& run_evidence) {
  const auto& m = *ctx.model;
  fs::path final_dir = record_dir(root, m.id, ctx.tier);
  fs::create_directories(final_dir.parent_path());
  fs::path tmp = final_dir.parent_path() / fmt::format(".{}.tmp-{}", ctx.tier, getpid());
  fs::path old = final_dir.parent_path() / fmt::format(".{}.old-{}", ctx.tier, getpid());
  fs::remove_all(tmp);
  fs::create_directories(tmp);
  auto entries = qa::read_evidence_file(run_evidence);
  auto history = read_history(final_dir / "history.jsonl");
  history.push_back(history_entry(ctx, entries));
  qa::write_evidence_file(tmp / "evidence.json", entries);
  std::string hist;
  for (const auto& h : history) hist += h.dump() + "\n";
  write_file_atomic(tmp / "history.jsonl", hist);
  write_derived(tmp, m.id, ctx.tier, entries, history);
  std::error_code ec;
  bool had_old = fs::exists(final_dir, ec);
  if (had_old) fs::rename(final_dir, old);
  fs::rename(tmp, final_dir);
  if (had_old) fs::remove_all(old, ec);
  return final_dir;
}

namespace {

struct RecordView {
  std::string tier;
  fs::path dir;
  std::vector<Evidence> entries;
  std::vector<nlohmann::json> history;
};

std::vector<RecordView> records_of(const RegisteredModel& m, const fs::path& root) {
  std::vector<RecordView> out;
  for (const auto& t : known_tiers()) {
    fs::path d = record_dir(root, m.id, t);
    std::error_code ec;
    if (!fs::is_regular_file(d / "evidence.json", ec)) continue;
    out.push_back({t, d, qa::read_evidence_file(d / "evidence.json"), read_history(d / "history.jsonl")});
  }
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s) q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string csv_status(const std::string& verdict) { return verdict == "NOT CERTIFIED" ? "BLOCKED" : verdict; }

std::string date_of(const std::vector<nlohmann::json>& history) {
  if (history.empty()) return "";
  return history.back().value("date", "").substr(0, 10);
}

}  // namespace

std::string models_csv(const Registry& reg, const fs::path& root) {
  std::string s =
      "model_id,family,parameters,size_category,status,mqs_score,grade,certified_tier,last_certified,g1,g2,g3,g4,"
      "tps_gguf_cpu,tps_gguf_gpu,tps_apr_cpu,tps_apr_gpu,tps_st_cpu,tps_st_gpu,provenance_verified\n";
  for (const auto& m : reg.models) {
    auto recs = records_of(m, root);
    if (recs.empty()) continue;
    const auto& r = recs.back();  // the highest tier recorded
    auto v = qa::compute_verdict(r.entries, r.tier);
    auto mqs = qa::compute_mqs(m.id, r.entries);
    auto k = key_numbers(r.entries);
    auto tps = [&](const char* key) {
      auto it = k.throughput.find(key);
      return it == k.throughput.end() ? std::string() : fmt::format("{:.1f}", it->second);
    };
    auto gw = [&](std::size_t i) {
      return i < mqs.gateways.size() ? std::string(mqs.gateways[i].passed ? "true" : "false") : std::string();
    };
    long score = v.max_score > 0 ? std::lround(1000.0 * v.score / v.max_score) : 0;
    std::string prov = m.source.synthetic() ? "synthetic" : (m.source.sha256.empty() ? "false" : "true");
    s += fmt::format("{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", csv_field(m.id), csv_field(m.family),
                     m.parameters, m.size_category, csv_status(v.status), score, v.grade, r.tier, date_of(r.history), gw(0), gw(1),
                     gw(2), gw(3), tps("gguf/cpu"), tps("gguf/gpu"), tps("apr/cpu"), tps("apr/gpu"), tps("safetensors/cpu"),
                     tps("safetensors/gpu"), prov);
  }
  return s;
}

std::string records_table(const Registry& reg, const fs::path& root) {
  std::string s =
      "| model | source | tier | verdict | score | grade | coverage | last certified |\n"
      "|---|---|---|---|---|---|---|---|\n";
  for (const auto& m : reg.models)
    for (const auto& r : records_of(m, root)) {
      auto v = qa::compute_verdict(r.entries, r.tier);
      std::string src = m.source.synthetic() ? "synthetic (" + m.source.describe() + ")" : m.source.describe();
      s += fmt::format("| [{}]({}/{}/summary.md) | {} | {} | {} | {}/{} | {} | {}/{} | {} |\n", m.id, m.id, r.tier, src, r.tier,
                       v.status, v.score, v.max_score, v.grade, v.measured, v.planned, date_of(r.history));
    }
  return s;
}

std::string with_table(const std::string& readme, const std::string& table) {
  auto b = readme.find(kTableBegin);
  auto e = b == std::string::npos ? std::string::npos : readme.find(kTableEnd, b);
  std::string block = std::string(kTableBegin) + "\n" + table + kTableEnd;
  if (b == std::string::npos || e == std::string::npos)
    return readme + (readme.empty() || readme.back() == '\n' ? "" : "\n") + "\n" + block + "\n";
  return readme.substr(0, b) + block + readme.substr(e + std::string(kTableEnd).size());
}

static std::string read_or_empty(const fs::path& p) {
  std::error_code ec;
  if (!fs::is_regular_file(p, ec)) return "";
  return read_regular_file(p, "a certification file", 64u << 20);
}

void write_index(const Registry& reg, const fs::path& root) {
  fs::create_directories(root);
  write_file_atomic(root / "models.csv", models_csv(reg, root));
  write_file_atomic(root / "README.md", with_table(read_or_empty(root / "README.md"), records_table(reg, root)));
}

std::vector<std::string> check_records(const Registry& reg, const fs::path& root) {
  std::vector<std::string> diffs;
  for (const auto& m : reg.models)
    for (const auto& r : records_of(m, root)) {
      std::string want = mqs_text(report_input(m.id, r.tier, r.entries, r.history));
      if (read_or_empty(r.dir / "mqs.json") != want)
        diffs.push_back((r.dir / "mqs.json").string() + ": differs from the mqs.json derived from evidence.json");
      if (r.history.empty()) diffs.push_back((r.dir / "history.jsonl").string() + ": missing or empty (a record has at least one line)");
    }
  if (read_or_empty(root / "models.csv") != models_csv(reg, root))
    diffs.push_back((root / "models.csv").string() + ": differs from the table derived from the records");
  std::string readme = read_or_empty(root / "README.md");
  if (readme != with_table(readme, records_table(reg, root)))
    diffs.push_back((root / "README.md").string() + ": the records table differs from the one derived from the records");
  return diffs;
}

}  // namespace apr::cert
