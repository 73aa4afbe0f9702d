// apr-qa chat templates: tree-walking evaluator for parsed templates.
//
// Scoping follows jinja2: the render variables form the root scope; each for-loop iteration,
// macro call, call/filter/set block body and with-block gets a child scope, so `set` inside a
// loop does not leak out (namespace() objects are the way to carry state out); if-blocks share
// their enclosing scope. Name lookup: scopes innermost first, then globals (range, namespace,
// dict, raise_exception, strftime_now), else an undefined value.
// Throws TemplateError with the line:column of the innermost failing node.
#pragma once

#include <string>

#include "tokenizer/jinja_ast.hpp"

namespace apr::tok::jinja {

std::string render_template(const Body& program, const Dict& variables);

}  // namespace apr::tok::jinja
