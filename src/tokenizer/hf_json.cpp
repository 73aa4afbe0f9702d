// apr-qa tokenizer: HF tokenizer.json + tokenizer_config.json <-> TokenizerData.
#include "tokenizer/hf_json.hpp"

#include <algorithm>
#include <fstream>
#include <map>

#include "core/error.hpp"
#include "core/json_parse.hpp"
#include "tokenizer/pretokenizer.hpp"
#include "tokenizer/tokenizer.hpp"

namespace apr::tok {
namespace {

using json = nlohmann::json;

struct Ctx {
  std::string origin;
  Error err(ErrorCategory c, const std::string& field, const std::string& msg) const {
    return Error(c, msg).at_path(origin).at_key(field);
  }
};

// Unused ids tolerated below the highest id beyond one per listed token.
constexpr std::size_t kMaxIdHoles = 65536;

bool looks_like_control(const std::string& t) {
  return t.size() >= 4 && t.compare(0, 2, "<|") == 0 && t.compare(t.size() - 2, 2, "|>") == 0;
}

bool is_null_or_empty_string(const json& j) { return j.is_null() || (j.is_string() && j.get<std::string>().empty()); }

// Real tokenizers nest one Sequence; the walk below recurses once per level.
constexpr int kMaxPreTokenizerDepth = 8;

// Flattens a pre_tokenizer into the list of Isolated-split regexes it applies.
void collect_regexes(const Ctx& c, const json& p, std::vector<std::string>& out, int& byte_level_seen, int depth = 0) {
  if (depth > kMaxPreTokenizerDepth)
    throw c.err(ErrorCategory::unsupported, "pre_tokenizer",
                "expected Sequence nested at most " + std::to_string(kMaxPreTokenizerDepth) + " levels deep, found deeper");
  if (!p.is_object() || !p.contains("type") || !p["type"].is_string())
    throw c.err(ErrorCategory::parse, "pre_tokenizer", "expected an object with a string type, found " + json_excerpt(p));
  const auto type = p["type"].get<std::string>();
  if (byte_level_seen) throw c.err(ErrorCategory::unsupported, "pre_tokenizer", "expected ByteLevel to be the last pre-tokenizer, found " + type + " after it");
  if (type == "Sequence") {
    for (const auto& q : p.at("pretokenizers")) collect_regexes(c, q, out, byte_level_seen, depth + 1);
  } else if (type == "ByteLevel") {
    if (p.value("add_prefix_space", false))
      throw c.err(ErrorCategory::unsupported, "pre_tokenizer.add_prefix_space", "expected false, found true");
    if (p.value("use_regex", true)) out.push_back(gpt2_regex());
    byte_level_seen = 1;
  } else if (type == "Split") {
    const auto& pat = p.at("pattern");
    if (!pat.contains("Regex"))
      throw c.err(ErrorCategory::unsupported, "pre_tokenizer.pattern", "expected a Regex pattern, found " + json_excerpt(pat));
    if (p.value("behavior", std::string()) != "Isolated" || p.value("invert", false))
      throw c.err(ErrorCategory::unsupported, "pre_tokenizer.behavior",
                  "expected Isolated without invert, found " + p.value("behavior", std::string("?")));
    out.push_back(pat["Regex"].get<std::string>());
  } else if (type == "Digits") {
    out.push_back(p.value("individual_digits", false) ? R"(\p{N})" : R"(\p{N}+)");
  } else {
    throw c.err(ErrorCategory::unsupported, "pre_tokenizer.type", "expected Sequence, Split, Digits or ByteLevel, found " + type);
  }
}

std::optional<std::string> token_content(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  if (j.is_object() && j.contains("content")) return j["content"].get<std::string>();
  return std::nullopt;
}

TokenizerData parse(const Ctx& c, const json& tj, const json* cfg) {
  TokenizerData d;
  d.model = TokenizerModel::bpe;
  if (!tj.is_object() || !tj.contains("model")) throw c.err(ErrorCategory::parse, "model", "expected a tokenizer.json object with a model");
  const auto& m = tj["model"];
  const std::string mtype = m.value("type", std::string("BPE"));
  if (mtype != "BPE") throw c.err(ErrorCategory::unsupported, "model.type", "expected BPE, found " + mtype);
  if (m.value("byte_fallback", false))
    throw c.err(ErrorCategory::unsupported, "model.byte_fallback", "expected false (byte-level BPE), found true");
  if (m.contains("dropout") && !m["dropout"].is_null())
    throw c.err(ErrorCategory::unsupported, "model.dropout", "expected null, found " + json_excerpt(m["dropout"]));
  for (const char* f : {"continuing_subword_prefix", "end_of_word_suffix"})
    if (m.contains(f) && !is_null_or_empty_string(m[f]))
      throw c.err(ErrorCategory::unsupported, std::string("model.") + f, "expected empty, found " + json_excerpt(m[f]));
  if (!m.contains("vocab") || !m["vocab"].is_object()) throw c.err(ErrorCategory::parse, "model.vocab", "expected an object {token: id}");
  if (!m.contains("merges") || !m["merges"].is_array()) throw c.err(ErrorCategory::validation, "model.merges", "expected an array of merges, found none");

  // Vocabulary and added tokens: a flat (id, text) list sorted by id, not a node-based map (151k
  // nodes and string copies for a Qwen2 vocabulary were most of the tokenizer.json load time).
  struct Entry {
    std::int64_t id;
    const std::string* text;
    std::size_t seen;  // position in the file's (key) order
  };
  const auto& vj = m["vocab"];
  std::vector<Entry> vocab;
  vocab.reserve(vj.size());
  for (auto it = vj.begin(); it != vj.end(); ++it) {
    const std::string& text = it.key();
    const json& idj = it.value();
    if (!idj.is_number_integer()) throw c.err(ErrorCategory::parse, "model.vocab", "token \"" + text + "\": expected an integer id, found " + json_excerpt(idj));
    const auto id = idj.get<std::int64_t>();
    if (id < 0 || id >= INT32_MAX) throw c.err(ErrorCategory::validation, "model.vocab", "token \"" + text + "\": id out of range: " + std::to_string(id));
    vocab.push_back({id, &text, vocab.size()});
  }
  std::stable_sort(vocab.begin(), vocab.end(), [](const Entry& a, const Entry& b) { return a.id < b.id; });
  {  // A repeated id: the first repeat in the file's order, named with the id's first text.
    const Entry *dup = nullptr, *first = nullptr;
    for (std::size_t i = 1, g = 0; i < vocab.size(); ++i) {
      if (vocab[i].id != vocab[i - 1].id) {
        g = i;
        continue;
      }
      if (!dup || vocab[i].seen < dup->seen) {
        dup = &vocab[i];
        first = &vocab[g];
      }
    }
    if (dup)
      throw c.err(ErrorCategory::validation, "model.vocab",
                  "id " + std::to_string(dup->id) + " is used by \"" + *first->text + "\" and \"" + *dup->text + "\"");
  }
  auto vocab_text = [&](std::int64_t id) -> const std::string* {
    auto it = std::lower_bound(vocab.begin(), vocab.end(), id, [](const Entry& e, std::int64_t v) { return e.id < v; });
    return it != vocab.end() && it->id == id ? it->text : nullptr;
  };
  std::map<std::int64_t, std::string> extra;  // added tokens at ids the vocab does not have
  std::map<std::int64_t, const json*> added;
  if (tj.contains("added_tokens") && tj["added_tokens"].is_array()) {
    for (const auto& a : tj["added_tokens"]) {
      // A float id (2.3e27) would be undefined behaviour in get<int64_t>() (found by fuzz_tokenizer_json).
      if (!a.is_object() || !a.contains("id") || !a["id"].is_number_integer())
        throw c.err(ErrorCategory::parse, "added_tokens",
                    "expected an object with an integer 'id', found " + json_excerpt(a.is_object() && a.contains("id") ? a["id"] : a));
      const auto id = a.at("id").get<std::int64_t>();
      const auto content = a.at("content").get<std::string>();
      if (id < 0 || id >= INT32_MAX) throw c.err(ErrorCategory::validation, "added_tokens", "\"" + content + "\": id out of range: " + std::to_string(id));
      for (const char* f : {"lstrip", "rstrip", "single_word"})
        if (a.value(f, false)) throw c.err(ErrorCategory::unsupported, std::string("added_tokens.") + f, "\"" + content + "\": expected false, found true");
      const std::string* have = vocab_text(id);
      if (!have)
        if (auto e = extra.find(id); e != extra.end()) have = &e->second;
      if (have && *have != content)
        throw c.err(ErrorCategory::validation, "added_tokens", "id " + std::to_string(id) + ": added token \"" + content +
                                                                   "\" differs from vocab token \"" + *have + "\"");
      if (!have) extra.emplace(id, content);
      added[id] = &a;
    }
  }
  const std::size_t count = vocab.size() + extra.size();
  if (count == 0) throw c.err(ErrorCategory::validation, "model.vocab", "expected tokens, found none");
  // Ids may have holes (filled with "[PAD<id>]"), but no more than the file justifies: a lone
  // token at id 1e8 must not allocate 1e8 fillers.
  const std::int64_t last = std::max(vocab.empty() ? -1 : vocab.back().id, extra.empty() ? -1 : extra.rbegin()->first);
  const auto n = static_cast<std::size_t>(last + 1);
  const std::size_t max_holes = std::max<std::size_t>(kMaxIdHoles, count);
  if (n - count > max_holes)
    throw c.err(ErrorCategory::validation, "model.vocab",
                "expected token ids dense from 0 (at most " + std::to_string(max_holes) + " unused ids), found " +
                    std::to_string(count) + " tokens with ids up to " + std::to_string(n - 1));
  std::vector<std::string> tokens(n);  // filled by id, then stored in d.tokens at once
  d.token_types.assign(n, kTokenUnused);
  std::vector<char> has(n, 0);
  // "[PAD<id>]" at its own id is the converters' filler for unused ids (GGUF type 5).
  auto is_filler = [](const std::string& text, std::size_t id) {
    return text.size() > 5 && text.compare(0, 4, "[PAD") == 0 && text == "[PAD" + std::to_string(id) + "]";
  };
  auto put = [&](std::int64_t id, const std::string& text) {
    const auto i = static_cast<std::size_t>(id);
    tokens[i] = text;
    d.token_types[i] = is_filler(text, i) ? kTokenUnused : kTokenNormal;
    has[i] = 1;
  };
  for (const auto& e : vocab) put(e.id, *e.text);
  for (const auto& [id, text] : extra) put(id, text);
  for (std::size_t i = 0; i < n; ++i)
    if (!has[i]) tokens[i] = "[PAD" + std::to_string(i) + "]";
  d.tokens = tokens;
  for (const auto& [id, a] : added) {
    const bool special = a->value("special", false);
    const std::string& text = tokens[static_cast<std::size_t>(id)];
    if (special) {
      d.token_types[static_cast<std::size_t>(id)] = kTokenControl;
    } else if (looks_like_control(text)) {
      d.token_types[static_cast<std::size_t>(id)] = kTokenControl;
      d.hf_not_special.push_back(static_cast<std::int32_t>(id));
    } else {
      d.token_types[static_cast<std::size_t>(id)] = kTokenUserDefined;
    }
  }

  // Merges.
  d.merges.reserve(m["merges"].size());
  for (const auto& mj : m["merges"]) {
    if (mj.is_string()) {
      d.merges.push_back(mj.get<std::string>());
    } else if (mj.is_array() && mj.size() == 2 && mj[0].is_string() && mj[1].is_string()) {
      const auto a = mj[0].get<std::string>(), b = mj[1].get<std::string>();
      if (a.find(' ') != std::string::npos || b.find(' ') != std::string::npos)
        throw c.err(ErrorCategory::unsupported, "model.merges", "merge [\"" + a + "\", \"" + b + "\"]: tokens containing spaces cannot be stored as \"left right\"");
      d.merges.push_back(a + " " + b);
    } else {
      throw c.err(ErrorCategory::parse, "model.merges", "expected \"a b\" or [\"a\", \"b\"], found " + json_excerpt(mj));
    }
  }

  // Normalizer.
  if (tj.contains("normalizer") && !tj["normalizer"].is_null()) {
    const auto& nj = tj["normalizer"];
    const json* one = &nj;
    if (nj.value("type", std::string()) == "Sequence" && nj.contains("normalizers") && nj["normalizers"].size() == 1) one = &nj["normalizers"][0];
    if (one->value("type", std::string()) != "NFC")
      throw c.err(ErrorCategory::unsupported, "normalizer", "expected null or NFC, found " + json_excerpt(nj));
    d.normalizer = "NFC";
  }

  // Pre-tokenizer.
  if (!tj.contains("pre_tokenizer") || tj["pre_tokenizer"].is_null())
    throw c.err(ErrorCategory::unsupported, "pre_tokenizer", "expected a byte-level pre-tokenizer, found null");
  std::vector<std::string> regexes;
  int byte_level = 0;
  collect_regexes(c, tj["pre_tokenizer"], regexes, byte_level);
  if (!byte_level) throw c.err(ErrorCategory::unsupported, "pre_tokenizer", "expected a ByteLevel step, found none");
  const auto* spec = find_pre_tokenizer_by_regexes(regexes);
  if (!spec) {
    std::string list;
    for (const auto& r : regexes) list += (list.empty() ? "" : ", ") + r;
    throw c.err(ErrorCategory::unsupported, "pre_tokenizer", "expected the regexes of a known pre-tokenizer (qwen2, llama-bpe, smollm, gpt2, default), found [" + list + "]");
  }
  d.pre = spec->name;
  if (m.value("ignore_merges", false) != spec->ignore_merges)
    throw c.err(ErrorCategory::unsupported, "model.ignore_merges",
                std::string("expected ") + (spec->ignore_merges ? "true" : "false") + " for pre-tokenizer " + spec->name);

  if (tj.contains("decoder") && !tj["decoder"].is_null() && tj["decoder"].value("type", std::string()) != "ByteLevel")
    throw c.err(ErrorCategory::unsupported, "decoder", "expected ByteLevel, found " + json_excerpt(tj["decoder"]));

  // Post-processor: a TemplateProcessing adds BOS/EOS around the sequence.
  std::optional<bool> pp_bos, pp_eos;
  std::optional<std::string> pp_bos_text, pp_eos_text;
  if (tj.contains("post_processor") && tj["post_processor"].is_object()) {
    const auto& pp = tj["post_processor"];
    const auto t = pp.value("type", std::string());
    if (t == "TemplateProcessing") {
      bool seen_seq = false;
      pp_bos = false;
      pp_eos = false;
      for (const auto& item : pp.at("single")) {
        if (item.contains("Sequence")) {
          seen_seq = true;
        } else if (item.contains("SpecialToken")) {
          const auto text = item["SpecialToken"].at("id").get<std::string>();
          if (!seen_seq) { pp_bos = true; pp_bos_text = text; }
          else { pp_eos = true; pp_eos_text = text; }
        }
      }
    } else if (t != "ByteLevel") {
      throw c.err(ErrorCategory::unsupported, "post_processor", "expected ByteLevel or TemplateProcessing, found " + t);
    }
  }

  // At most a handful of lookups: a scan for the first token with that text (no map of every
  // token: 64k copies and tree nodes per file, the slowest part of a tokenizer.json with id holes).
  auto resolve = [&](const std::string& field, const std::optional<std::string>& text) -> std::optional<std::int64_t> {
    if (!text) return std::nullopt;
    auto it = std::find(d.tokens.begin(), d.tokens.end(), *text);
    if (it == d.tokens.end()) throw c.err(ErrorCategory::validation, field, "expected a token of the vocabulary, found \"" + *text + "\"");
    return static_cast<std::int64_t>(it - d.tokens.begin());
  };
  if (pp_bos_text) d.bos_id = resolve("post_processor.single", pp_bos_text);
  if (pp_eos_text) d.eos_id = resolve("post_processor.single", pp_eos_text);
  d.add_bos = pp_bos ? std::optional<bool>(*pp_bos) : std::nullopt;
  d.add_eos = pp_eos ? std::optional<bool>(*pp_eos) : std::nullopt;
  if (m.contains("unk_token") && m["unk_token"].is_string()) d.unk_id = resolve("model.unk_token", m["unk_token"].get<std::string>());

  if (cfg) {
    const Ctx cc{c.origin + " (tokenizer_config.json)"};
    auto opt_tok = [&](const char* key) -> std::optional<std::int64_t> {
      if (!cfg->contains(key) || (*cfg)[key].is_null()) return std::nullopt;
      auto t = token_content((*cfg)[key]);
      if (!t) throw cc.err(ErrorCategory::parse, key, "expected a string or {content}, found " + json_excerpt((*cfg)[key]));
      return resolve(key, t);
    };
    if (auto v = opt_tok("bos_token")) d.bos_id = v;
    if (auto v = opt_tok("eos_token")) d.eos_id = v;
    if (auto v = opt_tok("pad_token")) d.pad_id = v;
    if (auto v = opt_tok("unk_token")) d.unk_id = v;
    if (auto v = opt_tok("sep_token")) d.sep_id = v;
    auto opt_bool = [&](const char* key) -> std::optional<bool> {
      if (!cfg->contains(key) || (*cfg)[key].is_null()) return std::nullopt;
      if (!(*cfg)[key].is_boolean()) throw cc.err(ErrorCategory::parse, key, "expected a boolean, found " + json_excerpt((*cfg)[key]));
      return (*cfg)[key].get<bool>();
    };
    if (auto v = opt_bool("add_bos_token")) {
      if (*v && !pp_bos.value_or(false))
        throw cc.err(ErrorCategory::unsupported, "add_bos_token", "true, but tokenizer.json's post_processor adds no BOS (HF would not add one)");
      d.add_bos = v;
    }
    if (auto v = opt_bool("add_eos_token")) {
      if (*v && !pp_eos.value_or(false))
        throw cc.err(ErrorCategory::unsupported, "add_eos_token", "true, but tokenizer.json's post_processor adds no EOS (HF would not add one)");
      d.add_eos = v;
    }
    if (auto v = opt_bool("add_prefix_space"); v && !*v) d.add_space_prefix = false;
    if (cfg->contains("chat_template")) {
      const auto& ct = (*cfg)["chat_template"];
      if (ct.is_string()) {
        d.chat_template = ct.get<std::string>();
      } else if (ct.is_array()) {
        for (const auto& e : ct)
          if (e.value("name", std::string()) == "default") d.chat_template = e.at("template").get<std::string>();
        if (d.chat_template.empty()) throw cc.err(ErrorCategory::unsupported, "chat_template", "expected a template named \"default\" in the list, found none");
      } else if (!ct.is_null()) {
        throw cc.err(ErrorCategory::parse, "chat_template", "expected a string, found " + json_excerpt(ct));
      }
    }
  }

  auto t = Tokenizer::from_data(d);
  if (!t) throw Error(t.error()).at_path(c.origin);
  return d;
}

json read_json(const std::filesystem::path& p) {
  // A regular file only (a FIFO is refused, never waited on); nesting bounded.
  return read_json_file(p);
}

}  // namespace

Result<TokenizerData> hf_tokenizer_from_json(const json& tokenizer_json, const json* tokenizer_config_json,
                                             const std::string& origin) {
  return capture([&] {
    try {
      return parse(Ctx{origin}, tokenizer_json, tokenizer_config_json);
    } catch (const json::exception& e) {
      throw parse_error(std::string("unexpected JSON structure: ") + e.what()).at_path(origin);
    }
  });
}

Result<TokenizerData> load_hf_tokenizer(const std::filesystem::path& tokenizer_json,
                                        const std::optional<std::filesystem::path>& tokenizer_config_json) {
  return capture([&] {
    const auto tj = read_json(tokenizer_json);
    std::optional<json> cfg;
    if (tokenizer_config_json) cfg = read_json(*tokenizer_config_json);
    return hf_tokenizer_from_json(tj, cfg ? &*cfg : nullptr, tokenizer_json.string()).value();
  });
}

HfTokenizerFiles to_hf_tokenizer(const TokenizerData& d) {
  if (d.model != TokenizerModel::bpe)
    throw unsupported_error("exporting a SentencePiece (GGUF \"llama\") tokenizer to tokenizer.json is not implemented").at_key("tokenizer.ggml.model");
  const std::string pre_name = d.pre.empty() ? "default" : d.pre;
  const auto* spec = find_pre_tokenizer(pre_name);
  if (!spec) throw unsupported_error("pre-tokenizer \"" + pre_name + "\" has no tokenizer.json form").at_key("pre");
  const auto n = d.tokens.size();
  // Every special id is looked up in the vocabulary below: one outside it is an error, never a read past the end.
  for (const auto& [key, id] : {std::pair<const char*, const std::optional<std::int64_t>*>{"bos_token", &d.bos_id},
                                {"eos_token", &d.eos_id}, {"pad_token", &d.pad_id}, {"unk_token", &d.unk_id},
                                {"sep_token", &d.sep_id}})
    if (*id && (**id < 0 || static_cast<std::uint64_t>(**id) >= n))
      throw validation_error(std::string(key) + ": expected a token id in [0, " + std::to_string(n) + ") (the vocabulary size), found " +
                             std::to_string(**id))
          .at_key(key);
  if (!d.token_types.empty() && d.token_types.size() != n)
    throw validation_error("token_types: expected " + std::to_string(n) + " entries (one per token), found " +
                           std::to_string(d.token_types.size()))
        .at_key("token_type");
  auto type_of = [&](std::size_t i) { return d.token_types.empty() ? kTokenNormal : d.token_types[i]; };
  std::vector<std::uint8_t> not_special(n, 0);
  for (auto id : d.hf_not_special)
    if (id >= 0 && static_cast<std::size_t>(id) < n) not_special[static_cast<std::size_t>(id)] = 1;

  HfTokenizerFiles f;
  auto& tj = f.tokenizer_json;
  tj["version"] = "1.0";
  tj["truncation"] = nullptr;
  tj["padding"] = nullptr;
  json added = json::array();
  json vocab = json::object();
  for (std::size_t i = 0; i < n; ++i) {
    const auto t = type_of(i);
    vocab[d.tokens[i]] = i;  // "[PAD<id>]" unused fillers included: they keep the vocabulary size
    if (t == kTokenControl || t == kTokenUnknown || t == kTokenUserDefined) {
      added.push_back({{"id", i}, {"content", d.tokens[i]}, {"single_word", false}, {"lstrip", false}, {"rstrip", false},
                       {"normalized", false}, {"special", t != kTokenUserDefined && !not_special[i]}});
    }
  }
  tj["added_tokens"] = std::move(added);
  tj["normalizer"] = d.normalizer == "NFC" ? json{{"type", "NFC"}} : json(nullptr);
  json seq = json::array();
  for (const auto& r : spec->regexes)
    seq.push_back({{"type", "Split"}, {"pattern", {{"Regex", r}}}, {"behavior", "Isolated"}, {"invert", false}});
  const json byte_level = {{"type", "ByteLevel"}, {"add_prefix_space", false}, {"trim_offsets", false}, {"use_regex", false}};
  seq.push_back(byte_level);
  tj["pre_tokenizer"] = {{"type", "Sequence"}, {"pretokenizers", seq}};
  const bool bos = d.add_bos.value_or(false) && d.bos_id;
  const bool eos = d.add_eos.value_or(false) && d.eos_id;
  if (bos || eos) {
    json single = json::array(), pair = json::array(), special = json::object();
    auto add_special = [&](std::int64_t id, std::int64_t type_id, json& list) {
      const auto& text = d.tokens[static_cast<std::size_t>(id)];
      list.push_back({{"SpecialToken", {{"id", text}, {"type_id", type_id}}}});
      special[text] = {{"id", text}, {"ids", {id}}, {"tokens", {text}}};
    };
    if (bos) add_special(*d.bos_id, 0, single);
    single.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    if (eos) add_special(*d.eos_id, 0, single);
    if (bos) add_special(*d.bos_id, 1, pair);
    pair.push_back({{"Sequence", {{"id", "A"}, {"type_id", 0}}}});
    if (eos) add_special(*d.eos_id, 0, pair);
    pair.push_back({{"Sequence", {{"id", "B"}, {"type_id", 1}}}});
    if (eos) add_special(*d.eos_id, 1, pair);
    tj["post_processor"] = {{"type", "TemplateProcessing"}, {"single", single}, {"pair", pair}, {"special_tokens", special}};
  } else {
    tj["post_processor"] = byte_level;
  }
  tj["decoder"] = byte_level;
  json merges = json::array();
  for (const auto& m : d.merges) merges.push_back(m);
  tj["model"] = {{"type", "BPE"}, {"dropout", nullptr}, {"unk_token", nullptr}, {"continuing_subword_prefix", nullptr},
                 {"end_of_word_suffix", nullptr}, {"fuse_unk", false}, {"byte_fallback", false},
                 {"ignore_merges", spec->ignore_merges}, {"vocab", std::move(vocab)}, {"merges", std::move(merges)}};

  auto& cfg = f.tokenizer_config_json;
  cfg["tokenizer_class"] = "PreTrainedTokenizerFast";
  cfg["clean_up_tokenization_spaces"] = false;
  auto tok_text = [&](const std::optional<std::int64_t>& id) -> json {
    if (!id) return nullptr;
    return d.tokens[static_cast<std::size_t>(*id)];
  };
  cfg["bos_token"] = tok_text(d.bos_id);
  cfg["eos_token"] = tok_text(d.eos_id);
  cfg["pad_token"] = tok_text(d.pad_id);
  cfg["unk_token"] = tok_text(d.unk_id);
  if (d.sep_id) cfg["sep_token"] = tok_text(d.sep_id);
  if (d.add_bos) cfg["add_bos_token"] = *d.add_bos;
  if (d.add_eos) cfg["add_eos_token"] = *d.add_eos;
  if (d.add_space_prefix && !*d.add_space_prefix) cfg["add_prefix_space"] = false;
  if (!d.chat_template.empty()) cfg["chat_template"] = d.chat_template;
  return f;
}

}  // namespace apr::tok
