// Oracle helper for tests/oracle/test_tokenizer_*.py: loads a tokenizer once and processes a
// JSONL corpus, so the Python side does not start one process per string.
//
//   oracle_tokenizer_tool encode  SOURCE CORPUS.jsonl [--no-special] [--add-bos]  -> one JSON array of ids per line
//   oracle_tokenizer_tool decode  SOURCE IDS.jsonl [--skip-special]               -> one JSON string per line
//   oracle_tokenizer_tool stream  SOURCE IDS.jsonl                                -> one JSON string per line (StreamDecoder)
//   oracle_tokenizer_tool export  SOURCE OUT_DIR      (writes tokenizer.json + tokenizer_config.json)
//   oracle_tokenizer_tool dump    SOURCE          (prints the TokenizerData of SOURCE as JSON, for round-trip checks)
//   oracle_tokenizer_tool gguf-roundtrip SOURCE   (TokenizerData -> GGUF KVs -> TokenizerData; prints equal/different)
//   oracle_tokenizer_tool write-gguf SOURCE OUT.gguf [ARCH]  (vocab-only GGUF with the minimal ARCH hparams)
//   oracle_tokenizer_tool bench   SOURCE DOCS.jsonl REPEATS (encodes every line REPEATS times; prints seconds and tokens)
// SOURCE is a .gguf file, a tokenizer.json (tokenizer_config.json next to it is used), or a
// directory holding tokenizer.json. CORPUS lines are JSON strings; IDS lines are JSON arrays.
#include <chrono>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "formats/gguf.hpp"
#include "tokenizer/gguf_tokenizer.hpp"
#include "tokenizer/hf_json.hpp"
#include "tokenizer/tokenizer.hpp"

using nlohmann::json;
namespace fs = std::filesystem;
using namespace apr;

static tok::TokenizerData load(const fs::path& src) {
  if (src.extension() == ".gguf") {
    auto r = gguf::Reader::open(src).value();
    return tok::tokenizer_from_gguf(r).value();
  }
  fs::path tj = fs::is_directory(src) ? src / "tokenizer.json" : src;
  fs::path cfg = tj.parent_path() / "tokenizer_config.json";
  std::optional<fs::path> c;
  if (fs::exists(cfg)) c = cfg;
  return tok::load_hf_tokenizer(tj, c).value();
}

static json data_to_json(const tok::TokenizerData& d) {
  auto opt = [](const auto& o) -> json { return o ? json(*o) : json(nullptr); };
  return {{"model", d.model == tok::TokenizerModel::bpe ? "bpe" : "spm"}, {"pre", d.pre}, {"tokens", d.tokens},
          {"token_types", d.token_types}, {"merges", d.merges}, {"scores", d.scores}, {"bos_id", opt(d.bos_id)},
          {"eos_id", opt(d.eos_id)}, {"pad_id", opt(d.pad_id)}, {"unk_id", opt(d.unk_id)}, {"sep_id", opt(d.sep_id)},
          {"eot_id", opt(d.eot_id)}, {"add_bos", opt(d.add_bos)}, {"add_eos", opt(d.add_eos)},
          {"add_space_prefix", opt(d.add_space_prefix)}, {"normalizer", d.normalizer},
          {"hf_not_special", d.hf_not_special}, {"chat_template", d.chat_template}};
}

int main(int argc, char** argv) {
  try {
    if (argc < 3) {
      std::cerr << "usage: see the header of tokenizer_tool.cpp\n";
      return 2;
    }
    const std::string cmd = argv[1];
    std::vector<std::string> flags(argv + 3, argv + argc);
    auto has = [&](const char* f) { return std::find(flags.begin(), flags.end(), f) != flags.end(); };
    const auto data = load(argv[2]);
    if (cmd == "dump") {
      std::cout << data_to_json(data).dump() << "\n";
      return 0;
    }
    if (cmd == "export") {
      auto f = tok::to_hf_tokenizer(data);
      fs::create_directories(argv[3]);
      std::ofstream(fs::path(argv[3]) / "tokenizer.json") << f.tokenizer_json.dump();
      std::ofstream(fs::path(argv[3]) / "tokenizer_config.json") << f.tokenizer_config_json.dump(2);
      return 0;
    }
    if (cmd == "write-gguf") {  // a vocab-only GGUF: tokenizer KVs + the minimal qwen2/llama hparams llama.cpp needs
      const std::string arch = argc > 4 ? argv[4] : "qwen2";
      gguf::Writer w;
      auto u32 = [](std::uint64_t x) { gguf::Value v; v.type = gguf::ValueType::UINT32; v.u = x; return v; };
      gguf::Value a; a.type = gguf::ValueType::STRING; a.s = arch;
      w.add_kv("general.architecture", a);
      w.add_kv(arch + ".context_length", u32(4096));
      w.add_kv(arch + ".embedding_length", u32(64));
      w.add_kv(arch + ".block_count", u32(1));
      w.add_kv(arch + ".feed_forward_length", u32(128));
      w.add_kv(arch + ".attention.head_count", u32(4));
      gguf::Value eps; eps.type = gguf::ValueType::FLOAT32; eps.f = 1e-6;
      w.add_kv(arch + ".attention.layer_norm_rms_epsilon", eps);
      for (auto& kv : tok::tokenizer_to_gguf(data)) w.add_kv(kv.key, kv.value);
      w.write(argv[3]);
      return 0;
    }
    if (cmd == "gguf-roundtrip") {  // TokenizerData -> GGUF KVs -> TokenizerData, printed as JSON
      auto kvs = tok::tokenizer_to_gguf(data);
      auto back = tok::tokenizer_from_gguf_kvs(kvs, "roundtrip").value();
      std::cout << (back == data ? "equal" : "different") << "\n";
      return back == data ? 0 : 1;
    }
    auto t = tok::Tokenizer::from_data(data).value();
    if (cmd == "bench") {  // FILE is JSONL (one string per line); each line is encoded separately
      std::ifstream in(argv[3], std::ios::binary);
      if (!in) throw io_error("cannot open").at_path(argv[3]);
      std::vector<std::string> docs;
      std::string line;
      std::size_t bytes = 0;
      while (std::getline(in, line))
        if (!line.empty()) {
          docs.push_back(json::parse(line).get<std::string>());
          bytes += docs.back().size();
        }
      const int reps = argc > 4 ? std::stoi(argv[4]) : 1;
      std::size_t ntok = 0;
      for (const auto& d : docs) ntok += t.encode(d, true, false).size();  // warm-up (fills the word cache, as HF's does)
      const auto t0 = std::chrono::steady_clock::now();
      for (int r = 0; r < reps; ++r) {
        ntok = 0;
        for (const auto& d : docs) ntok += t.encode(d, true, false).size();
      }
      const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      std::cout << json{{"seconds", s}, {"tokens", ntok}, {"bytes", bytes}, {"docs", docs.size()}, {"repeats", reps}}.dump() << "\n";
      return 0;
    }
    std::ifstream in(argv[3], std::ios::binary);
    if (!in) throw io_error("cannot open").at_path(argv[3]);
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      const auto j = json::parse(line);
      if (cmd == "encode") {
        std::optional<bool> bos;
        if (has("--add-bos")) bos = true;
        if (has("--no-bos")) bos = false;
        std::cout << json(t.encode(j.get<std::string>(), !has("--no-special"), bos)).dump() << "\n";
      } else if (cmd == "decode") {
        const auto ids = j.get<std::vector<std::int32_t>>();
        std::cout << json(t.decode(ids, has("--skip-special"))).dump() << "\n";
      } else if (cmd == "stream") {
        tok::StreamDecoder sd(t);
        std::string s;
        for (auto id : j.get<std::vector<std::int32_t>>()) s += sd.push(id);
        s += sd.flush();
        std::cout << json(s).dump() << "\n";
      } else {
        std::cerr << "unknown command " << cmd << "\n";
        return 2;
      }
    }
    return 0;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
