// Every measurement an evidence entry shows with a threshold is one its gate judges (issue 12: a
// Corroborated F-ROSETTA-INF-001 once showed "diff = 0.0626 (threshold 1e-05)"): over the whole
// built-in catalogue, a check's own thresholds are dropped, the gate's are bound, and moving any
// thresholded measurement across its threshold falsifies the gate.
#include <doctest/doctest.h>

#include <set>

#include "qa/gate.hpp"
#include "qa/judge.hpp"
#include "qa/playbook_values.hpp"

using namespace apr::qa;

namespace {

// A playbook view in which every ${a.b.c} reference of the gate is the number 0.5.
nlohmann::json view_for(const GateDef& g) {
  nlohmann::json v = nlohmann::json::object();
  auto set = [&](const std::string& expr) {
    for (const auto& ref : references_in(expr)) {
      std::string p = "/" + ref;
      for (auto& c : p)
        if (c == '.') c = '/';
      v[nlohmann::json::json_pointer(p)] = 0.5;
    }
  };
  for (const auto& r : g.require) {
    set(r.expr);
    for (const auto& [_, e] : r.by_backend) set(e);
  }
  return v;
}

// A value on the passing (pass = true) or failing side of `comparator threshold`.
double side(Comparator c, double t, bool pass) {
  switch (c) {
    case Comparator::le: return pass ? t : t + 1;
    case Comparator::lt: return pass ? t - 1 : t;
    case Comparator::ge: return pass ? t : t - 1;
    case Comparator::gt: return pass ? t + 1 : t;
    case Comparator::eq: return pass ? t : t + 1;
  }
  return t;
}

}  // namespace

TEST_CASE("no gate shows a threshold it does not judge") {
  auto cat = GateCatalogue::builtin();
  REQUIRE(cat.ok());
  // Measurements checks record beside the required ones, some with a threshold of their own.
  const std::vector<std::string> extras = {"diff", "max_abs_logit_diff", "native_max_rel_logit_diff", "pad_fraction",
                                           "tokens_per_second", "token_mismatches", "tensor_max_abs_diff"};
  int gates_checked = 0;
  for (const auto& g : cat.value().gates()) {
    if (g.require.empty()) continue;  // process gates judge the worker's exit status
    std::string why;
    const auto bound = bind_gate(g, view_for(g), "cpu", why);
    REQUIRE_MESSAGE(bound, g.id << ": " << why);
    std::set<std::string> required;
    std::vector<Measurement> ms;
    for (const auto& r : *bound) {
      required.insert(r.name);
      ms.push_back({r.name, side(r.comparator, r.threshold, true), std::nullopt, Comparator::le, "", ""});
    }
    for (const auto& x : extras)
      if (!required.count(x)) ms.push_back({x, 1e9, 1e-5, Comparator::le, "", ""});  // violates its own threshold
    const auto shown = bind_requirements(ms, *bound);
    for (const auto& m : shown)
      CHECK_MESSAGE((!m.threshold || required.count(m.name)), g.id << " shows a threshold on " << m.name << " it does not judge");
    CHECK_MESSAGE(judge_gate(ms, *bound).outcome == Outcome::corroborated, g.id);
    // Each thresholded measurement, moved across its threshold, falsifies the gate.
    for (std::size_t i = 0; i < bound->size(); ++i) {
      auto bad = ms;
      bad[i].value = side((*bound)[i].comparator, (*bound)[i].threshold, false);
      const auto v = judge_gate(bad, *bound);
      CHECK_MESSAGE(v.outcome == Outcome::falsified, g.id << ": " << (*bound)[i].name << " is shown but not judged");
      CHECK_MESSAGE(v.reason.find((*bound)[i].name) != std::string::npos, g.id << ": " << v.reason);
    }
    ++gates_checked;
  }
  CHECK(gates_checked >= 70);  // the catalogue has 79 gates with requirements today
}
