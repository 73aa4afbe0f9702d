// Test worker for the apr-qa executor: stands in for `apr-qa __node` (run --worker PATH).
//   qa_fake_worker --spec SPEC --result RESULT
// Behaviour from the node's params ("fake": pass|fail|crash|hang|exit3|skip|noresult) or, for
// playbook runs, from environment variables matched against the node id / gate ids:
//   FAKE_SLEEP_MS=N      sleep N ms before answering (kill tests)
//   FAKE_FAIL=S          a node whose gates include S measures a failing value
//   FAKE_CRASH=S         a node whose id contains S aborts (SIGABRT)
//   FAKE_HANG=S          a node whose id contains S sleeps forever
// convert and infer nodes write a small file at params.output; checks answer every required measurement
// with a value that meets the gate's bound threshold (or, failing, one that violates it).
#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

using nlohmann::json;

static std::string env(const char* k) {
  const char* v = std::getenv(k);
  return v ? v : "";
}

int main(int argc, char** argv) {
  std::string spec_path, result_path;
  for (int i = 1; i + 1 < argc; ++i) {
    std::string a = argv[i];
    if (a == "--spec") spec_path = argv[++i];
    else if (a == "--result") result_path = argv[++i];
  }
  std::ifstream in(spec_path);
  json spec = json::parse(in);
  const json& p = spec["params"];
  std::string id = spec.value("node", "");
  std::string fake = p.value("fake", "pass");
  auto has = [&](const std::string& s) {
    if (s.empty()) return false;
    if (id.find(s) != std::string::npos) return true;
    for (const auto& g : spec["gates"])
      if (g.get<std::string>() == s) return true;
    return false;
  };
  if (has(env("FAKE_CRASH"))) fake = "crash";
  if (has(env("FAKE_HANG"))) fake = "hang";
  if (has(env("FAKE_FAIL"))) fake = "fail";
  if (!env("FAKE_SLEEP_MS").empty()) std::this_thread::sleep_for(std::chrono::milliseconds(std::atoi(env("FAKE_SLEEP_MS").c_str())));
  if (p.contains("sleep_ms")) std::this_thread::sleep_for(std::chrono::milliseconds(p["sleep_ms"].get<int>()));
  if (fake == "crash") ::abort();
  if (fake == "hang") for (;;) ::pause();
  if (fake == "exit3") {
    std::fprintf(stderr, "fake worker: failing on purpose\n");
    return 3;
  }
  if (fake == "noresult") return 0;
  json r;
  if (fake == "skip") {
    r = {{"skip", "fake skip reason"}};
  } else {
    json ms = json::array(), arts = json::array();
    if (spec["kind"] == "convert" || spec["kind"] == "infer") {  // both produce params.output
      std::string out = p["output"];
      std::string dir = out.substr(0, out.rfind('/'));
      std::system(("mkdir -p '" + dir + "'").c_str());
      std::ofstream(out) << "fake artifact " << spec.value("key", "") << "\n";
    }
    // One value per measurement a gate of the node requires (spec "require": gate -> {name: "op t"}):
    // one that holds, or (fail) one that violates it.
    for (auto& [g, req] : spec["require"].items())
      for (auto& [m, expr] : req.items()) {
        std::string e = expr.get<std::string>();
        auto sp = e.find(' ');
        std::string op = e.substr(0, sp);
        double t = std::stod(e.substr(sp + 1));
        bool upper = op[0] == '<';  // <= or <: smaller passes
        double pass = op == "<" ? t - 1 : op == ">" ? t + 1 : t;
        double fail = op == "==" ? t + 1 : (upper ? t + 1 : t - 1);
        ms.push_back({{"name", m}, {"value", fake == "fail" ? fail : pass}, {"unit", ""}});
      }
    r = {{"measurements", ms}, {"artifacts", arts}, {"output", "fake " + fake}, {"metrics", {{"tokens_per_second", 10.0}}}};
  }
  std::ofstream(result_path + ".tmp") << r.dump();
  std::rename((result_path + ".tmp").c_str(), result_path.c_str());
  return 0;
}
