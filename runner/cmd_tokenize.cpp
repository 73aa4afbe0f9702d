// apr-qa tokenize / detokenize: run a model's own tokenizer (GGUF tokenizer.ggml.* or HF
// tokenizer.json) on text or ids, for inspection and scripting.
#include <charconv>
#include <filesystem>
#include <cstdio>
#include <iostream>
#include <iterator>
#include <memory>

#include <nlohmann/json.hpp>

#include "command.hpp"
#include "convert/load.hpp"
#include "core/error.hpp"
#include "formats/detect.hpp"
#include "formats/resolve.hpp"
#include "core/json_parse.hpp"
#include "tokenizer/chat_template.hpp"
#include "tokenizer/load_tokenizer.hpp"
#include "tokenizer/tokenizer.hpp"

namespace apr::cli {
namespace {

using nlohmann::json;

constexpr const char* kModelHelp =
    "MODEL is a GGUF file (its tokenizer.ggml.* metadata; tokenizes as llama.cpp does, without\n"
    "normalization), an APR file (its tokenizer.* metadata), an HF directory holding tokenizer.json\n"
    "(+ tokenizer_config.json), or a tokenizer.json file (tokenizes as HF `tokenizers` does, NFC\n"
    "included when it asks for it). A folder with one model, an HF repo id (org/name) and an HF\n"
    "cache repo folder (models--org--name/) resolve as in every command.\n";

// A tokenizer.json file, or a directory holding one, is read as is; everything else resolves
// like every other command (formats/resolve: a GGUF/SafeTensors/APR file, a folder with one
// model, an HF repo id, an HF cache repo folder) and the model's own tokenizer is used.
tok::TokenizerData load_data(const std::string& model) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::path p(model);
  const bool tokenizer_dir = fs::is_directory(p, ec) && fs::exists(p / "tokenizer.json", ec);
  const bool json_file = fs::is_regular_file(p, ec) && !detect_format_of_file(p).ok();
  if (tokenizer_dir || json_file) {
    auto d = tok::load_tokenizer_data(p);
    if (!d) throw d.error();
    return std::move(d.value());
  }
  auto art = resolve_artifact(model);
  if (!art) throw art.error();
  const auto& a = art.value();
  if (a.format == ModelFormat::gguf) {
    auto d = tok::load_tokenizer_data(a.model_file);
    if (!d) throw d.error();
    return std::move(d.value());
  }
  if (a.format == ModelFormat::safetensors && a.tokenizer_json) {
    auto d = tok::load_tokenizer_data(*a.tokenizer_json);
    if (!d) throw d.error();
    return std::move(d.value());
  }
  convert::LoadOptions lo;
  lo.validate = false;  // only the tokenizer is used
  auto m = convert::load_model(a, lo);
  if (!m) throw m.error();
  return std::move(m.value().tokenizer);
}

tok::Tokenizer load(const std::string& model) {
  auto d = load_data(model);
  auto t = tok::Tokenizer::from_data(d);
  if (!t) throw Error(t.error()).at_path(model);
  return t.value();
}

std::string json_str(const std::string& s) { return json(s).dump(-1, ' ', false, json::error_handler_t::replace); }

struct TokenizeArgs {
  std::string model, text;
  bool ids = false, pieces = false, as_json = false, no_special = false, chat = false, chat_json = false;
  bool no_gen_prompt = false;
  std::string bos = "auto";
};

int run_tokenize(const TokenizeArgs& a) {
  const auto t = load(a.model);
  std::string text = a.text;
  if (text == "-") text.assign(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
  if (a.chat || a.chat_json) {
    const auto& d = t.data();
    if (d.chat_template.empty())
      throw validation_error("--chat: the model has no chat template").at_path(a.model).at_key("chat_template");
    auto tpl = tok::ChatTemplate::parse(d.chat_template);
    if (!tpl) throw Error(tpl.error()).at_path(a.model);
    json messages;
    if (a.chat_json) {
      messages = parse_json_bounded(text, "--chat-json TEXT");
      if (!messages.is_array()) throw parse_error("--chat-json: expected a JSON array of messages, found " + std::string(messages.type_name()));
    } else {
      messages = json::array({{{"role", "user"}, {"content", text}}});
    }
    tok::ChatTemplateOptions o;
    o.add_generation_prompt = !a.no_gen_prompt;
    if (d.bos_id) o.bos_token = d.tokens[static_cast<std::size_t>(*d.bos_id)];
    if (d.eos_id) o.eos_token = d.tokens[static_cast<std::size_t>(*d.eos_id)];
    auto r = tpl.value().render(messages, o);
    if (!r) throw Error(r.error()).at_path(a.model);
    text = r.value();
  }
  std::optional<bool> bos;
  if (a.bos == "yes") bos = true;
  else if (a.bos == "no") bos = false;
  const auto ids = t.encode(text, !a.no_special, bos);
  if (a.as_json) {
    json pieces = json::array();
    for (auto id : ids) pieces.emplace_back(t.data().tokens[static_cast<std::size_t>(id)]);
    json out = {{"ids", ids}, {"count", ids.size()}, {"pieces", pieces}, {"text", text}};
    std::cout << out.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  } else if (a.pieces) {
    for (auto id : ids)
      std::cout << id << "\t" << json_str(std::string(t.data().tokens[static_cast<std::size_t>(id)])) << "\t"
                << json_str(t.token_text(id)) << "\n";
  } else {
    for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
  }
  return kExitOk;
}

struct DetokenizeArgs {
  std::string model;
  std::vector<std::string> ids;
  bool skip_special = false, as_json = false;
};

int run_detokenize(const DetokenizeArgs& a) {
  const auto t = load(a.model);
  std::vector<std::int32_t> ids;
  for (const auto& arg : a.ids) {
    std::size_t i = 0;
    while (i < arg.size()) {
      while (i < arg.size() && (arg[i] == ',' || arg[i] == ' ' || arg[i] == '[' || arg[i] == ']')) ++i;
      if (i >= arg.size()) break;
      std::int64_t v = 0;
      auto [p, ec] = std::from_chars(arg.data() + i, arg.data() + arg.size(), v);
      if (ec != std::errc() || (p != arg.data() + arg.size() && *p != ',' && *p != ' ' && *p != ']'))
        throw parse_error("IDS: expected integers separated by spaces or commas, found \"" + arg + "\"");
      if (v < 0 || v >= t.vocab_size())
        throw validation_error("IDS: expected ids in [0, " + std::to_string(t.vocab_size()) + "), found " + std::to_string(v));
      ids.push_back(static_cast<std::int32_t>(v));
      i = static_cast<std::size_t>(p - arg.data());
    }
  }
  const auto text = t.decode(ids, a.skip_special);
  if (a.as_json) std::cout << json{{"text", text}, {"ids", ids}}.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  else std::cout << text << "\n";
  return kExitOk;
}

const bool registered_tokenize = register_command({
    "tokenize",
    "Tokenize text with a model's own tokenizer (GGUF metadata or tokenizer.json)",
    [](CLI::App& sub) -> RunFn {
      auto a = std::make_shared<TokenizeArgs>();
      sub.footer(std::string(kModelHelp) +
                 "\nTEXT is encoded as is; '-' reads it from stdin. Added/special tokens written inline\n"
                 "(\"<|im_start|>\") become their ids unless --no-special.\n\n"
                 "Output (default --ids): the ids on one line, space-separated. --pieces: one line per token:\n"
                 "id, the token as stored (JSON string), its decoded bytes (JSON string). --json: one object\n"
                 "{ids, count, pieces, text}.\n\n"
                 "Exit codes: 0 ok; 2 malformed/unsupported tokenizer or bad arguments; 3 missing file.");
      sub.add_option("MODEL", a->model, "Model file (GGUF, SafeTensors, APR), directory, HF repo id, or tokenizer.json")->required();
      sub.add_option("TEXT", a->text, "Text to tokenize ('-' reads stdin)")->required();
      auto* o_ids = sub.add_flag("--ids", a->ids, "Print the ids on one line (default)");
      auto* o_pieces = sub.add_flag("--pieces", a->pieces, "Print id, stored token and decoded text, one token per line");
      auto* o_json = sub.add_flag("--json", a->as_json, "Print a JSON object {ids, count, pieces, text}");
      o_ids->excludes(o_pieces)->excludes(o_json);
      o_pieces->excludes(o_json);
      sub.add_flag("--no-special", a->no_special,
                   "Treat control tokens written in TEXT as plain text (llama.cpp parse_special=false; HF "
                   "encode_special_tokens). User-defined tokens are still split, as both do");
      sub.add_option("--bos", a->bos, "Prepend BOS (and append EOS if the tokenizer adds one): auto (the tokenizer's "
                                      "add_bos_token), yes, no")
          ->check(CLI::IsMember({"auto", "yes", "no"}));
      auto* o_chat = sub.add_flag("--chat", a->chat,
                                  "Render the model's chat template for one user message with content TEXT (generation "
                                  "prompt appended), then tokenize the result");
      auto* o_chat_json = sub.add_flag("--chat-json", a->chat_json,
                                       "Like --chat, but TEXT is a JSON array of messages [{\"role\":…,\"content\":…}]");
      o_chat->excludes(o_chat_json);
      sub.add_flag("--no-generation-prompt", a->no_gen_prompt, "With --chat/--chat-json: add_generation_prompt=false");
      return [a] { return run_tokenize(*a); };
    },
});

const bool registered_detokenize = register_command({
    "detokenize",
    "Decode token ids to text with a model's own tokenizer",
    [](CLI::App& sub) -> RunFn {
      auto a = std::make_shared<DetokenizeArgs>();
      sub.footer(std::string(kModelHelp) +
                 "\nIDS are integers separated by spaces or commas (\"1 2 3\", \"1,2,3\", \"[1, 2, 3]\"). Bytes\n"
                 "are reassembled across tokens; invalid UTF-8 becomes U+FFFD. Added tokens print as their\n"
                 "text unless --skip-special (which drops control tokens only).\n\n"
                 "Exit codes: 0 ok; 2 malformed tokenizer, bad or out-of-range ids; 3 missing file.");
      sub.add_option("MODEL", a->model, "Model file (GGUF, SafeTensors, APR), directory, HF repo id, or tokenizer.json")->required();
      sub.add_option("IDS", a->ids, "Token ids")->required();
      sub.add_flag("--skip-special", a->skip_special, "Drop control/special tokens from the output");
      sub.add_flag("--json", a->as_json, "Print {\"text\": …, \"ids\": […]}");
      return [a] { return run_detokenize(*a); };
    },
});

}  // namespace
}  // namespace apr::cli
