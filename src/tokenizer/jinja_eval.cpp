// apr-qa chat templates: evaluator (see jinja_eval.hpp).
#include "tokenizer/jinja_eval.hpp"

#include "tokenizer/jinja_budget.hpp"
#include "tokenizer/jinja_builtins.hpp"
#include "tokenizer/jinja_ops.hpp"

namespace apr::tok::jinja {
namespace {

constexpr int kMaxCallDepth = 200;

struct Scope {
  Scope* parent = nullptr;
  Dict vars;
  std::shared_ptr<int> alive = std::make_shared<int>(0);  // expires with the scope
  const Value* find(const std::string& n) const {
    for (const Scope* s = this; s; s = s->parent)
      if (const Value* v = s->vars.find(n)) return v;
    return nullptr;
  }
};
using ScopePtr = std::shared_ptr<Scope>;

ScopePtr child(Scope* parent) {
  auto s = std::make_shared<Scope>();
  s->parent = parent;
  return s;
}

template <typename Node>
[[noreturn]] void rethrow_at(TemplateError& e, const Node& n) {
  if (e.line == 0) {
    e.line = n.line;
    e.col = n.col;
  }
  throw;
}

class Evaluator {
 public:
  enum class Flow { normal, brk, cont };

  Flow exec(const Body& body, Scope* scope, std::string& out) {
    for (const auto& s : body) {
      Flow f;
      try {
        f = exec_stmt(*s, scope, out);
      } catch (TemplateError& e) {
        rethrow_at(e, *s);
      }
      if (f != Flow::normal) return f;
    }
    return Flow::normal;
  }

  Value eval(const Expr& e, Scope* scope) {
    try {
      return eval_expr(e, scope);
    } catch (TemplateError& err) {
      rethrow_at(err, e);
    }
  }

 private:
  int depth_ = 0;
  bool const_output_ = false;  // evaluating a {{ }} whose expression has no names and no calls

  static bool is_constant(const Expr& e) {
    if (e.kind == ExprKind::name || e.kind == ExprKind::call) return false;
    // filters that take the template context are never folded by jinja2's optimizer
    if (e.kind == ExprKind::filter && (e.name == "map" || e.name == "select" || e.name == "reject" ||
                                       e.name == "selectattr" || e.name == "rejectattr"))
      return false;
    for (const auto& k : e.kids)
      if (k && !is_constant(*k)) return false;
    for (const auto& p : e.args.pos)
      if (!is_constant(*p)) return false;
    for (const auto& kv : e.args.kw)
      if (!is_constant(*kv.second)) return false;
    return !e.args.dyn_args && !e.args.dyn_kwargs;
  }

  static void append(std::string& out, const std::string& text) {
    check_string_size(out.size() + text.size());
    out += text;
  }

  Flow exec_stmt(const Stmt& s, Scope* scope, std::string& out) {
    charge_steps();
    switch (s.kind) {
      case StmtKind::data: append(out, s.text); return Flow::normal;
      case StmtKind::output: {
        const_output_ = is_constant(*s.expr);
        Value v;
        try {
          v = eval(*s.expr, scope);
        } catch (...) {
          const_output_ = false;
          throw;
        }
        const_output_ = false;
        append(out, to_str(v));
        return Flow::normal;
      }
      case StmtKind::if_:
        for (std::size_t k = 0; k < s.conds.size(); ++k)
          if (truthy(eval(*s.conds[k], scope))) return exec(s.bodies[k], scope, out);
        return exec(s.else_body, scope, out);
      case StmtKind::for_: return exec_for(s, scope, out);
      case StmtKind::set: assign(s, scope, eval(*s.expr, scope)); return Flow::normal;
      case StmtKind::set_block: {
        auto inner = child(scope);
        std::string text;
        exec(s.body, inner.get(), text);
        scope->vars.set(s.targets[0], apply_chain(s.filters, Value::string(std::move(text)), scope));
        return Flow::normal;
      }
      case StmtKind::filter_block: {
        auto inner = child(scope);
        std::string text;
        exec(s.body, inner.get(), text);
        append(out, to_str(apply_chain(s.filters, Value::string(std::move(text)), scope)));
        return Flow::normal;
      }
      case StmtKind::macro: scope->vars.set(s.text, make_macro(s, scope)); return Flow::normal;
      case StmtKind::call_block: {
        Value caller = make_caller(s, scope);
        const Expr& call = *s.expr;
        Value fn = eval(*call.kids[0], scope);
        Args args = eval_args(call.args, scope);
        args.kw.emplace_back("caller", caller);
        append(out, to_str(call_value(fn, args)));
        return Flow::normal;
      }
      case StmtKind::with: {
        auto inner = child(scope);
        std::vector<Value> vals;
        for (const auto& v : s.values) vals.push_back(eval(*v, scope));
        for (std::size_t k = 0; k < vals.size(); ++k) inner->vars.set(s.targets[k], vals[k]);
        return exec(s.body, inner.get(), out);
      }
      case StmtKind::break_: return Flow::brk;
      case StmtKind::continue_: return Flow::cont;
    }
    return Flow::normal;
  }

  void bind_targets(const Stmt& s, Scope* scope, const Value& v) {
    if (!s.tuple_target) {
      scope->vars.set(s.targets[0], v);
      return;
    }
    auto parts = iterate(v);
    if (parts.size() != s.targets.size())
      fail(parts.size() < s.targets.size()
               ? "not enough values to unpack (expected " + std::to_string(s.targets.size()) + ", got " + std::to_string(parts.size()) + ")"
               : "too many values to unpack (expected " + std::to_string(s.targets.size()) + ")");
    for (std::size_t k = 0; k < parts.size(); ++k) scope->vars.set(s.targets[k], parts[k]);
  }

  void assign(const Stmt& s, Scope* scope, const Value& v) {
    if (s.attr_target) {
      const Value* ns = scope->find(s.targets[0]);
      if (!ns || ns->kind != Kind::ns) fail("cannot assign attribute on non-namespace object");
      // The one mutation of the language: keep values acyclic and shallow (see Value::depth).
      if (v.kind == Kind::ns || v.has_ns)
        fail("unsupported construct: storing a namespace (or a value holding one) in namespace attribute '" +
                 s.targets[1] + "'",
             TemplateError::Kind::unsupported);
      ns->dict->set(s.targets[1], v);
      return;
    }
    bind_targets(s, scope, v);
  }

  Flow exec_for(const Stmt& s, Scope* scope, std::string& out) {
    Value seq = eval(*s.expr, scope);
    std::vector<Value> items = iterate(seq);
    if (s.cond) {
      std::vector<Value> kept;
      for (auto& item : items) {
        auto sc = child(scope);
        bind_targets(s, sc.get(), item);
        if (truthy(eval(*s.cond, sc.get()))) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) {
      auto sc = child(scope);
      exec(s.else_body, sc.get(), out);
      return Flow::normal;
    }
    const std::int64_t n = static_cast<std::int64_t>(items.size());
    for (std::int64_t k = 0; k < n; ++k) {
      charge_steps();
      auto sc = child(scope);
      bind_targets(s, sc.get(), items[static_cast<std::size_t>(k)]);
      Dict loop;
      loop.set("index", Value::integer(k + 1));
      loop.set("index0", Value::integer(k));
      loop.set("revindex", Value::integer(n - k));
      loop.set("revindex0", Value::integer(n - k - 1));
      loop.set("first", Value::boolean(k == 0));
      loop.set("last", Value::boolean(k == n - 1));
      loop.set("length", Value::integer(n));
      loop.set("depth", Value::integer(1));
      loop.set("depth0", Value::integer(0));
      loop.set("previtem", k > 0 ? items[static_cast<std::size_t>(k - 1)] : Value::undefined("there is no previous item"));
      loop.set("nextitem", k + 1 < n ? items[static_cast<std::size_t>(k + 1)] : Value::undefined("there is no next item"));
      loop.set("cycle", Value::function("loop.cycle", [k](const Args& a) {
                 if (a.pos.empty()) fail("no items for cycling given");
                 return a.pos[static_cast<std::size_t>(k) % a.pos.size()];
               }));
      sc->vars.set("loop", Value::make_dict(std::move(loop)));
      Flow f = exec(s.body, sc.get(), out);
      if (f == Flow::brk) break;
    }
    return Flow::normal;
  }

  Value apply_chain(const std::vector<ExprPtr>& filters, Value v, Scope* scope) {
    for (const auto& f : filters) {
      try {
        v = apply_filter(f->name, v, eval_args(f->args, scope));
      } catch (TemplateError& e) {
        rethrow_at(e, *f);
      }
    }
    return v;
  }

  Value make_macro(const Stmt& s, Scope* scope) {
    const Stmt* st = &s;
    Evaluator* ev = this;
    std::weak_ptr<int> alive = scope->alive;
    return Value::function(s.text, [st, scope, ev, alive](const Args& a) -> Value {
      if (alive.expired()) fail("macro '" + st->text + "' called after its defining block ended (unsupported)");
      auto sc = child(scope);
      if (a.pos.size() > st->params.size())
        fail("macro '" + st->text + "' takes not more than " + std::to_string(st->params.size()) + " argument(s)");
      for (const auto& kv : a.kw) {
        bool known = kv.first == "caller";
        for (const auto& p : st->params) known = known || p == kv.first;
        if (!known) fail("macro '" + st->text + "' takes no keyword argument '" + kv.first + "'");
        if (kv.first == "caller") sc->vars.set("caller", kv.second);
      }
      for (std::size_t k = 0; k < st->params.size(); ++k) {
        const Value* given = a.get(k, st->params[k]);
        if (given) sc->vars.set(st->params[k], *given);
        else if (st->defaults[k]) sc->vars.set(st->params[k], ev->eval(*st->defaults[k], sc.get()));
        else sc->vars.set(st->params[k], Value::undefined("parameter '" + st->params[k] + "' was not provided"));
      }
      return ev->run_body(st->body, sc.get());
    });
  }

  Value make_caller(const Stmt& s, Scope* scope) {
    const Stmt* st = &s;
    Evaluator* ev = this;
    std::weak_ptr<int> alive = scope->alive;
    return Value::function("caller", [st, scope, ev, alive](const Args& a) -> Value {
      if (alive.expired()) fail("caller() used after its call block ended (unsupported)");
      auto sc = child(scope);
      for (std::size_t k = 0; k < st->params.size(); ++k) {
        const Value* given = a.get(k, st->params[k]);
        if (given) sc->vars.set(st->params[k], *given);
        else if (st->defaults[k]) sc->vars.set(st->params[k], ev->eval(*st->defaults[k], sc.get()));
        else sc->vars.set(st->params[k], Value::undefined("parameter '" + st->params[k] + "' was not provided"));
      }
      return ev->run_body(st->body, sc.get());
    });
  }

  Value run_body(const Body& body, Scope* sc) {
    if (++depth_ > kMaxCallDepth) {
      --depth_;
      fail("macro recursion deeper than " + std::to_string(kMaxCallDepth));
    }
    std::string text;
    try {
      exec(body, sc, text);
    } catch (...) {
      --depth_;
      throw;
    }
    --depth_;
    return Value::string(std::move(text));
  }

  Args eval_args(const CallArgs& ca, Scope* scope) {
    Args a;
    for (const auto& p : ca.pos) a.pos.push_back(eval(*p, scope));
    if (ca.dyn_args) {
      for (auto& v : iterate(eval(*ca.dyn_args, scope))) a.pos.push_back(std::move(v));
    }
    for (const auto& kv : ca.kw) a.kw.emplace_back(kv.first, eval(*kv.second, scope));
    if (ca.dyn_kwargs) {
      Value d = eval(*ca.dyn_kwargs, scope);
      if (!d.is_dict()) fail("argument after ** must be a mapping, not " + std::string(type_name(d)));
      for (const auto& kv : d.dict->items) a.kw.emplace_back(kv.first, kv.second);
    }
    return a;
  }

  Value eval_expr(const Expr& e, Scope* scope) {
    charge_steps();
    switch (e.kind) {
      case ExprKind::literal: return e.value;
      case ExprKind::name: {
        if (const Value* v = scope->find(e.name)) return *v;
        Value g;
        if (lookup_global(e.name, g)) return g;
        return Value::undefined("'" + e.name + "' is undefined");
      }
      case ExprKind::list:
      case ExprKind::tuple: {
        List items;
        for (const auto& k : e.kids) items.push_back(eval(*k, scope));
        return Value::make_list(std::move(items), e.kind == ExprKind::tuple);
      }
      case ExprKind::dict: {
        Dict d;
        for (std::size_t k = 0; k + 1 < e.kids.size(); k += 2) {
          Value key = eval(*e.kids[k], scope);
          if (!key.is_string())
            fail(std::string("unsupported construct: dict literal key of type ") + type_name(key) + " (only string keys)",
                 TemplateError::Kind::unsupported);
          d.set(key.s, eval(*e.kids[k + 1], scope));
        }
        return Value::make_dict(std::move(d));
      }
      case ExprKind::getattr: return get_attr(eval(*e.kids[0], scope), e.name);
      case ExprKind::getitem: {
        Value obj = eval(*e.kids[0], scope);
        const Expr& key = *e.kids[1];
        if (key.kind == ExprKind::slice) {
          auto part = [&](const ExprPtr& p) { return p ? eval(*p, scope) : Value::none(); };
          // jinja2 evaluates a wholly constant {{ }} expression at compile time, where a slice goes
          // through environment.getitem (a failure becomes undefined); at run time a slice is a
          // plain Python subscript (a failure raises).
          if (const_output_ && !obj.is_string() && !obj.is_list())
            return Value::undefined(std::string("'") + type_name(obj) + " object' has no element slice");
          return slice(obj, part(key.kids[0]), part(key.kids[1]), part(key.kids[2]));
        }
        return get_item(obj, eval(key, scope));
      }
      case ExprKind::slice: fail("slice outside of a subscript");
      case ExprKind::call: {
        Value fn = eval(*e.kids[0], scope);
        Args args = eval_args(e.args, scope);
        return call_value(fn, args);
      }
      case ExprKind::filter: return apply_filter(e.name, eval(*e.kids[0], scope), eval_args(e.args, scope));
      case ExprKind::test: {
        Value v = eval(*e.kids[0], scope);
        bool r = apply_test(e.name, v, eval_args(e.args, scope));
        return Value::boolean(e.negated ? !r : r);
      }
      case ExprKind::unary: {
        Value v = eval(*e.kids[0], scope);
        if (e.name == "not") return Value::boolean(!truthy(v));
        return negate(v, e.name == "-");
      }
      case ExprKind::binary: {
        if (e.name == "and" || e.name == "or") {
          Value l = eval(*e.kids[0], scope);
          bool t = truthy(l);
          if ((e.name == "and") ? !t : t) return l;
          return eval(*e.kids[1], scope);
        }
        Value l = eval(*e.kids[0], scope);
        Value r = eval(*e.kids[1], scope);
        // jinja2 folds a constant left operand to a literal and emits Python `(-2 ** x)`, which
        // Python reads as -(2 ** x); a wholly constant power is computed as (-2) ** x.
        if (e.name == "**" && l.is_number() && l.as_double() < 0 && is_constant(*e.kids[0]) && !is_constant(e))
          return negate(binary_op("**", negate(l, true), r), true);
        return binary_op(e.name, l, r);
      }
      case ExprKind::compare: {
        Value left = eval(*e.kids[0], scope);
        for (std::size_t k = 0; k < e.ops.size(); ++k) {
          Value right = eval(*e.kids[k + 1], scope);
          const std::string& op = e.ops[k];
          bool r;
          if (op == "==") r = equals(left, right);
          else if (op == "!=") r = !equals(left, right);
          else if (op == "<") r = less(left, right);
          else if (op == ">") r = less(right, left);
          else if (op == "<=") r = less(left, right) || equals(left, right);
          else if (op == ">=") r = less(right, left) || equals(left, right);
          else if (op == "in") r = contains(right, left);
          else r = !contains(right, left);
          if (!r) return Value::boolean(false);
          left = std::move(right);
        }
        return Value::boolean(true);
      }
      case ExprKind::concat: {
        std::string s;
        for (const auto& k : e.kids) {
          std::string part = to_str(eval(*k, scope));
          check_string_size(s.size() + part.size());
          s += part;
        }
        return Value::string(std::move(s));
      }
      case ExprKind::condexpr: {
        if (truthy(eval(*e.kids[0], scope))) return eval(*e.kids[1], scope);
        if (e.kids[2]) return eval(*e.kids[2], scope);
        return Value::undefined("the inline if-expression on line " + std::to_string(e.line) +
                                " evaluated to false and no else section was defined.");
      }
    }
    fail("internal: unknown expression kind");
  }
};

}  // namespace

std::string render_template(const Body& program, const Dict& variables, std::uint64_t max_steps,
                            std::uint64_t max_built_bytes) {
  RenderBudget budget(max_steps, max_built_bytes);
  Evaluator ev;
  auto root = std::make_shared<Scope>();
  root->vars = variables;
  std::string out;
  ev.exec(program, root.get(), out);
  return out;
}

}  // namespace apr::tok::jinja
