// apr-qa compare OLD NEW: verdict changes, appeared/disappeared gates and measurement drift between
// two records (cert/compare.hpp). Exit 1 on a regression.
#include <fmt/format.h>

#include "cert/compare.hpp"
#include "command.hpp"
#include "core/error.hpp"
#include "qa/evidence.hpp"
#include "qa/run.hpp"

namespace {

namespace fs = std::filesystem;

struct CompareArgs {
  std::string old_path, new_path, gates_dir;
  std::vector<std::string> bands;
  bool json = false;
};

// label -> evidence.json: a file, a record folder (holding evidence.json), or a certification
// folder (every <org>/<name>/<tier>/evidence.json below it).
std::map<std::string, fs::path> evidence_files(const std::string& arg) {
  std::error_code ec;
  fs::path p(arg);
  if (!fs::exists(p, ec)) throw apr::io_error("no such file or directory (expected an evidence.json, a record folder or a certification folder)").at_path(arg);
  if (fs::is_regular_file(p, ec)) return {{"evidence", p}};
  if (!fs::is_directory(p, ec)) throw apr::validation_error("expected an evidence.json file or a folder").at_path(arg);
  if (fs::is_regular_file(p / "evidence.json", ec)) return {{"record", p / "evidence.json"}};
  std::map<std::string, fs::path> out;
  for (auto it = fs::recursive_directory_iterator(p, fs::directory_options::skip_permission_denied, ec);
       it != fs::recursive_directory_iterator(); it.increment(ec)) {
    if (ec) break;
    if (it.depth() > 3) { it.disable_recursion_pending(); continue; }
    if (it->path().filename() != "evidence.json" || it.depth() != 3) continue;
    auto rel = it->path().parent_path().lexically_relative(p);  // org/name/tier
    auto parts = std::vector<std::string>(rel.begin(), rel.end());
    if (parts.size() != 3 || parts[2].empty() || parts[2][0] == '.') continue;  // temporary folders
    out[parts[0] + "/" + parts[1] + " " + parts[2]] = it->path();
  }
  if (out.empty())
    throw apr::validation_error("no evidence.json here, nor any <org>/<name>/<tier>/evidence.json below (expected an evidence file, a record folder or a certification folder)").at_path(arg);
  return out;
}

int compare(const CompareArgs& a) {
  std::map<std::string, double> overrides;
  for (const auto& b : a.bands) {
    auto eq = b.find('=');
    char* end = nullptr;
    double v = eq == std::string::npos ? -1 : std::strtod(b.c_str() + eq + 1, &end);
    if (eq == std::string::npos || eq == 0 || !end || *end != '\0' || !(v >= 0))
      throw apr::validation_error(fmt::format("--band '{}': expected MEASUREMENT=BAND with a band >= 0 (e.g. tokens_per_second=0.5)", b));
    overrides[b.substr(0, eq)] = v;
  }
  auto cat = apr::qa::load_catalogue(a.gates_dir.empty() ? std::nullopt : std::optional<std::string>(a.gates_dir));
  auto band = [&cat](const std::string& gate, const std::string& m) -> std::optional<double> {
    if (const auto* g = cat.find(gate))
      if (auto it = g->drift.find(m); it != g->drift.end()) return it->second;
    return std::nullopt;
  };
  auto olds = evidence_files(a.old_path), news = evidence_files(a.new_path);
  std::vector<apr::cert::Comparison> cs;
  if (olds.size() == 1 && news.size() == 1 && (olds.begin()->first == "evidence" || olds.begin()->first == "record" ||
                                               news.begin()->first == "evidence" || news.begin()->first == "record")) {
    auto c = apr::cert::compare_evidence(apr::qa::read_evidence_file(olds.begin()->second),
                                         apr::qa::read_evidence_file(news.begin()->second), band, overrides);
    c.label = fmt::format("{} -> {}", olds.begin()->second.string(), news.begin()->second.string());
    cs.push_back(std::move(c));
  } else {
    for (const auto& [label, path] : olds)
      if (!news.count(label)) cs.push_back(apr::cert::unmatched_record(label, true));
    for (const auto& [label, path] : news) {
      auto it = olds.find(label);
      if (it == olds.end()) {
        cs.push_back(apr::cert::unmatched_record(label, false));
        continue;
      }
      auto c = apr::cert::compare_evidence(apr::qa::read_evidence_file(it->second), apr::qa::read_evidence_file(path), band, overrides);
      c.label = label;
      cs.push_back(std::move(c));
    }
  }
  std::size_t reg = 0;
  for (const auto& c : cs) reg += c.regressions();
  if (a.json) std::printf("%s\n", apr::cert::comparisons_json(cs).dump(2).c_str());
  else std::fputs(apr::cert::comparisons_markdown(cs).c_str(), stdout);
  return reg ? apr::cli::kExitFailed : apr::cli::kExitOk;
}

const bool registered = apr::cli::register_command({
    "compare",
    "Compare two records (evidence files, record folders or certification folders): regressions exit 1",
    [](CLI::App& sub) -> apr::cli::RunFn {
      auto a = std::make_shared<CompareArgs>();
      sub.add_option("old", a->old_path, "The earlier record: evidence.json, a record folder or a certification folder")->required();
      sub.add_option("new", a->new_path, "The later record, of the same kind")->required();
      sub.add_flag("--json", a->json, "JSON instead of Markdown");
      sub.add_option("--band", a->bands,
                     "MEASUREMENT=BAND: the relative move in the worse direction tolerated for this measurement, over the "
                     "catalogue's `drift:` (repeatable; e.g. --band tokens_per_second=0.5)");
      sub.add_option("--gates-dir", a->gates_dir, "Take drift bands from the gate catalogue in this directory");
      sub.footer(
          "Entries are matched by gate and scenario. A regression: a passing entry that no longer passes (failed,\n"
          "skipped or gone), a new failure, or a judged measurement that drifted the wrong way — an exact 0 under a\n"
          "'<=' requirement that is no longer 0, or a worse value beyond its band (the gate's `drift:` in the\n"
          "catalogue, else 1%). Records present only in OLD are regressions. Exit: 0 no regression, 1 regression,\n"
          "2 usage, 3 a path is missing. docs/certification.md.");
      return [a]() { return compare(*a); };
    }});

}  // namespace
