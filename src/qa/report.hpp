// apr-qa qa: reports from evidence — JUnit XML (anchor-spec §7 layout), a Markdown summary
// (failures first, every measured number) and a self-contained HTML page (inline CSS and SVG,
// no external asset) with a gate × format × backend matrix and a throughput chart. Each leads with
// the one verdict (qa/verdict.hpp); the anchor's MQS appears only in a section (and JUnit
// properties) labelled as the anchor's, for compatibility.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "qa/evidence.hpp"
#include "qa/mqs.hpp"
#include "qa/verdict.hpp"

namespace apr::qa {

struct ReportInput {
  std::string model_id;       // "org/name"
  std::string playbook;       // playbook name (may be empty)
  std::vector<Evidence> evidence;
  RunVerdict verdict;  // the headline
  Mqs mqs;             // the anchor's MQS and certification (compatibility)
  Certification cert;
  std::map<std::string, double> seconds_by_kind;  // optional timing split
  // Certification history (history.jsonl lines, oldest first): when given, report.html charts
  // verdict, score, throughput per format/backend and perplexity over time.
  std::vector<nlohmann::json> history;
};

std::string junit_xml(const ReportInput& in);
std::string markdown_summary(const ReportInput& in);
std::string html_report(const ReportInput& in);
// The history section of report.html (empty string without history): charts and a table.
std::string history_html(const std::vector<nlohmann::json>& history);

// Writes junit.xml, summary.md, report.html and mqs.json (mqs_file_json) into `dir` (atomically each).
void write_reports(const std::filesystem::path& dir, const ReportInput& in);

std::string xml_escape(const std::string& s);
std::string html_escape(const std::string& s);
std::string format_number(double v);  // shortest faithful rendering ("0", "1e-06", "0.731")

}  // namespace apr::qa
