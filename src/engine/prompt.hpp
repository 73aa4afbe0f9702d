// apr-qa engine: turning user text or a chat conversation into prompt token ids with the
// model's own tokenizer and chat template.
//
// - text(): encode with parse_special=true and the tokenizer's default BOS rule (add_bos unset).
// - chat(): render the model's chat template (tokenizer.chat_template) with transformers'
//   variables (messages, add_generation_prompt, bos_token/eos_token as the tokens' text), then
//   encode the rendered string with parse_special=true and add_bos=false — the template itself
//   writes any BOS, as transformers' apply_chat_template(tokenize=True) does.
// Errors: a model without a tokenizer, or chat() on a model without a chat template, is a
// validation apr::Error saying so; template parse/render errors are passed through.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.hpp"
#include "engine/engine.hpp"
#include "tokenizer/chat_template.hpp"

namespace apr::engine {

class PromptBuilder {
 public:
  static Result<PromptBuilder> create(const Engine& e);

  std::vector<std::int32_t> text(const std::string& prompt) const;
  // messages: [{"role": "...", "content": "..."}, ...]
  Result<std::string> render_chat(const nlohmann::json& messages, bool add_generation_prompt = true) const;
  Result<std::vector<std::int32_t>> chat(const nlohmann::json& messages, bool add_generation_prompt = true) const;
  bool has_chat_template() const { return tmpl_.has_value(); }

 private:
  const tok::Tokenizer* tok_ = nullptr;
  std::optional<tok::ChatTemplate> tmpl_;
  std::string bos_text_, eos_text_;
  std::string model_name_;
};

// Messages for a single user turn with an optional system prompt.
nlohmann::json single_turn(const std::string& user, const std::optional<std::string>& system);

}  // namespace apr::engine
