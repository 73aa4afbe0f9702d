// apr-qa chat templates: expression parsing, jinja2 3.1 precedence from loosest to tightest:
// inline if-else, or, and, not, comparisons (incl. in / not in), + -, ~, * / // %, **,
// unary - +, then postfix . [] () together with filters (|) and tests (is).
#include "tokenizer/jinja_parser.hpp"
#include "tokenizer/jinja_parser_impl.hpp"

namespace apr::tok::jinja {

ExprPtr Parser::make(ExprKind k, const Token& at) {
  auto e = node_at<Expr>(at);
  e->kind = k;
  return e;
}

bool Parser::tuple_end(const std::set<std::string>& extra, bool explicit_parens) const {
  if (cur().type == Tok::var_end || cur().type == Tok::block_end || cur().type == Tok::eof) return true;
  if (explicit_parens && is_op(")")) return true;
  return cur().type == Tok::name && extra.count(cur().text);
}

ExprPtr Parser::tuple(bool with_condexpr, bool explicit_parens, const std::set<std::string>& extra) {
  const Token& start = cur();
  std::vector<ExprPtr> items;
  bool is_tuple = false;
  while (true) {
    if (!items.empty()) expect_op(",");
    if (tuple_end(extra, explicit_parens)) break;
    items.push_back(expression(with_condexpr));
    if (is_op(",")) is_tuple = true;
    else break;
  }
  if (!is_tuple) {
    if (items.size() == 1) return std::move(items[0]);
    if (!explicit_parens) error("expected an expression, found " + describe(cur()));
  }
  auto e = make(ExprKind::tuple, start);
  e->kids = std::move(items);
  return e;
}

ExprPtr Parser::condexpr() {
  ExprPtr e = or_expr();
  while (is_name("if")) {
    auto c = make(ExprKind::condexpr, cur());
    next();
    ExprPtr test = or_expr();
    ExprPtr other;
    if (is_name("else")) {
      next();
      other = condexpr();
    }
    c->kids.push_back(std::move(test));
    c->kids.push_back(std::move(e));
    c->kids.push_back(std::move(other));
    e = std::move(c);
  }
  return e;
}

ExprPtr Parser::binary(const char* op, ExprPtr l, ExprPtr r, const Token& at) {
  auto e = make(ExprKind::binary, at);
  e->name = op;
  e->kids.push_back(std::move(l));
  e->kids.push_back(std::move(r));
  return e;
}

ExprPtr Parser::or_expr() {
  ExprPtr l = and_expr();
  while (is_name("or")) {
    Token at = cur();
    next();
    l = binary("or", std::move(l), and_expr(), at);
  }
  return l;
}

ExprPtr Parser::and_expr() {
  ExprPtr l = not_expr();
  while (is_name("and")) {
    Token at = cur();
    next();
    l = binary("and", std::move(l), not_expr(), at);
  }
  return l;
}

ExprPtr Parser::not_expr() {
  Nest nest(*this);
  if (is_name("not")) {
    auto e = make(ExprKind::unary, cur());
    next();
    e->name = "not";
    e->kids.push_back(not_expr());
    return e;
  }
  return compare();
}

ExprPtr Parser::compare() {
  const Token& start = cur();
  ExprPtr first = math1();
  std::vector<std::string> ops;
  std::vector<ExprPtr> rest;
  while (true) {
    static const std::set<std::string> cmp = {"==", "!=", "<", ">", "<=", ">="};
    if (cur().type == Tok::op && cmp.count(cur().text)) {
      ops.push_back(cur().text);
      next();
    } else if (is_name("in")) {
      ops.push_back("in");
      next();
    } else if (is_name("not") && peek().type == Tok::name && peek().text == "in") {
      ops.push_back("not in");
      next();
      next();
    } else {
      break;
    }
    rest.push_back(math1());
  }
  if (ops.empty()) return first;
  auto e = make(ExprKind::compare, start);
  e->kids.push_back(std::move(first));
  for (auto& r : rest) e->kids.push_back(std::move(r));
  e->ops = std::move(ops);
  return e;
}

ExprPtr Parser::math1() {
  ExprPtr l = concat();
  while (is_op("+") || is_op("-")) {
    Token at = cur();
    next();
    l = binary(at.text == "+" ? "+" : "-", std::move(l), concat(), at);
  }
  return l;
}

ExprPtr Parser::concat() {
  const Token& start = cur();
  ExprPtr first = math2();
  if (!is_op("~")) return first;
  auto e = make(ExprKind::concat, start);
  e->kids.push_back(std::move(first));
  while (is_op("~")) {
    next();
    e->kids.push_back(math2());
  }
  return e;
}

ExprPtr Parser::math2() {
  ExprPtr l = pow_expr();
  while (is_op("*") || is_op("/") || is_op("//") || is_op("%")) {
    Token at = cur();
    next();
    static const std::set<std::string> names = {"*", "/", "//", "%"};
    l = binary(names.find(at.text)->c_str(), std::move(l), pow_expr(), at);
  }
  return l;
}

ExprPtr Parser::pow_expr() {
  ExprPtr l = unary(true);
  while (is_op("**")) {
    Token at = cur();
    next();
    l = binary("**", std::move(l), unary(true), at);
  }
  return l;
}

ExprPtr Parser::unary(bool with_filter) {
  Nest nest(*this);
  ExprPtr node;
  if (is_op("-") || is_op("+")) {
    auto e = make(ExprKind::unary, cur());
    e->name = cur().text == "-" ? "-" : "+";
    next();
    e->kids.push_back(unary(false));
    node = std::move(e);
  } else {
    node = primary();
  }
  node = postfix(std::move(node));
  if (with_filter) node = filter_expr(std::move(node));
  return node;
}

ExprPtr Parser::primary() {
  const Token& tk = cur();
  switch (tk.type) {
    case Tok::name: {
      auto e = make(ExprKind::literal, tk);
      const std::string& n = tk.text;
      if (n == "true" || n == "True") e->value = Value::boolean(true);
      else if (n == "false" || n == "False") e->value = Value::boolean(false);
      else if (n == "none" || n == "None") e->value = Value::none();
      else {
        e->kind = ExprKind::name;
        e->name = n;
      }
      next();
      return e;
    }
    case Tok::string: {
      auto e = make(ExprKind::literal, tk);
      std::string s;
      while (cur().type == Tok::string) {
        s += cur().text;
        next();
      }
      e->value = Value::string(std::move(s));
      return e;
    }
    case Tok::integer: {
      auto e = make(ExprKind::literal, tk);
      e->value = Value::integer(tk.ival);
      next();
      return e;
    }
    case Tok::floating: {
      auto e = make(ExprKind::literal, tk);
      e->value = Value::floating(tk.fval);
      next();
      return e;
    }
    case Tok::op:
      if (tk.text == "(") {
        next();
        ExprPtr e = tuple(true, true, {});
        expect_op(")");
        return e;
      }
      if (tk.text == "[") {
        auto e = make(ExprKind::list, tk);
        next();
        while (!is_op("]")) {
          if (!e->kids.empty()) expect_op(",");
          if (is_op("]")) break;
          e->kids.push_back(expression(true));
        }
        next();
        return e;
      }
      if (tk.text == "{") {
        auto e = make(ExprKind::dict, tk);
        next();
        while (!is_op("}")) {
          if (!e->kids.empty()) expect_op(",");
          if (is_op("}")) break;
          e->kids.push_back(expression(true));
          expect_op(":");
          e->kids.push_back(expression(true));
        }
        next();
        return e;
      }
      break;
    default:
      break;
  }
  error("unexpected " + describe(tk) + " in expression");
}

ExprPtr Parser::postfix(ExprPtr node) {
  while (true) {
    if (is_op(".")) {
      Token at = cur();
      next();
      if (cur().type == Tok::name) {
        auto e = make(ExprKind::getattr, at);
        e->name = cur().text;
        e->kids.push_back(std::move(node));
        next();
        node = std::move(e);
      } else if (cur().type == Tok::integer) {
        auto e = make(ExprKind::getitem, at);
        auto k = make(ExprKind::literal, cur());
        k->value = Value::integer(cur().ival);
        e->kids.push_back(std::move(node));
        e->kids.push_back(std::move(k));
        next();
        node = std::move(e);
      } else {
        error("expected an attribute name after '.', found " + describe(cur()));
      }
    } else if (is_op("[")) {
      Token at = cur();
      next();
      std::vector<ExprPtr> keys;
      while (!is_op("]")) {
        if (!keys.empty()) expect_op(",");
        keys.push_back(subscribed());
      }
      next();
      if (keys.empty()) error("expected a subscript");
      auto e = make(ExprKind::getitem, at);
      e->kids.push_back(std::move(node));
      if (keys.size() == 1) {
        e->kids.push_back(std::move(keys[0]));
      } else {
        auto t = make(ExprKind::tuple, at);
        t->kids = std::move(keys);
        e->kids.push_back(std::move(t));
      }
      node = std::move(e);
    } else if (is_op("(")) {
      node = call(std::move(node));
    } else {
      return node;
    }
  }
}

ExprPtr Parser::subscribed() {
  const Token& at = cur();
  std::vector<ExprPtr> parts;
  if (is_op(":")) {
    next();
    parts.push_back(nullptr);
  } else {
    ExprPtr e = expression(true);
    if (!is_op(":")) return e;
    next();
    parts.push_back(std::move(e));
  }
  if (is_op(":") || is_op("]") || is_op(",")) parts.push_back(nullptr);
  else parts.push_back(expression(true));
  if (is_op(":")) {
    next();
    if (is_op("]") || is_op(",")) parts.push_back(nullptr);
    else parts.push_back(expression(true));
  } else {
    parts.push_back(nullptr);
  }
  auto s = make(ExprKind::slice, at);
  s->kids = std::move(parts);
  return s;
}

CallArgs Parser::call_args() {
  expect_op("(");
  CallArgs a;
  bool first = true;
  while (!is_op(")")) {
    if (!first) expect_op(",");
    first = false;
    if (is_op(")")) break;
    if (is_op("*")) {
      next();
      a.dyn_args = expression(true);
    } else if (is_op("**")) {
      next();
      a.dyn_kwargs = expression(true);
    } else if (cur().type == Tok::name && peek().type == Tok::op && peek().text == "=") {
      std::string k = cur().text;
      next();
      next();
      a.kw.emplace_back(k, expression(true));
    } else {
      if (!a.kw.empty() || a.dyn_args || a.dyn_kwargs) error("positional argument follows keyword argument");
      a.pos.push_back(expression(true));
    }
  }
  next();
  return a;
}

ExprPtr Parser::call(ExprPtr callee) {
  auto e = make(ExprKind::call, cur());
  e->args = call_args();
  e->kids.push_back(std::move(callee));
  return e;
}

std::string Parser::dotted_name() {
  std::string n = expect_name();
  while (is_op(".")) {
    next();
    n += "." + expect_name();
  }
  return n;
}

ExprPtr Parser::filter_node(ExprPtr operand) {
  const Token name_tok = cur();
  auto e = make(ExprKind::filter, name_tok);
  e->name = dotted_name();
  if (!has_filter(e->name))
    throw TemplateError{Kd::unsupported, "unsupported filter '" + e->name + "'", name_tok.line, name_tok.col};
  if (is_op("(")) e->args = call_args();
  e->kids.push_back(std::move(operand));
  return e;
}

ExprPtr Parser::filter_expr(ExprPtr node) {
  while (true) {
    if (is_op("|")) {
      next();
      node = filter_node(std::move(node));
    } else if (is_name("is")) {
      auto e = make(ExprKind::test, cur());
      next();
      if (is_name("not")) {
        e->negated = true;
        next();
      }
      const Token& name_tok = cur();
      e->name = dotted_name();
      if (!has_test(e->name))
        throw TemplateError{Kd::unsupported, "unsupported test '" + e->name + "'", name_tok.line, name_tok.col};
      if (is_op("(")) {
        e->args = call_args();
      } else if ((cur().type == Tok::name || cur().type == Tok::string || cur().type == Tok::integer ||
                  cur().type == Tok::floating || is_op("(") || is_op("[") || is_op("{")) &&
                 !is_name("else") && !is_name("or") && !is_name("and")) {
        if (is_name("is")) error("You cannot chain multiple tests with is");
        e->args.pos.push_back(postfix(primary()));
      }
      e->kids.push_back(std::move(node));
      node = std::move(e);
    } else if (is_op("(")) {
      node = call(std::move(node));
    } else {
      return node;
    }
  }
}
}  // namespace apr::tok::jinja
