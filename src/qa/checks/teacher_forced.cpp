#include "qa/checks/teacher_forced.hpp"

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>

#include <fmt/format.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"

namespace apr::qa::checks {

namespace fs = std::filesystem;
using nlohmann::json;

static fs::path logits_path(const fs::path& run_json) {
  fs::path p = run_json;
  return p.replace_extension(".logits.f32");
}


std::vector<std::int32_t> TeacherForced::sequence() const {
  std::vector<std::int32_t> s = prompt_ids;
  s.insert(s.end(), greedy.begin(), greedy.end());
  return s;
}

TeacherForced compute_teacher_forced(std::shared_ptr<const model::CanonicalModel> m, const std::string& prompt, int max_tokens) {
  auto e = make_engine(std::move(m));
  return compute_teacher_forced(*e, prompt, max_tokens);
}

TeacherForced compute_teacher_forced(engine::Engine& eng, const std::string& prompt, int max_tokens, bool chat,
                                     bool logits, const Draft* draft) {
  auto* e = &eng;
  TeacherForced t;
  t.prompt_ids = prompt_ids(*e, prompt, chat);
  engine::SamplingOptions so;
  so.max_tokens = max_tokens;
  // A draft made from the same prompt ids is verified in one pass (engine generate_verified);
  // with logits only (its rows are the pass's), and only as a whole: any difference generates.
  std::optional<engine::GenerateResult> verified;
  if (draft && logits && draft->prompt_ids == t.prompt_ids && !draft->tokens.empty()) {
    const std::size_t n = std::min(draft->tokens.size(), static_cast<std::size_t>(std::max(0, max_tokens)));
    verified = e->generate_verified(t.prompt_ids, std::span<const std::int32_t>(draft->tokens.data(), n), so, t.logits);
  }
  t.draft_accepted = verified.has_value();
  // With logits: every position's row is kept while generating (bitwise logits_all of the
  // sequence, engine.hpp), instead of running the whole sequence a second time.
  auto g = verified ? std::move(*verified)
                    : logits ? e->generate_with_logits(t.prompt_ids, so, t.logits) : e->generate(t.prompt_ids, so);
  t.greedy = g.tokens;
  t.text = g.text;
  t.stop_reason = g.stop_reason;
  t.vocab = e->vocab();
  t.last_eog = !g.tokens.empty() && e->tokenizer() && e->tokenizer()->is_end_of_generation(g.tokens.back());
  t.generation = {{"ttft_ms", g.ttft_ms}, {"prefill_tps", g.prefill_tps}, {"decode_tps", g.decode_tps},
                  {"peak_rss_bytes", g.peak_rss_bytes}};
  if (logits) {
    if (t.logits.size() != t.sequence().size() * static_cast<std::size_t>(t.vocab)) t.logits = e->logits_all(t.sequence());
    if (t.logits.size() != t.sequence().size() * static_cast<std::size_t>(t.vocab))
      throw internal_error(fmt::format("logits_all returned {} values for {} positions of vocabulary {}", t.logits.size(),
                                       t.sequence().size(), t.vocab));
  }
  t.source = "computed in this check";
  return t;
}

// The run.json of a shared run, checked against what the caller wants; nullopt when it recorded
// an error. Fills everything but the logits.
static std::optional<TeacherForced> read_run_json(const std::string& path, const std::string& prompt, bool chat,
                                                  int max_tokens, std::size_t* all_rows) {
  std::ifstream in(path);
  if (!in) throw io_error("shared inference run is missing").at_path(path);
  json j = json::parse(in, nullptr, false);
  if (j.is_discarded() || !j.is_object()) throw parse_error("shared inference run is not a JSON object").at_path(path);
  if (j.contains("error")) return std::nullopt;
  if (j.value("prompt", "") != prompt || j.value("max_tokens", 0) < max_tokens || j.value("chat", false) != chat)
    throw internal_error(fmt::format("shared inference run is for prompt '{}'{} / {} tokens, the check wants '{}'{} / {}",
                                     j.value("prompt", ""), j.value("chat", false) ? " (chat)" : "", j.value("max_tokens", 0),
                                     prompt, chat ? " (chat)" : "", max_tokens))
        .at_path(path);
  TeacherForced t;
  t.prompt_ids = j.at("prompt_ids").get<std::vector<std::int32_t>>();
  auto greedy = j.at("greedy").get<std::vector<std::int32_t>>();
  t.vocab = j.at("vocab").get<std::int64_t>();
  const std::size_t keep = std::min(greedy.size(), static_cast<std::size_t>(std::max(0, max_tokens)));
  t.greedy.assign(greedy.begin(), greedy.begin() + static_cast<std::ptrdiff_t>(keep));
  const bool cut = keep < greedy.size();
  t.stop_reason = cut ? "max_tokens" : j.value("stop_reason", "");
  // A stop token ends the generation, so only the last token of the whole run can be one: a cut
  // prefix has none, and its text is the decoded prefix; the whole run keeps the engine's text.
  auto texts = j.value("prefix_texts", std::vector<std::string>{});
  t.text = cut && keep < texts.size() ? texts[keep] : j.value("text", "");
  t.last_eog = !cut && j.value("last_eog", false);
  t.generation = j.value("generation", json::object());
  if (all_rows) *all_rows = t.prompt_ids.size() + greedy.size();
  t.source = "shared run " + path;
  return t;
}

std::optional<TeacherForced> read_generation(const std::string& path, const std::string& prompt, bool chat, int max_tokens) {
  return read_run_json(path, prompt, chat, max_tokens, nullptr);
}

// Reads a shared run with its logits; nullopt when it recorded an error (the caller computes its own).
static std::optional<TeacherForced> read_run(const std::string& path, const std::string& prompt, int max_tokens) {
  std::size_t all_rows = 0;
  auto t = read_run_json(path, prompt, false, max_tokens, &all_rows);
  if (!t) return t;
  const std::size_t V = static_cast<std::size_t>(t->vocab);
  const std::size_t rows = t->prompt_ids.size() + t->greedy.size();
  fs::path lp = logits_path(path);
  std::error_code ec;
  if (fs::file_size(lp, ec) != all_rows * V * sizeof(float))
    throw io_error(fmt::format("expected {} x {} float32 logits", all_rows, V)).at_path(lp.string());
  std::ifstream lf(lp, std::ios::binary);
  t->logits.resize(rows * V);
  lf.read(reinterpret_cast<char*>(t->logits.data()), static_cast<std::streamsize>(t->logits.size() * sizeof(float)));
  if (!lf) throw io_error("cannot read logits").at_path(lp.string());
  return t;
}

TeacherForced teacher_forced(const json& p, const std::string& side, const std::string& path, const std::string& prompt,
                             int max_tokens, std::shared_ptr<const model::CanonicalModel> model) {
  const std::string key = side + "_run";
  if (p.contains(key) && p[key].is_string())
    if (auto t = read_run(p[key].get<std::string>(), prompt, max_tokens)) return std::move(*t);
  if (!model) model = load(path);
  return compute_teacher_forced(std::move(model), prompt, max_tokens);
}

LogitCompare compare_teacher_forced(const TeacherForced& ref, const TeacherForced& other, const std::string& other_path,
                                    std::shared_ptr<const model::CanonicalModel> other_model) {
  if (ref.vocab != other.vocab)
    throw validation_error(fmt::format("vocabulary sizes differ: {} vs {}", ref.vocab, other.vocab));
  auto seq = ref.sequence();
  if (other.sequence() == seq) return compare_logit_rows(ref.logits, other.logits, seq.size(), static_cast<std::size_t>(ref.vocab));
  if (!other_model) other_model = load(other_path);
  auto e = make_engine(std::move(other_model));
  auto l = e->logits_all(seq);
  return compare_logit_rows(ref.logits, l, seq.size(), static_cast<std::size_t>(ref.vocab));
}


CheckOutput infer_step(const json& p) {
  CheckOutput o;
  const fs::path out = p.at("output").get<std::string>();
  const std::string path = p.at("model").get<std::string>(), prompt = p.at("prompt").get<std::string>();
  const int max_tokens = p.value("max_tokens", 8);
  const bool chat = p.value("chat", false), logits = p.value("logits", true);
  fs::create_directories(out.parent_path());
  std::error_code ec;
  fs::remove(out, ec);
  fs::remove(logits_path(out), ec);
  json j = {{"model", path}, {"prompt", prompt}, {"max_tokens", max_tokens}, {"chat", chat}, {"logits", logits}};
  std::optional<Draft> draft;
  std::string draft_note;
  if (p.contains("draft_run") && p["draft_run"].is_string()) {
    const std::string dp = p["draft_run"].get<std::string>();
    std::ifstream din(dp);
    json dj = din ? json::parse(din, nullptr, false) : json();
    if (!dj.is_object() || dj.contains("error"))
      draft_note = "the draft run is missing or recorded an error";
    else if (dj.value("prompt", "") != prompt || dj.value("chat", false) != chat)
      draft_note = "the draft run is for another prompt";
    else
      try {
        draft = Draft{dj.at("prompt_ids").get<std::vector<std::int32_t>>(), dj.at("greedy").get<std::vector<std::int32_t>>()};
      } catch (const json::exception&) {
        draft_note = "the draft run has no prompt_ids/greedy";
      }
    j["draft"] = {{"run", dp}};
  }
  try {
    auto e = make_engine(load(path));
    TeacherForced t = compute_teacher_forced(*e, prompt, max_tokens, chat, logits, draft ? &*draft : nullptr);
    if (j.contains("draft")) {
      j["draft"]["accepted"] = t.draft_accepted;
      j["draft"]["note"] = t.draft_accepted ? "greedy tokens verified in one batched pass: the same tokens, stop and logits as generating"
                           : !draft_note.empty() ? draft_note
                                                 : "this model's greedy tokens differ from the draft (or its prompt ids do): generated";
    }
    // Texts of every greedy prefix, so that a gate using k tokens reports the text of those k.
    std::vector<std::string> prefix_texts;
    for (std::size_t k = 0; k <= t.greedy.size(); ++k)
      prefix_texts.push_back(e->decode(std::span<const std::int32_t>(t.greedy.data(), k)));
    if (logits)
      write_file_atomic(logits_path(out),
                        std::string_view(reinterpret_cast<const char*>(t.logits.data()), t.logits.size() * sizeof(float)));
    j["prompt_ids"] = t.prompt_ids;
    j["greedy"] = t.greedy;
    j["text"] = t.text;
    j["prefix_texts"] = prefix_texts;
    j["stop_reason"] = t.stop_reason;
    j["last_eog"] = t.last_eog;
    j["generation"] = t.generation;
    if (t.draft_accepted) j["generation"]["verified_draft"] = true;  // timings of one pass, not of decoding
    j["vocab"] = t.vocab;
    j["positions"] = t.prompt_ids.size() + t.greedy.size();
    o.output = fmt::format("{}: prompt {} tokens{}, greedy [{}] '{}'{}\n", path, t.prompt_ids.size(), chat ? " (chat template)" : "",
                           fmt::join(t.greedy, ","), t.text, logits ? "" : " (no logits: only matrix cells read this run)");
  } catch (const Error& err) {
    if (is_environment_error(err)) throw;  // disk full / no permission: the run stops (exit 3)
    j["error"] = err.what();
    o.output = std::string("not run (the gates using it measure the artifact themselves): ") + err.what() + "\n";
  }
  write_file_atomic(out, j.dump(1, ' ', false, json::error_handler_t::replace));
  return o;
}

}  // namespace apr::qa::checks
