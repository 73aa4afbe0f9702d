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
#include "tokenizer/jinja_budget.hpp"

namespace apr::tok::jinja {

// max_steps and max_built_bytes: the render budget (jinja_budget.hpp; the defaults are the limits
// every apr-qa command uses).
std::string render_template(const Body& program, const Dict& variables, std::uint64_t max_steps = kMaxSteps,
                            std::uint64_t max_built_bytes = kMaxBuiltBytes);

}  // namespace apr::tok::jinja
