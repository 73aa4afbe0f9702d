#include <cmath>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "qa/report.hpp"

namespace apr::qa {

std::string xml_escape(const std::string& s) {
  std::string o;
  o.reserve(s.size());
  for (unsigned char c : s) {
    switch (c) {
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '&': o += "&amp;"; break;
      case '"': o += "&quot;"; break;
      case '\'': o += "&apos;"; break;
      default:
        if (c < 0x20 && c != '\n' && c != '\t' && c != '\r') o += fmt::format("&#x{:X};", 0xFFFD);
        else o += static_cast<char>(c);
    }
  }
  return o;
}

std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  return fmt::format("{}", v);
}

static std::string measurements_text(const Evidence& e) {
  std::string t;
  for (const auto& m : e.measurements) {
    t += fmt::format("{} = {}", m.name, format_number(m.value));
    if (m.threshold) t += fmt::format(" (threshold {} {})", to_string(m.comparator), format_number(*m.threshold));
    if (!m.unit.empty()) t += " " + m.unit;
    t += "\n";
  }
  return t;
}

std::string junit_xml(const ReportInput& in) {
  int failures = 0, errors = 0, skipped = 0;
  double total_s = 0;
  for (const auto& e : in.evidence) {
    failures += e.outcome == Outcome::falsified;
    errors += is_unevaluated(e.outcome);
    skipped += e.outcome == Outcome::skipped;
    total_s += e.metrics.duration_ms / 1000.0;
  }
  std::string x = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
  x += fmt::format("<testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"{}\" time=\"{:.3f}\">\n",
                   xml_escape(in.model_id), in.evidence.size(), failures, errors, skipped, total_s);
  x += "  <properties>\n";
  auto prop = [&x](const std::string& name, const std::string& value) {
    x += fmt::format("    <property name=\"{}\" value=\"{}\"/>\n", name, xml_escape(value));
  };
  const auto& v = in.verdict;
  std::string not_measured;
  for (const auto& c : v.not_measured) not_measured += (not_measured.empty() ? "" : ",") + c;
  prop("verdict.status", v.status);
  prop("verdict.tier", v.tier);
  prop("verdict.score", std::to_string(v.score));
  prop("verdict.max_score", std::to_string(v.max_score));
  prop("verdict.grade", v.grade);
  prop("verdict.coverage", fmt::format("{}/{}", v.measured, v.planned));
  prop("verdict.not_measured", not_measured);
  prop("verdict.headline", headline(v));
  // The anchor's MQS, for compatibility only (mqs.json "anchor_mqs").
  prop("anchor_mqs.raw_score", std::to_string(in.mqs.raw_score));
  prop("anchor_mqs.normalized_score", fmt::format("{:.2f}", in.mqs.normalized_score));
  prop("anchor_mqs.grade", in.mqs.grade);
  prop("anchor_mqs.gateways_passed", in.mqs.gateways_passed ? "true" : "false");
  prop("anchor_mqs.certification.status", in.cert.status);
  x += "  </properties>\n";
  for (const auto& e : in.evidence) {
    x += fmt::format("  <testcase name=\"{}_{}_{}\" classname=\"{}.{}\" time=\"{:.3f}\"", xml_escape(e.scenario.modality),
                     xml_escape(e.scenario.backend), xml_escape(e.gate_id), xml_escape(e.category), xml_escape(e.scenario.format),
                     e.metrics.duration_ms / 1000.0);
    std::string body = xml_escape(e.reason + "\n" + measurements_text(e));
    switch (e.outcome) {
      case Outcome::corroborated: x += "/>\n"; continue;
      case Outcome::falsified:
        x += fmt::format(">\n    <failure type=\"AssertionError\" message=\"{}\">{}</failure>\n", xml_escape(e.reason), body);
        break;
      case Outcome::crashed:
        x += fmt::format(">\n    <error type=\"CrashError\" message=\"{}\">{}</error>\n", xml_escape(e.reason), body);
        break;
      case Outcome::timeout:
        x += fmt::format(">\n    <error type=\"TimeoutError\" message=\"{}\">{}</error>\n", xml_escape(e.reason), body);
        break;
      case Outcome::error:
        x += fmt::format(">\n    <error type=\"EvaluationError\" message=\"{}\">{}</error>\n", xml_escape(e.reason), body);
        break;
      case Outcome::skipped: x += fmt::format(">\n    <skipped message=\"{}\"/>\n", xml_escape(e.reason)); break;
    }
    if (e.stderr_text && !e.stderr_text->empty())
      x += "    <system-err>" + xml_escape(*e.stderr_text) + "</system-err>\n";
    x += "  </testcase>\n";
  }
  x += "</testsuite>\n";
  return x;
}

void write_reports(const std::filesystem::path& dir, const ReportInput& in) {
  std::filesystem::create_directories(dir);
  write_file_atomic(dir / "mqs.json", mqs_file_json(in.model_id, in.verdict, in.mqs, in.cert).dump(2) + "\n");
  write_file_atomic(dir / "junit.xml", junit_xml(in));
  write_file_atomic(dir / "summary.md", markdown_summary(in));
  write_file_atomic(dir / "report.html", html_report(in));
}

}  // namespace apr::qa
