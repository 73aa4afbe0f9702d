// apr-qa tokenizer layer: a model's chat template (Jinja source from tokenizer_config.json
// `chat_template` or GGUF `tokenizer.chat_template`), parsed once and rendered for conversations.
//
// Contract: rendering equals transformers' apply_chat_template(..., tokenize=False) byte for byte
// (jinja2 ImmutableSandboxedEnvironment with trim_blocks, lstrip_blocks, transformers' tojson and
// raise_exception), for the Jinja subset documented in docs/chat-templates.md. No model-specific
// code: any template in the subset works; anything outside it is an Error at parse() naming the
// construct and its line:column, never a silent fallback.
//   parse():  syntax errors -> ErrorCategory::parse; unsupported tags/filters/tests -> unsupported.
//   render(): the variables are those transformers passes: messages, tools (None when null),
//             documents (None), add_generation_prompt, bos_token/eos_token (only when non-empty,
//             as transformers passes only the special tokens a tokenizer has), then opts.extra
//             (which may override any of them). Runtime failures (undefined value used, type
//             errors, raise_exception(msg)) -> ErrorCategory::validation with the message and the
//             template line:column.
// Key order: nlohmann::json sorts object keys, so `tojson` of tool schemas shows sorted keys;
// render_ordered() takes nlohmann::ordered_json to keep the source order (as Python dicts do).
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/result.hpp"

namespace apr::tok {

struct ChatTemplateOptions {
  bool add_generation_prompt = true;
  std::string bos_token, eos_token;
  nlohmann::json tools;                               // null = none
  nlohmann::json extra = nlohmann::json::object();    // any other variables
  // The render budget (tokenizer/jinja_budget.hpp): evaluation steps and bytes of strings and
  // lists built. 0 = the defaults every apr-qa command uses (5,000,000 steps, 128 MiB); the fuzz
  // target sets smaller ones so that a budget-exceeding input ends in milliseconds under ASan.
  std::uint64_t max_steps = 0, max_built_bytes = 0;
};

class ChatTemplate {
 public:
  static Result<ChatTemplate> parse(std::string source);

  Result<std::string> render(const nlohmann::json& messages, const ChatTemplateOptions& opts) const;
  // All template variables given directly (messages, add_generation_prompt, tools, bos_token, ...),
  // exactly as jinja2's Template.render(**variables) receives them; object key order is kept.
  Result<std::string> render_ordered(const nlohmann::ordered_json& variables) const;

  const std::string& source() const;

 private:
  struct Impl;
  explicit ChatTemplate(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;
};

}  // namespace apr::tok
