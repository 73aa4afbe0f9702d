// apr-qa chat templates: recursive-descent parser for the Jinja subset (jinja2 3.1 grammar and
// operator precedence). Throws TemplateError (syntax or unsupported) with line:column; tags and
// filters/tests outside the supported subset are rejected here, not at render time.
#pragma once

#include <string>

#include "tokenizer/jinja_ast.hpp"

namespace apr::tok::jinja {

Body parse_template(const std::string& source);

// Filter and test names the evaluator implements (checked at parse time like jinja2 does).
bool has_filter(const std::string& name);
bool has_test(const std::string& name);

}  // namespace apr::tok::jinja
