// apr-qa chat templates: statement parsing (see jinja_parser.hpp).
#include "tokenizer/jinja_parser.hpp"
#include "tokenizer/jinja_parser_impl.hpp"

namespace apr::tok::jinja {

// Parses statements until `{% <one of ends> %}`; stores which end tag was found in `found`
// and leaves the parser on that tag's name token.
Body Parser::body(const std::set<std::string>& ends, std::string& found) {
  Body out;
  while (true) {
    const Token& tk = cur();
    if (tk.type == Tok::eof) {
      if (!ends.empty()) {
        std::string list;
        for (const auto& e : ends) list += (list.empty() ? "'" : " or '") + e + "'";
        std::string where;
        if (!open_.empty())
          where = " (the '{% " + open_.back().tag + " %}' opened at line " + std::to_string(open_.back().line) + ":" +
                  std::to_string(open_.back().col) + " is not closed)";
        error("unexpected end of template, expected " + list + where);
      }
      return out;
    }
    if (tk.type == Tok::data) {
      auto s = node_at<Stmt>(tk);
      s->kind = StmtKind::data;
      s->text = tk.text;
      out.push_back(std::move(s));
      next();
    } else if (tk.type == Tok::var_begin) {
      auto s = node_at<Stmt>(tk);
      next();
      s->kind = StmtKind::output;
      s->expr = tuple(true, false, {});
      if (cur().type != Tok::var_end) error("expected end of print statement '}}', found " + describe(cur()));
      next();
      out.push_back(std::move(s));
    } else if (tk.type == Tok::block_begin) {
      next();
      if (cur().type == Tok::name && ends.count(cur().text)) {
        found = cur().text;
        return out;
      }
      out.push_back(statement());
    } else {
      error("unexpected " + describe(tk));
    }
  }
}

StmtPtr Parser::statement() {
  Nest nest(*this);
  const Token& tk = cur();
  if (tk.type != Tok::name) error("expected a statement name after '{%', found " + describe(tk));
  const std::string n = tk.text;
  open_.push_back({n, tk.line, tk.col});
  struct Pop {
    std::vector<Open>& v;
    ~Pop() { v.pop_back(); }
  } pop{open_};
  if (n == "if") return if_stmt();
  if (n == "for") return for_stmt();
  if (n == "set") return set_stmt();
  if (n == "macro") return macro_stmt();
  if (n == "call") return call_stmt();
  if (n == "filter") return filter_stmt();
  if (n == "with") return with_stmt();
  if (n == "generation") return generation_stmt();
  if (n == "break" || n == "continue") {
    auto s = node_at<Stmt>(tk);
    s->kind = n == "break" ? StmtKind::break_ : StmtKind::continue_;
    if (loop_depth_ == 0) error("'" + n + "' outside of a for loop");
    next();
    expect_block_end(n == "break" ? "break" : "continue");
    return s;
  }
  if (n == "print") {  // {% print a, b %} outputs each expression
    auto s = node_at<Stmt>(tk);
    s->kind = StmtKind::with;  // a scope-less list of outputs
    next();
    while (cur().type != Tok::block_end) {
      if (!s->body.empty()) expect_op(",");
      auto o = node_at<Stmt>(cur());
      o->kind = StmtKind::output;
      o->expr = expression(true);
      s->body.push_back(std::move(o));
    }
    next();
    return s;
  }
  static const std::set<std::string> unsupported = {"extends", "block", "include", "import", "from",
                                                    "autoescape", "trans", "do"};
  if (unsupported.count(n)) error("unsupported construct '{% " + n + " %}'", Kd::unsupported);
  error("unknown tag '" + n + "'");
}

StmtPtr Parser::if_stmt() {
  auto s = node_at<Stmt>(cur());
  s->kind = StmtKind::if_;
  next();
  while (true) {
    s->conds.push_back(tuple(false, false, {}));
    expect_block_end("if");
    std::string found;
    s->bodies.push_back(body({"elif", "else", "endif"}, found));
    next();
    if (found == "elif") continue;
    if (found == "else") {
      expect_block_end("else");
      s->else_body = body({"endif"}, found);
      next();
    }
    expect_block_end("endif");
    return s;
  }
}

void Parser::assign_targets(Stmt& s, bool allow_ns) {
  bool paren = is_op("(");
  if (paren) next();
  std::string first = expect_name();
  if (allow_ns && !paren && is_op(".")) {
    next();
    s.targets = {first, expect_name()};
    s.attr_target = true;
    return;
  }
  s.targets.push_back(first);
  while (is_op(",")) {
    next();
    s.tuple_target = true;
    if (cur().type != Tok::name) break;
    s.targets.push_back(expect_name());
  }
  if (paren) {
    s.tuple_target = true;
    expect_op(")");
  }
}

StmtPtr Parser::for_stmt() {
  auto s = node_at<Stmt>(cur());
  s->kind = StmtKind::for_;
  next();
  assign_targets(*s, false);
  expect_name("in");
  s->expr = tuple(false, false, {"recursive", "if"});
  if (is_name("if")) {
    next();
    s->cond = expression(true);
  }
  if (is_name("recursive")) error("unsupported construct 'recursive' for loop", Kd::unsupported);
  expect_block_end("for");
  ++loop_depth_;
  std::string found;
  s->body = body({"endfor", "else"}, found);
  --loop_depth_;
  next();
  if (found == "else") {
    expect_block_end("else");
    s->else_body = body({"endfor"}, found);
    next();
  }
  expect_block_end("endfor");
  return s;
}

std::vector<ExprPtr> Parser::filter_chain(bool leading_pipe) {
  std::vector<ExprPtr> out;
  bool first = true;
  while ((first && !leading_pipe) || is_op("|")) {
    if (!(first && !leading_pipe)) next();
    first = false;
    out.push_back(filter_node(nullptr));
  }
  return out;
}

StmtPtr Parser::set_stmt() {
  auto s = node_at<Stmt>(cur());
  next();
  assign_targets(*s, true);
  if (is_op("=")) {
    next();
    s->kind = StmtKind::set;
    s->expr = tuple(true, false, {});
    expect_block_end("set");
    return s;
  }
  if (s->attr_target || s->tuple_target) error("block set requires a single variable name");
  s->kind = StmtKind::set_block;
  if (is_op("|")) s->filters = filter_chain(true);
  expect_block_end("set");
  std::string found;
  int saved = loop_depth_;
  s->body = body({"endset"}, found);
  loop_depth_ = saved;
  next();
  expect_block_end("endset");
  return s;
}

void Parser::param_list(Stmt& s) {
  expect_op("(");
  while (!is_op(")")) {
    if (!s.params.empty()) expect_op(",");
    if (is_op(")")) break;
    s.params.push_back(expect_name());
    if (is_op("=")) {
      next();
      s.defaults.push_back(expression(true));
    } else {
      s.defaults.push_back(nullptr);
    }
  }
  next();
}

StmtPtr Parser::macro_stmt() {
  auto s = node_at<Stmt>(cur());
  s->kind = StmtKind::macro;
  next();
  s->text = expect_name();
  param_list(*s);
  expect_block_end("macro");
  int saved = loop_depth_;
  loop_depth_ = 0;
  std::string found;
  s->body = body({"endmacro"}, found);
  loop_depth_ = saved;
  next();
  if (cur().type == Tok::name && cur().text == s->text) next();
  expect_block_end("endmacro");
  return s;
}

StmtPtr Parser::call_stmt() {
  auto s = node_at<Stmt>(cur());
  s->kind = StmtKind::call_block;
  next();
  if (is_op("(")) param_list(*s);
  s->expr = expression(true);
  if (s->expr->kind != ExprKind::call) error("expected a call expression after 'call'");
  expect_block_end("call");
  int saved = loop_depth_;
  loop_depth_ = 0;
  std::string found;
  s->body = body({"endcall"}, found);
  loop_depth_ = saved;
  next();
  expect_block_end("endcall");
  return s;
}

StmtPtr Parser::filter_stmt() {
  auto s = node_at<Stmt>(cur());
  s->kind = StmtKind::filter_block;
  next();
  s->filters = filter_chain(false);
  expect_block_end("filter");
  std::string found;
  s->body = body({"endfilter"}, found);
  next();
  expect_block_end("endfilter");
  return s;
}

StmtPtr Parser::with_stmt() {
  auto s = node_at<Stmt>(cur());
  s->kind = StmtKind::with;
  next();
  while (cur().type != Tok::block_end) {
    if (!s->targets.empty()) expect_op(",");
    s->targets.push_back(expect_name());
    expect_op("=");
    s->values.push_back(expression(true));
  }
  expect_block_end("with");
  std::string found;
  s->body = body({"endwith"}, found);
  next();
  expect_block_end("endwith");
  return s;
}

// transformers' {% generation %} marks assistant text; for rendering it is a scoped body.
StmtPtr Parser::generation_stmt() {
  auto s = node_at<Stmt>(cur());
  s->kind = StmtKind::with;
  next();
  expect_block_end("generation");
  std::string found;
  s->body = body({"endgeneration"}, found);
  next();
  expect_block_end("endgeneration");
  return s;
}


Body parse_template(const std::string& source) { return Parser(lex(source)).parse_all(); }

}  // namespace apr::tok::jinja
