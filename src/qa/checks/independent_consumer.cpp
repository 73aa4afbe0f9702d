// Check kind independent_consumer (F-CONSUMER-*): a consumer that is not apr-qa reads the file.
// GGUF: llama.cpp (F-CONSUMER-GGUF-*); SafeTensors: HF transformers loading the snapshot folder
// upcast to float32 (runner/scripts/consumer_transformers.py, F-CONSUMER-ST-*), which also catches
// a bug in apr-qa's SafeTensors *reader* that every apr-qa-vs-apr-qa comparison shares.
//
// Every other comparison loads both sides with apr-qa's own readers and engine, so a bug made
// symmetrically (a Q/K permutation skipped on GGUF export *and* import) cancels out. Here llama.cpp,
// through llama-cpp-python (runner/scripts/consumer_llama_cpp.py, compiled in), loads the GGUF in a
// child process with a timeout and computes the teacher-forced logits of the gate prompt's tokens
// (apr-qa's tokenization plus its greedy continuation of max_tokens); apr-qa's engine computes the
// same positions on the same file. Measurements:
//   consumer_loads       1 when llama.cpp loads the file, 0 when it refuses it (its reason is the note)
//   max_rel_logit_diff   max over positions of max|Δlogit| / max|logit of apr-qa|
//   argmax_mismatches    positions whose argmax differs
//   max_abs_logit_diff, positions_compared (recorded)
//   tokenization_mismatches  texts (the gate prompt and a non-ASCII probe: decomposed accents, CJK,
//                            emoji) that llama.cpp's tokenizer encodes to other ids than apr-qa's
// When no Python or no llama_cpp module is available the check is skipped with that reason (never
// passed); when apr-qa's engine cannot run the file the logit measurements are not measured.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/error.hpp"
#include "core/switches.hpp"
#include "qa/checks/check.hpp"
#include "qa/checks/model_access.hpp"
#include "qa/checks/teacher_forced.hpp"
#include "qa/process.hpp"

namespace apr::qa::checks {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

// The Python that runs the consumer: APR_QA_PYTHON, else the build's oracle venv, else python3.
std::string consumer_python() {
  if (!switches().python.empty()) return switches().python;
  std::error_code ec;
  if (std::string b = build_python(); !b.empty() && fs::exists(b, ec)) return b;
  return "python3";
}

// A private temporary directory, removed on scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    std::string t = (fs::temp_directory_path() / "apr-qa-consumer-XXXXXX").string();
    if (!mkdtemp(t.data())) throw io_error("cannot create a temporary directory").at_path(t);
    path = t;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

// llama.cpp's own words when it refuses a file: its log lines that say error/failed.
std::string refusal_reason(const fs::path& stderr_file) {
  std::istringstream in(file_tail(stderr_file, 1 << 16));
  std::string line, out;
  while (std::getline(in, line))
    if (line.find("error") != std::string::npos || line.find("failed") != std::string::npos ||
        line.find("wrong") != std::string::npos)
      out += (out.empty() ? "" : " | ") + line;
  return out.size() > 600 ? out.substr(0, 600) : out;
}

}  // namespace

CheckOutput independent_consumer(const json& p) {
  CheckOutput o;
  const std::string model = p.at("model").get<std::string>();
  const std::string format = p.value("format", "gguf");
  if (format != "gguf" && format != "safetensors") {
    o.skip = "no independent consumer reads " + format + " (llama.cpp reads GGUF, transformers SafeTensors)";
    return o;
  }
  const bool gguf = format == "gguf";
  const std::string who = gguf ? "llama.cpp" : "transformers";
  // transformers loads the HF folder: the snapshot directory, or the folder of a .safetensors file.
  std::string consumer_path = model;
  if (!gguf) {
    std::error_code ec;
    if (!fs::is_directory(model, ec)) consumer_path = fs::path(model).parent_path().string();
  }
  const std::string prompt = p.value("prompt", "What is 2+2?");
  const int max_tokens = p.value("max_tokens", 8);
  const std::int64_t timeout_ms = p.value("timeout_s", std::int64_t{300}) * 1000;

  // apr-qa's side first: the tokens both consumers are fed come from it.
  // Texts both tokenizers encode: the prompt, and a probe a dropped normalizer or a byte-level
  // mapping bug changes ("cafe" + U+0301 decomposed, precomposed "café", CJK, emoji).
  const std::vector<std::string> texts = {prompt, "cafe\u0301 caf\u00e9 \u65e5\u672c\u8a9e \U0001F642 na\u00efve"};
  std::optional<TeacherForced> ref;
  std::vector<std::vector<std::int32_t>> our_tokens;
  std::string ref_error;
  try {
    auto e = make_engine(load(model));
    ref = compute_teacher_forced(*e, prompt, max_tokens);
    for (const auto& t : texts) our_tokens.push_back(e->tokenizer()->encode(t));
  } catch (const Error& e) {
    if (is_environment_error(e)) throw;  // disk full / no permission: the run stops (exit 3)
    ref.reset();
    ref_error = e.what();
  }
  const std::vector<std::int32_t> ids = ref ? ref->sequence() : std::vector<std::int32_t>{};

  TempDir tmp;
  const fs::path script = tmp.path / (gguf ? "consumer_llama_cpp.py" : "consumer_transformers.py"),
                 logits = tmp.path / "logits.f32";
  {
    std::ofstream s(script, std::ios::binary);
    s << (gguf ? consumer_llama_cpp_script() : consumer_transformers_script());
    if (!s) throw io_error("cannot write the consumer script").at_path(script.string());
  }
  const std::string py = consumer_python();
  ChildProcess child({py, script.string(), consumer_path, fmt::format("{}", fmt::join(ids, ",")), logits.string(), json(texts).dump()},
                     tmp.path / "stdout", tmp.path / "stderr", timeout_ms);
  std::optional<ProcessEnd> end;
  while (!(end = child.poll())) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const std::string out = read_all(tmp.path / "stdout");
  if (end->how == ProcessEnd::How::timed_out)
    throw internal_error(fmt::format("{} did not finish within {} s", who, timeout_ms / 1000)).at_path(model);
  if (end->how == ProcessEnd::How::exited && end->exit_code == 127) {
    o.skip = fmt::format("no Python to run {} ({}): cannot execute '{}' (set APR_QA_PYTHON, or run "
                         "runner/scripts/setup-oracles.sh)",
                         who, gguf ? "llama-cpp-python" : "transformers, torch", py);
    return o;
  }
  json r;
  {
    auto last = out.find_last_not_of('\n');
    auto nl = last == std::string::npos ? std::string::npos : out.rfind('\n', last);
    std::string line = last == std::string::npos ? "" : out.substr(nl == std::string::npos ? 0 : nl + 1, last - (nl == std::string::npos ? 0 : nl + 1) + 1);
    r = json::parse(line, nullptr, false);
  }
  if (!r.is_object()) {
    // The interpreter crashed (llama.cpp aborts on some files) or printed no verdict: it did not load.
    const std::string how = end->how == ProcessEnd::How::signaled ? fmt::format("killed by signal {}", end->signal)
                                                                  : fmt::format("exit code {}", end->exit_code);
    o.add("consumer_loads", 0);
    o.note = fmt::format("{} ({}) ended without a result ({}): {}", who, py, how, file_tail(tmp.path / "stderr", 600));
  } else if (!r.value("available", false)) {
    o.skip = r.value("why", who + " is not available") + " (Python: " + py + ")";
    return o;
  } else {
    o.add("consumer_loads", r.value("loads", false) ? 1 : 0);
    if (!r.value("loads", false)) {
      std::string why = gguf ? refusal_reason(tmp.path / "stderr") : "";
      o.note = who + " refuses the file: " + (why.empty() ? r.value("error", std::string("")) : why);
    }
  }
  const bool loads = r.is_object() && r.value("loads", false);
  auto not_compared = [&](const std::string& why, bool tokenization_too = true) {
    for (const char* n : {"max_rel_logit_diff", "argmax_mismatches", "max_abs_logit_diff", "native_max_rel_logit_diff",
                          "native_argmax_mismatches", "positions_compared"})
      o.not_measured(n, why);
    if (tokenization_too) o.not_measured("tokenization_mismatches", why);
  };
  if (!ref) {
    not_compared("apr-qa's engine cannot run the file: " + ref_error);
    return o;
  }
  if (!loads) {
    not_compared(who + " does not load the file");
    return o;
  }
  {
    const json tz = r.value("tokenizations", json::array());
    if (!tz.is_array() || tz.size() != texts.size()) {
      o.not_measured("tokenization_mismatches", who + " returned no tokenization of the probe texts " +
                                                    r.value("tokenizer_error", std::string("")));
    } else {
      double mism = 0;
      for (std::size_t i = 0; i < texts.size(); ++i)
        if (tz[i].get<std::vector<std::int32_t>>() != our_tokens[i]) {
          mism += 1;
          o.output += fmt::format("tokenization of '{}': {} [{}], apr-qa [{}]\n", texts[i], who,
                                  fmt::join(tz[i].get<std::vector<std::int32_t>>(), ","), fmt::join(our_tokens[i], ","));
        }
      o.add("tokenization_mismatches", mism);
      if (r.contains("tokenizer_note")) o.output += who + "'s tokenizer: " + r.value("tokenizer_note", std::string()) + "\n";
    }
  }
  const std::int64_t V = r.value("n_vocab", std::int64_t{0});
  if (r.contains("error")) {
    not_compared(r["error"].get<std::string>(), false);
    return o;
  }
  if (V != ref->vocab) {
    not_compared(fmt::format("{}'s vocabulary has {} entries, apr-qa's engine {}", who, V, ref->vocab), false);
    return o;
  }
  const std::size_t P = ids.size(), Vs = static_cast<std::size_t>(V);
  struct Diff {
    double max_rel = 0, max_abs = 0;
    std::size_t argmax_mismatches = 0;
  };
  auto compare = [&](const fs::path& f) {
    std::error_code ec;
    const auto size = fs::file_size(f, ec);
    if (ec || size != P * Vs * sizeof(float))
      throw internal_error(fmt::format("{} wrote {} bytes of logits, expected {} x {} float32", who, ec ? 0 : size, P, V))
          .at_path(f.string());
    std::vector<float> theirs(P * Vs);
    std::ifstream in(f, std::ios::binary);
    in.read(reinterpret_cast<char*>(theirs.data()), static_cast<std::streamsize>(theirs.size() * sizeof(float)));
    if (!in) throw io_error("cannot read " + who + "'s logits").at_path(f.string());
    Diff r;
    for (std::size_t t = 0; t < P; ++t) {
      const float* a = ref->logits.data() + t * Vs;
      const float* b = theirs.data() + t * Vs;
      double d = 0, m = 0;
      std::size_t ia = 0, ib = 0;
      bool finite = true;
      for (std::size_t v = 0; v < Vs; ++v) {
        if (!std::isfinite(a[v]) || !std::isfinite(b[v])) finite = false;
        d = std::max(d, std::fabs(static_cast<double>(a[v]) - b[v]));
        m = std::max(m, std::fabs(static_cast<double>(a[v])));
        if (a[v] > a[ia]) ia = v;
        if (b[v] > b[ib]) ib = v;
      }
      r.max_rel = std::max(r.max_rel, !finite ? INFINITY : (m > 0 ? d / m : (d > 0 ? INFINITY : 0.0)));
      r.max_abs = std::max(r.max_abs, finite ? d : INFINITY);
      if (ia != ib) ++r.argmax_mismatches;
    }
    return r;
  };
  // llama.cpp computing on the file itself (its quantized matmuls round activations to Q8): recorded.
  // (transformers computes on the float32 upcast only: no native measurement.)
  Diff native;
  if (gguf) {
    native = compare(fs::path(logits.string() + ".native"));
    o.add("native_max_rel_logit_diff", native.max_rel);
    o.add("native_argmax_mismatches", static_cast<double>(native.argmax_mismatches));
  }
  // llama.cpp on its own F32 view of the file: what the gate judges.
  if (!r.value("f32_view", false)) {
    for (const char* n : {"max_rel_logit_diff", "argmax_mismatches", "max_abs_logit_diff"})
      o.not_measured(n, who + " could not make or load an F32 view of the file: " + r.value("view_error", std::string("")));
  } else {
    const Diff d = compare(logits);
    o.add("max_rel_logit_diff", d.max_rel);
    o.add("argmax_mismatches", static_cast<double>(d.argmax_mismatches));
    o.add("max_abs_logit_diff", d.max_abs);
    o.output += fmt::format("{} {} ({}) vs apr-qa on {} positions of '{}': F32 view max_rel_logit_diff {:.3g}, argmax_mismatches {}",
                            who, r.value("version", ""), py, P, prompt, d.max_rel, d.argmax_mismatches);
    o.output += gguf ? fmt::format("; on the file itself {:.3g}, {}\n", native.max_rel, native.argmax_mismatches) : "\n";
  }
  o.add("positions_compared", static_cast<double>(P));
  return o;
}

}  // namespace apr::qa::checks
