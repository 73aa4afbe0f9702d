#include "qa/worker_result.hpp"

#include <signal.h>

#include <filesystem>

#include "qa/judge.hpp"

namespace apr::qa {

using nlohmann::json;

namespace {

// The worker's throughput and memory figures, copied into the evidence (and kept whole in details).
void copy_metrics(const json& mt, Evidence& e) {
  if (!mt.is_object()) return;
  auto number = [&](const char* k) { return mt.contains(k) && mt[k].is_number(); };
  if (number("tokens_per_second")) e.metrics.tokens_per_second = mt["tokens_per_second"].get<double>();
  if (number("time_to_first_token_ms")) e.metrics.time_to_first_token_ms = mt["time_to_first_token_ms"].get<double>();
  if (number("total_tokens")) e.metrics.total_tokens = mt["total_tokens"].get<std::int64_t>();
  if (number("memory_peak_mb")) e.metrics.memory_peak_mb = mt["memory_peak_mb"].get<double>();
  e.details = mt;
}

}  // namespace

NodeJudgement judge_worker_result(const Node& n, const json& res, const json& dep_artifacts,
                                  const std::string& failed_gate, const EvidenceFor& evidence_for) {
  NodeJudgement r;
  std::vector<Measurement> ms;
  if (res.contains("measurements"))
    for (const auto& m : res["measurements"]) ms.push_back(measurement_from_json(m));
  r.artifacts = res.value("artifacts", json::array());
  std::vector<ArtifactRef> arts;
  for (const auto& a : dep_artifacts) arts.push_back(artifact_from_json(a));
  for (const auto& a : r.artifacts) arts.push_back(artifact_from_json(a));
  if (n.gates.empty()) {
    // Intermediate node: succeeded iff it produced its artifact.
    std::error_code ec;
    const bool ok = !n.artifact.empty() && std::filesystem::is_regular_file(n.artifact, ec) &&
                    std::filesystem::file_size(n.artifact, ec) > 0;
    r.outcome = ok ? Outcome::corroborated : Outcome::falsified;
    r.reason = ok ? res.value("reason", "produced " + n.artifact) : "no artifact file at " + n.artifact;
    if (!ok) {
      Evidence e = evidence_for(n, failed_gate);
      e.outcome = Outcome::falsified;
      e.reason = r.reason;
      r.evidence.push_back(std::move(e));
    }
    return r;
  }
  const std::string note = res.contains("note") && res["note"].is_string() ? res["note"].get<std::string>() : "";
  Outcome worst = Outcome::corroborated;
  for (const auto& g : n.gates) {
    auto rq = n.require.find(g);
    Verdict v = rq == n.require.end() ? Verdict{Outcome::falsified, "gate has no bound requirements"}
                                      : judge_gate(ms, rq->second);
    if (is_failure(v.outcome) && !note.empty()) v.reason += "; " + note;
    Evidence e = evidence_for(n, g);
    e.outcome = v.outcome;
    e.reason = v.reason;
    e.output = res.value("output", "");
    e.measurements = rq == n.require.end() ? ms : bind_requirements(ms, rq->second);
    e.artifacts = arts;
    if (res.contains("metrics")) copy_metrics(res["metrics"], e);
    if (is_failure(v.outcome)) worst = Outcome::falsified;
    r.evidence.push_back(std::move(e));
  }
  r.outcome = worst;
  r.reason = r.evidence.empty() ? "" : r.evidence.front().reason;
  for (const auto& e : r.evidence)
    if (is_failure(e.outcome)) {
      r.reason = e.gate_id + ": " + e.reason;
      break;
    }
  return r;
}

const char* signal_name(int s) {
  switch (s) {
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT";
    case SIGKILL: return "SIGKILL";
    case SIGBUS: return "SIGBUS";
    case SIGFPE: return "SIGFPE";
    case SIGILL: return "SIGILL";
    case SIGTERM: return "SIGTERM";
    default: return "signal";
  }
}

std::string last_line(const std::string& s) {
  std::string t = s;
  while (!t.empty() && (t.back() == '\n' || t.back() == '\r')) t.pop_back();
  auto p = t.rfind('\n');
  return p == std::string::npos ? t : t.substr(p + 1);
}

}  // namespace apr::qa
