// apr-qa tokenizer layer: ChatTemplate (see chat_template.hpp) on top of the Jinja interpreter.
#include "tokenizer/chat_template.hpp"

#include "tokenizer/jinja_eval.hpp"
#include "tokenizer/jinja_json.hpp"
#include "tokenizer/jinja_parser.hpp"

namespace apr::tok {

struct ChatTemplate::Impl {
  std::string source;
  jinja::Body program;
};

namespace {

std::string where(const jinja::TemplateError& e) {
  if (e.line == 0) return "chat template: ";
  return "chat template line " + std::to_string(e.line) + ":" + std::to_string(e.col) + ": ";
}

Error to_error(const jinja::TemplateError& e) {
  using K = jinja::TemplateError::Kind;
  switch (e.kind) {
    case K::syntax: return parse_error(where(e) + "syntax error: " + e.message);
    case K::unsupported: return unsupported_error(where(e) + e.message);
    case K::undefined: return validation_error(where(e) + "undefined value: " + e.message);
    case K::raised: return validation_error(where(e) + "raise_exception: " + e.message);
    case K::runtime: break;
  }
  return validation_error(where(e) + e.message);
}

}  // namespace

const std::string& ChatTemplate::source() const { return impl_->source; }

Result<ChatTemplate> ChatTemplate::parse(std::string source) {
  try {
    auto impl = std::make_shared<Impl>();
    impl->program = jinja::parse_template(source);
    impl->source = std::move(source);
    return ChatTemplate(std::move(impl));
  } catch (const jinja::TemplateError& e) {
    return to_error(e);
  } catch (const std::exception& e) {  // a library failure inside the interpreter: still bad input
    return validation_error(std::string("chat template: cannot parse: ") + e.what());
  }
}

namespace {

Result<std::string> render_dict(const jinja::Body& program, const jinja::Dict& vars, std::uint64_t max_steps = 0,
                                std::uint64_t max_built_bytes = 0) {
  try {
    return jinja::render_template(program, vars, max_steps ? max_steps : jinja::kMaxSteps,
                                  max_built_bytes ? max_built_bytes : jinja::kMaxBuiltBytes);
  } catch (const jinja::TemplateError& e) {
    return to_error(e);
  } catch (const std::exception& e) {  // a library failure inside the interpreter: still bad input
    return validation_error(std::string("chat template: cannot render: ") + e.what());
  }
}

template <typename Json>
Result<jinja::Value> convert(const Json& j) {
  try {
    return jinja::from_json(j);
  } catch (const jinja::TemplateError& e) {
    return validation_error("chat template input: " + e.message);
  }
}

}  // namespace

Result<std::string> ChatTemplate::render(const nlohmann::json& messages, const ChatTemplateOptions& opts) const {
  if (!opts.extra.is_object()) return validation_error("chat template options: 'extra' must be a JSON object");
  auto msgs = convert(messages);
  if (!msgs) return msgs.error();
  auto tools = convert(opts.tools);
  if (!tools) return tools.error();
  auto extra = convert(opts.extra);
  if (!extra) return extra.error();
  jinja::Dict vars;
  vars.set("messages", *msgs);
  vars.set("tools", *tools);
  vars.set("documents", jinja::Value::none());
  vars.set("add_generation_prompt", jinja::Value::boolean(opts.add_generation_prompt));
  if (!opts.bos_token.empty()) vars.set("bos_token", jinja::Value::string(opts.bos_token));
  if (!opts.eos_token.empty()) vars.set("eos_token", jinja::Value::string(opts.eos_token));
  for (const auto& kv : extra->dict->items) vars.set(kv.first, kv.second);
  return render_dict(impl_->program, vars, opts.max_steps, opts.max_built_bytes);
}

Result<std::string> ChatTemplate::render_ordered(const nlohmann::ordered_json& variables) const {
  if (!variables.is_object()) return validation_error("chat template variables must be a JSON object");
  auto v = convert(variables);
  if (!v) return v.error();
  return render_dict(impl_->program, *v->dict);
}

}  // namespace apr::tok
