// apr-qa chat templates: the Jinja lexer, configured as transformers configures jinja2
// (trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False, default delimiters).
//
// Contract: line endings (\r\n, \r, \n) become \n and one trailing newline of the source is
// dropped; comments vanish; `{%- -%}`/`{{- -}}`/`{#- -#}` strip adjacent whitespace; `{%+`
// disables lstrip; a block or comment tag's first following newline is removed (trim_blocks);
// whitespace between a line start and `{%`/`{#` is removed (lstrip_blocks); `{% raw %}` bodies
// are data. Syntax problems throw TemplateError(syntax) with line:column.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace apr::tok::jinja {

enum class Tok { data, var_begin, var_end, block_begin, block_end, name, string, integer, floating, op, eof };

struct Token {
  Tok type = Tok::eof;
  std::string text;  // data text, name, operator, decoded string literal
  std::int64_t ival = 0;
  double fval = 0.0;
  int line = 1, col = 1;
};

std::vector<Token> lex(const std::string& source);
const char* tok_name(Tok t);

}  // namespace apr::tok::jinja
