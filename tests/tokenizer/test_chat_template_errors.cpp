// Unit tests of the chat-template interpreter's failure behaviour: syntax errors and unsupported
// constructs fail at parse() naming the construct and line:column; runtime failures
// (raise_exception, undefined values used, type errors, sandbox violations) fail at render().
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "tokenizer/chat_template.hpp"

using apr::ErrorCategory;
using apr::tok::ChatTemplate;
using apr::tok::ChatTemplateOptions;
using oj = nlohmann::ordered_json;

namespace {

apr::Error parse_fails(const std::string& src) {
  auto t = ChatTemplate::parse(src);
  REQUIRE_FALSE(t.ok());
  return t.error();
}

apr::Error render_fails(const std::string& src, const oj& vars = oj::object()) {
  auto t = ChatTemplate::parse(src);
  REQUIRE(t.ok());
  auto r = t->render_ordered(vars);
  REQUIRE_FALSE(r.ok());
  return r.error();
}

bool has(const apr::Error& e, const std::string& needle) {
  return std::string(e.what()).find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("chat template errors: syntax errors name line and column") {
  auto e = parse_fails("ok\n{% if x %}\nnever closed");
  CHECK(e.category() == ErrorCategory::parse);
  CHECK(has(e, "line 3:"));
  CHECK(has(e, "endif"));
  CHECK(has(e, "opened at line 2:"));

  e = parse_fails("{{ 1 + }}");
  CHECK(e.category() == ErrorCategory::parse);
  CHECK(has(e, "line 1:8"));

  CHECK(has(parse_fails("{# open comment"), "Missing end of comment tag"));
  CHECK(has(parse_fails("{{ 'open string }}"), "line 1:4"));
  CHECK(has(parse_fails("{{ (1 }}"), "line 1:"));
  CHECK(has(parse_fails("{% endfor %}"), "unknown tag 'endfor'"));
  CHECK(has(parse_fails("{% if 1 %}{% else %}{% else %}{% endif %}"), "unknown tag 'else'"));
  CHECK(has(parse_fails("{% break %}"), "outside of a for loop"));
  CHECK(has(parse_fails("{{ x is defined is defined }}"), "line 1:"));
}

TEST_CASE("chat template errors: unsupported constructs are named") {
  auto e = parse_fails("a\n  {% include 'x.jinja' %}");
  CHECK(e.category() == ErrorCategory::unsupported);
  CHECK(has(e, "'{% include %}'"));
  CHECK(has(e, "line 2:"));
  CHECK(has(parse_fails("{% extends 'b' %}"), "'{% extends %}'"));
  e = parse_fails("{{ x | nosuchfilter }}");
  CHECK(e.category() == ErrorCategory::unsupported);
  CHECK(has(e, "filter 'nosuchfilter'"));
  CHECK(has(e, "line 1:8"));
  CHECK(has(parse_fails("{{ x is nosuchtest }}"), "test 'nosuchtest'"));
  CHECK(has(parse_fails("{% for x in y recursive %}{% endfor %}"), "recursive"));
  CHECK(has(parse_fails("{% frobnicate %}"), "unknown tag 'frobnicate'"));
}

TEST_CASE("chat template errors: raise_exception carries the message") {
  auto e = render_fails("x\n{{ raise_exception('System role not supported') }}");
  CHECK(e.category() == ErrorCategory::validation);
  CHECK(has(e, "System role not supported"));
  CHECK(has(e, "line 2:"));

  std::ifstream f(std::string(APR_QA_SHARED_DIR) + "/chat-templates/gemma-instruct.jinja", std::ios::binary);
  REQUIRE(f.good());
  std::ostringstream ss;
  ss << f.rdbuf();
  auto gemma = ChatTemplate::parse(ss.str());
  REQUIRE(gemma.ok());
  ChatTemplateOptions o;
  o.bos_token = "<bos>";
  auto sys = gemma->render(nlohmann::json::array({{{"role", "system"}, {"content", "S"}}, {{"role", "user"}, {"content", "U"}}}), o);
  REQUIRE_FALSE(sys.ok());
  CHECK(has(sys.error(), "System role not supported"));
  auto alt = gemma->render(nlohmann::json::array({{{"role", "user"}, {"content", "a"}}, {{"role", "user"}, {"content", "b"}}}), o);
  REQUIRE_FALSE(alt.ok());
  CHECK(has(alt.error(), "Conversation roles must alternate"));
  auto fine = gemma->render(nlohmann::json::array({{{"role", "user"}, {"content", " a "}}}), o);
  REQUIRE(fine.ok());
  CHECK(fine.value() == "<bos><start_of_turn>user\na<end_of_turn>\n<start_of_turn>model\n");
}

TEST_CASE("chat template errors: undefined values fail where jinja2's Undefined fails") {
  CHECK(render_fails("{{ nothing.attr }}").category() == ErrorCategory::validation);
  CHECK(has(render_fails("{{ nothing.attr }}"), "'nothing' is undefined"));
  CHECK(has(render_fails("{{ m.missing.deeper }}", oj{{"m", oj::object()}}), "has no attribute 'missing'"));
  CHECK(has(render_fails("{{ messages[0]['role'] }}", oj{{"messages", oj::array()}}), "no element 0"));
  render_fails("{{ nothing + 'x' }}");
  render_fails("{{ nothing | tojson }}");
}

TEST_CASE("chat template errors: type errors and sandbox violations") {
  CHECK(has(render_fails("{{ 'a' + 1 }}"), "can only concatenate str"));
  CHECK(has(render_fails("{{ 1 / 0 }}"), "division by zero"));
  CHECK(has(render_fails("{{ 1 < 'a' }}"), "not supported between"));
  CHECK(has(render_fails("{{ x.append(2) }}", oj{{"x", oj::array()}}), "unsafe"));
  CHECK(has(render_fails("{{ range(1000000) | length }}"), "Range too big"));
  CHECK(has(render_fails("{% set x = 1 %}{% set x.a = 2 %}"), "non-namespace"));
  CHECK(has(render_fails("{{ 9223372036854775807 + 1 }}"), "overflow"));
  CHECK(has(render_fails("{% macro r() %}{{ r() }}{% endmacro %}{{ r() }}"), "recursion"));
}

TEST_CASE("chat template errors: nesting limits instead of stack exhaustion") {
  std::string deep_expr = "{{ " + std::string(5000, '(') + "1" + std::string(5000, ')') + " }}";
  CHECK(has(parse_fails(deep_expr), "nested more than"));
  std::string deep_blocks;
  for (int k = 0; k < 5000; ++k) deep_blocks += "{% if true %}";
  CHECK(has(parse_fails(deep_blocks), "nested more than"));
  std::string nested_ok = "{{ " + std::string(50, '(') + "7" + std::string(50, ')') + " }}";
  auto t = ChatTemplate::parse(nested_ok);
  REQUIRE(t.ok());
  CHECK(t->render_ordered(oj::object()).value() == "7");
  oj deep = oj::array();
  for (int k = 0; k < 1000; ++k) deep = oj::array({deep});
  CHECK_FALSE(t->render_ordered(oj{{"x", deep}}).ok());
}

TEST_CASE("chat template errors: bad inputs") {
  auto e = parse_fails(std::string("ok \xFF bad"));
  CHECK(e.category() == ErrorCategory::parse);
  CHECK(has(e, "invalid UTF-8"));
  auto t = ChatTemplate::parse("{{ x }}");
  REQUIRE(t.ok());
  ChatTemplateOptions o;
  o.extra = nlohmann::json::array();
  CHECK_FALSE(t->render(nlohmann::json::array(), o).ok());
  CHECK_FALSE(t->render_ordered(oj::array()).ok());
}
