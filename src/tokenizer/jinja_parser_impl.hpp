// apr-qa chat templates: the parser class shared by jinja_parser.cpp (statements) and
// jinja_parser_expr.cpp (expressions). Internal to the interpreter; see jinja_parser.hpp.
#pragma once

#include <algorithm>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "tokenizer/jinja_ast.hpp"
#include "tokenizer/jinja_lexer.hpp"

namespace apr::tok::jinja {

using Kd = TemplateError::Kind;

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  Body parse_all() {
    std::string end;
    Body b = body({}, end);
    return b;
  }

 private:
  const Token& cur() const { return t_[p_]; }
  const Token& peek(std::size_t k = 1) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
  void next() {
    if (p_ + 1 < t_.size()) ++p_;
  }
  bool is_op(const char* op) const { return cur().type == Tok::op && cur().text == op; }
  bool is_name(const char* n) const { return cur().type == Tok::name && cur().text == n; }
  std::string describe(const Token& t) const {
    switch (t.type) {
      case Tok::name: return "'" + t.text + "'";
      case Tok::op: return "'" + t.text + "'";
      case Tok::string: return "string literal";
      case Tok::integer: case Tok::floating: return "number " + t.text;
      default: return tok_name(t.type);
    }
  }
  [[noreturn]] void error(const std::string& msg, Kd kind = Kd::syntax) const {
    throw TemplateError{kind, msg, cur().line, cur().col};
  }
  void expect_op(const char* op) {
    if (!is_op(op)) error(std::string("expected '") + op + "', found " + describe(cur()));
    next();
  }
  std::string expect_name() {
    if (cur().type != Tok::name) error("expected a name, found " + describe(cur()));
    std::string n = cur().text;
    next();
    return n;
  }
  void expect_name(const char* n) {
    if (!is_name(n)) error(std::string("expected '") + n + "', found " + describe(cur()));
    next();
  }
  void expect_block_end(const char* tag) {
    if (cur().type != Tok::block_end)
      error(std::string("expected end of statement block '%}' after '") + tag + "', found " + describe(cur()));
    next();
  }

  template <typename N>
  std::unique_ptr<N> node_at(const Token& at) {
    auto n = std::make_unique<N>();
    n->line = at.line;
    n->col = at.col;
    return n;
  }

  // Parses statements until `{% <one of ends> %}`; stores which end tag was found in `found`
  // and leaves the parser on that tag's name token.
  Body body(const std::set<std::string>& ends, std::string& found);

  StmtPtr statement();

  StmtPtr if_stmt();

  void assign_targets(Stmt& s, bool allow_ns);

  StmtPtr for_stmt();

  std::vector<ExprPtr> filter_chain(bool leading_pipe);

  StmtPtr set_stmt();

  void param_list(Stmt& s);

  StmtPtr macro_stmt();

  StmtPtr call_stmt();

  StmtPtr filter_stmt();

  StmtPtr with_stmt();

  // transformers' {% generation %} marks assistant text; for rendering it is a scoped body.
  StmtPtr generation_stmt();

  // ---- expressions -------------------------------------------------------------------------

  ExprPtr make(ExprKind k, const Token& at);

  bool tuple_end(const std::set<std::string>& extra, bool explicit_parens) const;

  ExprPtr tuple(bool with_condexpr, bool explicit_parens, const std::set<std::string>& extra);

  ExprPtr expression(bool with_condexpr) { return with_condexpr ? condexpr() : or_expr(); }

  ExprPtr condexpr();

  ExprPtr binary(const char* op, ExprPtr l, ExprPtr r, const Token& at);

  ExprPtr or_expr();
  ExprPtr and_expr();
  ExprPtr not_expr();
  ExprPtr compare();
  ExprPtr math1();
  ExprPtr concat();
  ExprPtr math2();
  ExprPtr pow_expr();
  ExprPtr unary(bool with_filter);

  ExprPtr primary();

  ExprPtr postfix(ExprPtr node);

  ExprPtr subscribed();

  CallArgs call_args();

  ExprPtr call(ExprPtr callee);

  std::string dotted_name();

  ExprPtr filter_node(ExprPtr operand);

  ExprPtr filter_expr(ExprPtr node);

  std::vector<Token> t_;
  std::size_t p_ = 0;
  int loop_depth_ = 0;
  // Nesting guard: templates nested deeper than this are refused instead of exhausting the stack.
  static constexpr int kMaxNesting = 200;
  int nesting_ = 0;
  struct Nest {
    Parser& p;
    explicit Nest(Parser& parser) : p(parser) {
      if (++p.nesting_ > kMaxNesting) {
        --p.nesting_;
        p.error("template nested more than " + std::to_string(kMaxNesting) + " levels deep (unsupported)",
                Kd::unsupported);
      }
    }
    ~Nest() { --p.nesting_; }
  };
  struct Open {
    std::string tag;
    int line, col;
  };
  std::vector<Open> open_;  // blocks being parsed, innermost last (for end-of-template errors)
};

}  // namespace apr::tok::jinja
