// apr-qa chat templates: abstract syntax tree produced by the parser, walked by the evaluator.
// Every node records the line:column of its first token for error messages.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "tokenizer/jinja_value.hpp"

namespace apr::tok::jinja {

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

enum class ExprKind {
  literal,    // value
  name,       // name
  list,       // kids
  tuple,      // kids
  dict,       // kids: key0, value0, key1, value1, ...
  getattr,    // kids[0], name
  getitem,    // kids[0] object, kids[1] key
  slice,      // kids: start, stop, step (null = omitted); only as a getitem key
  call,       // kids[0] callee, args
  filter,     // kids[0] operand (null inside a filter block), name, args
  test,       // kids[0] operand, name, args; negated
  unary,      // op ("-", "+", "not"), kids[0]
  binary,     // op ("+","-","*","/","//","%","**","and","or"), kids[0], kids[1]
  compare,    // kids[0] first operand, then ops[k] with kids[k+1]
  concat,     // kids joined with str()
  condexpr,   // kids: test, then-value, else-value (null = undefined)
};

// Arguments of a call, filter or test: positional, keyword, *args and **kwargs.
struct CallArgs {
  std::vector<ExprPtr> pos;
  std::vector<std::pair<std::string, ExprPtr>> kw;
  ExprPtr dyn_args, dyn_kwargs;
};

struct Expr {
  ExprKind kind = ExprKind::literal;
  int line = 0, col = 0;
  Value value;
  std::string name;  // name, attribute, filter/test name or operator
  std::vector<ExprPtr> kids;
  std::vector<std::string> ops;  // compare operators
  CallArgs args;
  bool negated = false;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class StmtKind {
  data,       // text
  output,     // {{ expr }}
  if_,        // conds[k] -> bodies[k]; else_body
  for_,       // targets, expr (iterable), cond (loop filter, may be null), body, else_body
  set,        // target (name / tuple of names / ns.attr), expr
  set_block,  // target name, filters applied to the captured body, body
  macro,      // name, params (defaults in defaults), body
  call_block, // expr (the call), params (caller's), body
  filter_block,  // filters, body
  with,       // targets[k] = values[k], body
  break_,
  continue_,
};

struct Stmt {
  StmtKind kind = StmtKind::data;
  int line = 0, col = 0;
  std::string text;
  ExprPtr expr, cond;
  std::vector<ExprPtr> conds;
  std::vector<Body> bodies;
  Body body, else_body;
  std::vector<std::string> targets;  // for loop / set names; set to ns attribute: {ns, attr} with attr_target
  bool attr_target = false;
  bool tuple_target = false;
  std::vector<std::string> params;
  std::vector<ExprPtr> defaults;  // one per param, null = required
  std::vector<ExprPtr> values;    // with-statement values
  std::vector<ExprPtr> filters;   // filter chain (filter exprs with null operand)
};

}  // namespace apr::tok::jinja
