// Check kind format_contract: the format contract invariants I-1..I-5 (anchor-spec §3.5),
// each measured on the loaded models instead of grepping tool output.
#include <fmt/format.h>

#include "core/error.hpp"
#include "qa/checks/check.hpp"
#include "qa/checks/tensor_compare.hpp"

namespace apr::qa::checks {

CheckOutput format_contract(const nlohmann::json& p) {
  CheckOutput o;
  const std::string inv = p.at("invariant").get<std::string>();
  auto a = load(p.at("a").get<std::string>());
  auto b = load(p.at("b").get<std::string>());
  if (inv == "I-1" || inv == "I-3" || inv == "I-4") {
    auto tc = compare_tensors(*a, *b, "", inv == "I-4");
    o.add("tensors_compared", static_cast<double>(tc.compared));
    if (inv == "I-1") o.add("tensors_differing_bytes", static_cast<double>(tc.differing_bytes + tc.dtype_changes + tc.missing_in_a + tc.missing_in_b));
    if (inv == "I-3") {
      // Only silent changes falsify I-3 (the gate binds the threshold); a restoration of a
      // recorded original type and a recorded exact widening are measured beside them.
      o.add("silent_dtype_changes", static_cast<double>(tc.silent_dtype_changes));
      o.add("dtype_restorations", static_cast<double>(tc.dtype_restorations));
      o.add("recorded_dtype_changes", static_cast<double>(tc.recorded_dtype_changes));
      o.add("dtype_changes", static_cast<double>(tc.dtype_changes));
    }
    if (inv == "I-4") o.add("max_stat_diff", tc.max_stat_diff);
    for (const auto& n : tc.notes) o.output += n + "\n";
  } else if (inv == "I-2") {
    std::size_t missing = 0, unexpected = 0;
    for (const auto& t : a->tensors)
      if (!b->find(t.name)) { ++missing; o.output += "missing in converted: " + t.name + "\n"; }
    for (const auto& t : b->tensors)
      if (!a->find(t.name) && !(t.name == "lm_head.weight" && a->config.tied_embeddings)) {
        ++unexpected;
        o.output += "unexpected in converted: " + t.name + "\n";
      }
    o.add("source_tensors", static_cast<double>(a->tensors.size()));
    o.add("missing_tensors", static_cast<double>(missing));
    o.add("unexpected_tensors", static_cast<double>(unexpected));
  } else if (inv == "I-5") {
    auto ta = tok::Tokenizer::from_data(a->tokenizer);
    if (!ta) throw ta.error();
    auto tb = tok::Tokenizer::from_data(b->tokenizer);
    if (!tb) throw tb.error();
    const std::string text = p.value("text", "Hello, world!");
    auto ia = ta->encode(text), ib = tb->encode(text);
    std::size_t n = std::max(ia.size(), ib.size()), mism = 0;
    for (std::size_t i = 0; i < n; ++i) mism += (i >= ia.size() || i >= ib.size() || ia[i] != ib[i]) ? 1 : 0;
    mism += ta->decode(ia) == tb->decode(ib) ? 0 : 1;
    o.add("tokens_encoded", static_cast<double>(ia.size()));
    o.add("token_mismatches", static_cast<double>(mism));
    o.output = fmt::format("source ids [{}]\nconverted ids [{}]\n", fmt::join(ia, ","), fmt::join(ib, ","));
  } else {
    throw validation_error("unknown format contract invariant '" + inv + "'");
  }
  return o;
}

}  // namespace apr::qa::checks
