#include "engine/prompt.hpp"

namespace apr::engine {

Result<PromptBuilder> PromptBuilder::create(const Engine& e) {
  return capture([&]() -> PromptBuilder {
    PromptBuilder b;
    b.tok_ = e.tokenizer();
    const auto& m = e.model();
    b.model_name_ = m.provenance.source_file.string();
    if (!b.tok_)
      throw validation_error("engine: the model has no tokenizer; expected tokenizer data to encode prompts")
          .at_path(b.model_name_);
    const auto& td = m.tokenizer;
    if (!td.chat_template.empty()) {
      auto t = tok::ChatTemplate::parse(td.chat_template);
      if (!t) throw Error(t.error()).with_context("parsing the model's chat template");
      b.tmpl_.emplace(std::move(t.value()));
    }
    if (td.bos_id) b.bos_text_ = b.tok_->token_text(static_cast<std::int32_t>(*td.bos_id));
    if (td.eos_id) b.eos_text_ = b.tok_->token_text(static_cast<std::int32_t>(*td.eos_id));
    return b;
  });
}

std::vector<std::int32_t> PromptBuilder::text(const std::string& prompt) const {
  return tok_->encode(prompt, true, std::nullopt);
}

Result<std::string> PromptBuilder::render_chat(const nlohmann::json& messages, bool add_generation_prompt) const {
  if (!tmpl_)
    return validation_error("engine: the model has no chat template (tokenizer.chat_template); expected one for chat")
        .at_path(model_name_);
  tok::ChatTemplateOptions o;
  o.add_generation_prompt = add_generation_prompt;
  o.bos_token = bos_text_;
  o.eos_token = eos_text_;
  return tmpl_->render(messages, o);
}

Result<std::vector<std::int32_t>> PromptBuilder::chat(const nlohmann::json& messages, bool add_generation_prompt) const {
  auto s = render_chat(messages, add_generation_prompt);
  if (!s) return s.error();
  return tok_->encode(s.value(), true, false);
}

nlohmann::json single_turn(const std::string& user, const std::optional<std::string>& system) {
  auto msgs = nlohmann::json::array();
  if (system) msgs.push_back({{"role", "system"}, {"content", *system}});
  msgs.push_back({{"role", "user"}, {"content", user}});
  return msgs;
}

}  // namespace apr::engine
