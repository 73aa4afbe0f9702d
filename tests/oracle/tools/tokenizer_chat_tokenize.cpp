// Oracle helper: a model's chat prompt as token ids, the way transformers'
// apply_chat_template(..., tokenize=True) produces them: the chat_template of
// tokenizer_config.json rendered with apr::tok::ChatTemplate (bos/eos token strings from the
// tokenizer's bos/eos ids, as transformers passes its special tokens), then encoded with
// apr::tok::Tokenizer with special tokens parsed and no BOS/EOS added (add_special_tokens=False).
//
//   oracle_tokenizer_chat_tokenize TOKENIZER_JSON TOKENIZER_CONFIG_JSON CASES_JSONL
// Each case line: {"messages": [...], "add_generation_prompt": bool, "tools": [...]|null}.
// Output: one line per case, {"ok": true, "text": ..., "ids": [...]} or {"ok": false, "error": ...}.
// Exit 2 when the tokenizer or its template cannot be loaded.
#include <fstream>
#include <iostream>

#include "tokenizer/chat_template.hpp"
#include "tokenizer/hf_json.hpp"
#include "tokenizer/tokenizer.hpp"

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: oracle_tokenizer_chat_tokenize TOKENIZER_JSON TOKENIZER_CONFIG_JSON CASES_JSONL\n";
    return 2;
  }
  auto data = apr::tok::load_hf_tokenizer(argv[1], std::filesystem::path(argv[2]));
  if (!data) {
    std::cerr << data.error().what() << "\n";
    return 2;
  }
  auto tok = apr::tok::Tokenizer::from_data(data.value());
  if (!tok) {
    std::cerr << tok.error().what() << "\n";
    return 2;
  }
  auto tmpl = apr::tok::ChatTemplate::parse(data->chat_template);
  if (!tmpl) {
    std::cerr << tmpl.error().what() << "\n";
    return 2;
  }
  auto token_string = [&](std::optional<std::int64_t> id) {
    if (!id || *id < 0 || static_cast<std::size_t>(*id) >= data->tokens.size()) return std::string();
    return tok->token_text(static_cast<std::int32_t>(*id));
  };
  std::ifstream in(argv[3]);
  if (!in) {
    std::cerr << "cannot open " << argv[3] << "\n";
    return 2;
  }
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    nlohmann::json c = nlohmann::json::parse(line);
    apr::tok::ChatTemplateOptions o;
    o.add_generation_prompt = c.value("add_generation_prompt", false);
    o.bos_token = token_string(data->bos_id);
    o.eos_token = token_string(data->eos_id);
    if (c.contains("tools")) o.tools = c["tools"];
    auto text = tmpl->render(c.at("messages"), o);
    nlohmann::json out;
    if (!text) {
      out = {{"ok", false}, {"error", text.error().what()}};
    } else {
      out = {{"ok", true}, {"text", text.value()}, {"ids", tok->encode(text.value(), true, false)}};
    }
    std::cout << out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }
  return 0;
}
