// Oracle helper: renders chat templates with apr::tok::ChatTemplate for the jinja2 comparison
// in tests/oracle/test_tokenizer_chat_templates.py.
//
//   oracle_tokenizer_chat_render TEMPLATE_FILE CASE_JSON_FILE   -> prints the rendering, exit 0;
//                                                                  on error prints it to stderr, exit 1
//   oracle_tokenizer_chat_render --batch CASES_JSONL             -> one JSON result line per case
//
// A case is a JSON object with "template" (path) or "template_text" (source), and either
//   "variables": {...}   all template variables, rendered with render_ordered (key order kept), or
//   "messages": [...], "options": {add_generation_prompt, bos_token, eos_token, tools, extra}
//                        rendered with the agreed render(messages, ChatTemplateOptions) API.
// Result line: {"ok": true, "text": ...} or {"ok": false, "stage": "parse"|"render",
// "category": ..., "error": ...}.
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "tokenizer/chat_template.hpp"

namespace {

using ojson = nlohmann::ordered_json;

std::string read_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

ojson run_case(const ojson& c, std::map<std::string, apr::tok::ChatTemplate>& cache) {
  std::string src = c.contains("template_text") ? c.at("template_text").get<std::string>()
                                                : read_file(c.at("template").get<std::string>());
  auto it = cache.find(src);
  if (it == cache.end()) {
    auto t = apr::tok::ChatTemplate::parse(src);
    if (!t) {
      return ojson{{"ok", false}, {"stage", "parse"}, {"category", apr::to_string(t.error().category())},
                   {"error", t.error().what()}};
    }
    it = cache.emplace(src, std::move(t.value())).first;
  }
  apr::Result<std::string> r = std::string();
  if (c.contains("variables")) {
    r = it->second.render_ordered(c.at("variables"));
  } else {
    apr::tok::ChatTemplateOptions o;
    ojson opts = c.value("options", ojson::object());
    o.add_generation_prompt = opts.value("add_generation_prompt", true);
    o.bos_token = opts.value("bos_token", std::string());
    o.eos_token = opts.value("eos_token", std::string());
    if (opts.contains("tools")) o.tools = nlohmann::json::parse(opts.at("tools").dump());
    if (opts.contains("extra")) o.extra = nlohmann::json::parse(opts.at("extra").dump());
    r = it->second.render(nlohmann::json::parse(c.at("messages").dump()), o);
  }
  if (!r) {
    return ojson{{"ok", false}, {"stage", "render"}, {"category", apr::to_string(r.error().category())},
                 {"error", r.error().what()}};
  }
  return ojson{{"ok", true}, {"text", r.value()}};
}

}  // namespace

int main(int argc, char** argv) {
  try {
    std::map<std::string, apr::tok::ChatTemplate> cache;
    if (argc == 3 && std::string(argv[1]) == "--batch") {
      std::ifstream in(argv[2]);
      if (!in) {
        std::cerr << "cannot open " << argv[2] << "\n";
        return 2;
      }
      std::string line;
      while (std::getline(in, line)) {
        if (line.empty()) continue;
        std::cout << run_case(ojson::parse(line), cache).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      }
      return 0;
    }
    if (argc == 3) {
      ojson c = ojson::parse(read_file(argv[2]));
      c["template"] = argv[1];
      ojson r = run_case(c, cache);
      if (!r["ok"].get<bool>()) {
        std::cerr << r["error"].get<std::string>() << "\n";
        return 1;
      }
      std::cout << r["text"].get<std::string>();
      return 0;
    }
    std::cerr << "usage: oracle_tokenizer_chat_render TEMPLATE_FILE CASE_JSON | --batch CASES_JSONL\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return 2;
  }
}
