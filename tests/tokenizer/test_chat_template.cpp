// Unit tests of the chat-template interpreter: the Jinja language features one by one, with the
// results jinja2 (as transformers configures it) gives for them. The byte-for-byte comparison
// against jinja2 itself is tests/oracle/test_tokenizer_chat_templates.py.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "tokenizer/chat_template.hpp"

using apr::tok::ChatTemplate;
using apr::tok::ChatTemplateOptions;
using oj = nlohmann::ordered_json;

namespace {

std::string render(const std::string& src, const oj& vars = oj::object()) {
  auto t = ChatTemplate::parse(src);
  if (!t) FAIL_CHECK("parse failed: " << t.error().what());
  REQUIRE(t.ok());
  auto r = t->render_ordered(vars);
  if (!r) FAIL_CHECK("render failed: " << r.error().what());
  REQUIRE(r.ok());
  return r.value();
}

std::string read_template(const std::string& name) {
  std::ifstream f(std::string(APR_QA_SHARED_DIR) + "/chat-templates/" + name, std::ios::binary);
  REQUIRE(f.good());
  std::ostringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("chat template: text, output, comments") {
  CHECK(render("plain text") == "plain text");
  CHECK(render("a{{ 'b' }}c{# gone #}d") == "abcd");
  CHECK(render("{{ x }}", oj{{"x", 42}}) == "42");
  CHECK(render("one trailing newline dropped\n") == "one trailing newline dropped");
  CHECK(render("two\n\n") == "two\n");
  CHECK(render("crlf\r\nline") == "crlf\nline");
}

TEST_CASE("chat template: whitespace control, trim_blocks and lstrip_blocks") {
  CHECK(render("a  {{- 'b' -}}  c") == "abc");
  CHECK(render("a\n  {% if true %}\n  x\n  {% endif %}\nb") == "a\n  x\nb");
  CHECK(render("a {%- if true %} x {%- endif %}") == "a x");
  CHECK(render("  {%+ if true %}x{% endif %}") == "  x");
  CHECK(render("x {% if true %}y{% endif %}") == "x y");  // lstrip only at line start
  CHECK(render("{# c #}\nafter") == "after");             // trim_blocks applies to comments
  CHECK(render("{{ 'v' }}\nafter") == "v\nafter");        // but not to output tags
  CHECK(render("{% raw %}{{ kept }}{% endraw %}") == "{{ kept }}");
}

TEST_CASE("chat template: literals and Python str()") {
  CHECK(render("{{ 'it\\'s' }} {{ \"q\\\"\" }} {{ '\\x41\\u00e9' }} {{ 'a' 'b' }}") == "it's q\" A\xC3\xA9 ab");
  CHECK(render("{{ [1, 'a', none, true, 1.5] }}") == "[1, 'a', None, True, 1.5]");
  CHECK(render("{{ {'k': \"it's\"} }}") == "{'k': \"it's\"}");
  CHECK(render("{{ (1,) }} {{ () }}") == "(1,) ()");
  CHECK(render("{{ 1.0 }} {{ 1e16 }} {{ 1e-05 }} {{ 0.1 + 0.2 }} {{ 3 / 2 }}") ==
        "1.0 1e+16 1e-05 0.30000000000000004 1.5");
  CHECK(render("{{ True }}{{ false }}{{ None }}{{ none }}") == "TrueFalseNoneNone");
  CHECK(render("{{ 0x10 }} {{ 1_000 }}") == "16 1000");
}

TEST_CASE("chat template: operators follow Python/jinja2") {
  CHECK(render("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 2 ** 10 }} {{ -2 ** 2 }}") == "3 -4 2 1024 4");
  CHECK(render("{{ 'ab' * 2 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none }}") == "abab [1, 2] a1None");
  CHECK(render("{{ 1 < 2 < 3 }} {{ 1 == 1.0 }} {{ 'a' in 'cat' }} {{ 2 not in [1] }}") == "True True True True");
  CHECK(render("{{ 0 or 'x' }} {{ 1 and 'y' }} {{ not [] }}") == "x y True");
  CHECK(render("{{ 'y' if x else 'n' }}{{ 'z' if false }}", oj{{"x", oj::array()}}) == "n");
  CHECK(render("{{ a + b | length }}", oj{{"a", 1}, {"b", "xyz"}}) == "4");  // filter binds tighter
}

TEST_CASE("chat template: attribute, subscript and slice access") {
  oj v = {{"m", oj::array({oj{{"role", "user"}, {"content", "hi"}}, oj{{"role", "assistant"}, {"content", "yo"}}})}};
  CHECK(render("{{ m[0]['role'] }} {{ m[0].role }} {{ m[-1].content }} {{ m[1:] | length }} {{ m[::-1][0].role }}", v) ==
        "user user yo 1 assistant");
  CHECK(render("{{ m[9] is defined }} {{ m[0].tool_calls is defined }}", v) == "False False");
  CHECK(render("{{ s[1:3] }}|{{ s[::-1] }}|{{ s | length }}", oj{{"s", "h\xC3\xA9llo"}}) == "\xC3\xA9l|oll\xC3\xA9h|5");
  CHECK(render("{{ d.get('a') }} {{ d.get('z', 'dflt') }} {{ d.keys() | list }}", oj{{"d", {{"a", 1}}}}) == "1 dflt ['a']");
}

TEST_CASE("chat template: for loops") {
  oj v = {{"xs", oj::array({"a", "b", "c"})}};
  CHECK(render("{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", v) ==
        "10TrueFalse3;21FalseFalse3;32FalseTrue3;");
  CHECK(render("{% for x in xs if x != 'b' %}{{ x }}{{ loop.length }}{% endfor %}", v) == "a2c2");
  CHECK(render("{% for x in [] %}x{% else %}empty{% endfor %}") == "empty");
  CHECK(render("{% for x in xs %}{{ loop.previtem is defined }}{{ loop.nextitem }}{% endfor %}", v) == "FalsebTruecTrue");
  CHECK(render("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", oj{{"d", {{"z", 1}, {"a", 2}}}}) == "z=1;a=2;");
  CHECK(render("{% for i in range(6) %}{% if i == 1 %}{% continue %}{% endif %}{% if i == 4 %}{% break %}{% endif %}{{ i }}{% endfor %}") ==
        "023");
}

TEST_CASE("chat template: set scoping, namespace, block set, macro") {
  CHECK(render("{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{% endfor %}{{ x }}") == "1");
  CHECK(render("{% set ns = namespace(n=0) %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% endfor %}{{ ns.n }}") == "6");
  CHECK(render("{% if true %}{% set y = 2 %}{% endif %}{{ y }}") == "2");
  CHECK(render("{% set b | upper %}hi {{ 1 }}{% endset %}{{ b }}") == "HI 1");
  CHECK(render("{% macro g(n, p='!') %}<{{ n }}{{ p }}>{% endmacro %}{{ g('a') }}{{ g('b', p='?') }}") == "<a!><b?>");
  CHECK(render("{% macro w() %}[{{ caller() }}]{% endmacro %}{% call w() %}in{% endcall %}") == "[in]");
}

TEST_CASE("chat template: tests") {
  CHECK(render("{{ x is defined }}{{ y is undefined }}{{ n is none }}{{ n is not none }}", oj{{"x", 1}, {"n", nullptr}}) ==
        "TrueTrueTrueFalse");
  CHECK(render("{{ 's' is string }}{{ {} is mapping }}{{ 's' is iterable }}{{ 1 is number }}{{ true is number }}") ==
        "TrueTrueTrueTrueTrue");
  CHECK(render("{{ 'a' is equalto 'a' }}{{ 4 is divisibleby 2 }}{{ 3 is odd }}{{ true is true }}{{ 1 is true }}") ==
        "TrueTrueTrueTrueFalse");
}

TEST_CASE("chat template: filters") {
  CHECK(render("[{{ '  a  ' | trim }}][{{ 'ab' | upper }}][{{ 'AB' | lower }}][{{ 'a-b c' | title }}][{{ 'aB' | capitalize }}]") ==
        "[a][AB][ab][A-B C][Ab]");
  CHECK(render("{{ [1, 2] | length }} {{ [3, 4] | first }} {{ [3, 4] | last }} {{ ['a', 'b'] | join(', ') }}") == "2 3 4 a, b");
  CHECK(render("{{ x | default('d') }} {{ '' | default('d', true) }} {{ 'a-b' | replace('-', '+') }}") == "d d a+b");
  CHECK(render("{{ '42' | int }} {{ '2.5' | float }} {{ 'x' | int(7) }} {{ -3 | abs }} {{ 2.5 | round }} {{ 2.567 | round(2) }}") ==
        "42 2.5 7 3 2.0 2.57");
  CHECK(render("{{ {'b': 1} | items | list }} {{ 'ab' | list }} {{ 3 | string }}") == "[('b', 1)] ['a', 'b'] 3");
  oj users = {{"u", oj::array({oj{{"n", "x"}, {"r", "user"}}, oj{{"n", "y"}, {"r", "bot"}}})}};
  CHECK(render("{{ u | selectattr('r', 'equalto', 'user') | map(attribute='n') | join }}", users) == "x");
  CHECK(render("{{ u | rejectattr('r', 'eq', 'user') | map(attribute='n') | list }}", users) == "['y']");
  CHECK(render("{{ [1, 2, 3] | select('odd') | list }} {{ ['a', 'A', 'b'] | unique | list }} {{ [3, 1] | sort }}") ==
        "[1, 3] ['a', 'b'] [1, 3]");
  CHECK(render("{{ 'a\nb' | indent(2) }}") == "a\n  b");
  CHECK(render("{{ range(3) }} {{ range(1, 9, 3)[1:] }} {{ range(3) | list }}") == "range(0, 3) range(4, 10, 3) [0, 1, 2]");
}

TEST_CASE("chat template: generators and Markup behave as in jinja2") {
  // select/map/... return single-use generators: truthy even when empty, consumed by iteration
  CHECK(render("{% if [] | select %}truthy{% endif %}") == "truthy");
  CHECK(render("{% set g = [1, 2] | map('string') %}{{ g | join }}|{{ g | join }}") == "12|");
  CHECK(render("{{ none | selectattr('x') | list }}") == "[]");
  // |safe gives Markup; Markup + str escapes the str
  CHECK(render("{{ 'a'|safe + '<b>' }} {{ '<' + '&'|safe }} {{ ('x'|safe) ~ '<' }}") == "a&lt;b&gt; &lt;& x<");
}

TEST_CASE("chat template: tojson is Python json.dumps(ensure_ascii=False)") {
  oj v = {{"x", {{"z", 1}, {"a", oj::array({1.5, nullptr, true, "\xC3\xA9<>&'\"\n"})}}}};
  CHECK(render("{{ x | tojson }}", v) == "{\"z\": 1, \"a\": [1.5, null, true, \"\xC3\xA9<>&'\\\"\\n\"]}");
  CHECK(render("{{ x | tojson(indent=2) }}", oj{{"x", {{"a", oj::array({1})}}}}) == "{\n  \"a\": [\n    1\n  ]\n}");
  CHECK(render("{{ x | tojson(sort_keys=true) }}", oj{{"x", {{"b", 1}, {"a", 2}}}}) == "{\"a\": 2, \"b\": 1}");
  CHECK(render("{{ 'é' | tojson(ensure_ascii=true) }}") == "\"\\u00e9\"");
}

TEST_CASE("chat template: string methods") {
  CHECK(render("[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}]", oj{{"s", " a "}}) == "[a][a ][ a]");
  CHECK(render("{{ 'a,b'.split(',') }} {{ ' a  b '.split() }} {{ 'ab'.startswith('a') }} {{ 'ab'.endswith(('x', 'b')) }}") ==
        "['a', 'b'] ['a', 'b'] True True");
  CHECK(render("{{ 'ab'.upper() }} {{ 'AB'.lower() }} {{ 'a b'.title() }} {{ 'aXa'.replace('a', '') }} {{ '{}-{}'.format(1, 'x') }}") ==
        "AB ab A B X 1-x");
}

TEST_CASE("chat template: the agreed render() API passes the transformers variables") {
  auto t = ChatTemplate::parse(
      "{{ bos_token }}|{{ eos_token is defined }}|{{ tools is none }}|{{ documents is none }}|{{ add_generation_prompt }}|{{ extra_var }}|{{ messages | length }}");
  REQUIRE(t.ok());
  ChatTemplateOptions o;
  o.bos_token = "<s>";
  o.add_generation_prompt = false;
  o.extra = {{"extra_var", "E"}};
  auto r = t->render(nlohmann::json::array({{{"role", "user"}, {"content", "hi"}}}), o);
  REQUIRE(r.ok());
  CHECK(r.value() == "<s>|False|True|True|False|E|1");
}

TEST_CASE("chat template: Qwen2.5 and SmolLM2 templates from shared/") {
  auto qwen = ChatTemplate::parse(read_template("qwen2.5-instruct.jinja"));
  REQUIRE(qwen.ok());
  ChatTemplateOptions o;
  auto msgs = nlohmann::json::array({{{"role", "user"}, {"content", "Hi"}}});
  auto r = qwen->render(msgs, o);
  REQUIRE(r.ok());
  CHECK(r.value() ==
        "<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n");
  o.tools = nlohmann::json::array({{{"type", "function"}, {"function", {{"name", "f"}}}}});
  r = qwen->render(msgs, o);
  REQUIRE(r.ok());
  CHECK(r.value().find("<tools>\n{\"function\": {\"name\": \"f\"}, \"type\": \"function\"}\n</tools>") != std::string::npos);

  auto smol = ChatTemplate::parse(read_template("smollm2-instruct.jinja"));
  REQUIRE(smol.ok());
  ChatTemplateOptions so;
  so.add_generation_prompt = false;
  r = smol->render(msgs, so);
  REQUIRE(r.ok());
  CHECK(r.value() ==
        "<|im_start|>system\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>\n"
        "<|im_start|>user\nHi<|im_end|>\n");
}
