// Hostile chat templates: numeric literals and arguments that overflow the C++ conversions,
// loops and growth that would hang or take gigabytes. Each is a template error (validation or
// unsupported, with line:column), never an uncaught exception ("internal error"), a hang or an
// allocation beyond the render budget (jinja_budget.hpp).
#include <doctest/doctest.h>

#include <chrono>

#include "tokenizer/chat_template.hpp"

using apr::ErrorCategory;
using apr::tok::ChatTemplate;
using oj = nlohmann::ordered_json;

namespace {

struct Outcome {
  bool ok = false;
  std::string text;  // output or error line
  ErrorCategory cat{};
  double seconds = 0;
};

Outcome render(const std::string& src, const oj& vars = oj::object()) {
  const auto t0 = std::chrono::steady_clock::now();
  Outcome o;
  auto t = ChatTemplate::parse(src);
  if (!t) {
    o.text = t.error().what();
    o.cat = t.error().category();
  } else if (auto r = t->render_ordered(vars)) {
    o.ok = true;
    o.text = *r;
  } else {
    o.text = r.error().what();
    o.cat = r.error().category();
  }
  o.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return o;
}

bool has(const Outcome& o, const std::string& s) { return o.text.find(s) != std::string::npos; }

}  // namespace

TEST_CASE("hostile templates: numeric conversions never escape as exceptions") {
  auto o = render("{{ 1e999 }}|{{ -1e999 }}|{{ 1e-999 }}");
  CHECK(o.ok);
  CHECK(o.text == "inf|-inf|0.0");  // Python: float('1e999') == inf
  o = render("{{ [[1, 2]] | map(attribute='99999999999999999999') | list }}");
  CHECK(o.ok);  // jinja2: an index out of range is undefined
  o = render("{{ '{99999999999999999999}'.format(1) }}");
  REQUIRE_FALSE(o.ok);
  CHECK(o.cat == ErrorCategory::validation);
  CHECK(has(o, "Replacement index 99999999999999999999 out of range"));
  o = render("{{ '%d' % 1e999 }}");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "integer"));
  o = render("{{ '%99999999999d' % 1 }}");
  REQUIRE_FALSE(o.ok);
  CHECK(o.cat == ErrorCategory::unsupported);
}

TEST_CASE("hostile templates: nested range(100000) loops stop at the step budget") {
  auto o = render("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}");
  REQUIRE_FALSE(o.ok);
  CHECK(o.cat == ErrorCategory::validation);
  INFO(o.text);
  // Whichever budget runs out first: steps, or the bytes of the range lists built.
  CHECK((has(o, "budget of 5000000 evaluation steps") || has(o, "MiB of strings and lists")));
  CHECK(has(o, "line 1:"));
  // Steps alone: one range reused, many statements per iteration.
  o = render("{% set r = range(100) %}{% for i in r %}{% for j in r %}{% for k in r %}{{ '' }}{{ '' }}{% endfor %}"
             "{% endfor %}{% endfor %}");
  REQUIRE_FALSE(o.ok);
  INFO(o.text);
  CHECK(has(o, "budget of 5000000 evaluation steps"));
  MESSAGE("nested loops stopped after " << o.seconds << " s");
  CHECK(o.seconds < 5.0);
}

TEST_CASE("hostile templates: doubling strings and lists hits the size limits") {
  auto o = render("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s|length }}");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "string of"));
  o = render("{% set ns = namespace(l=[1]) %}{% for i in range(64) %}{% set ns.l = ns.l + ns.l %}{% endfor %}{{ ns.l|length }}");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "list of"));
  o = render("{{ ('x' * 1000000) * 1000000 }}");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "repetition result too large"));
  o = render("{{ 'x' | center(4000000000) }}");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "string of"));
  o = render("{{ 'a\nb' | indent(4000000000) }}");
  REQUIRE_FALSE(o.ok);
  o = render("{{ [1, [2]] | tojson(indent=4000000000) }}");
  REQUIRE_FALSE(o.ok);
  // Many medium strings: the per-render allocation budget, not gigabytes.
  o = render("{% set ns = namespace(l=[]) %}{% set big = 'x' * 8000000 %}{% for i in range(100000) %}"
             "{% set ns.l = ns.l + [[big, big]] %}{% endfor %}{{ ns.l|length }}");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "MiB of strings and lists"));
}

TEST_CASE("hostile templates: values stay acyclic and at most 256 levels deep") {
  // A namespace holding itself (a reference cycle: a leak, and infinite str()).
  auto o = render("{% set ns = namespace() %}{% set ns.self = ns %}{{ ns }}");
  REQUIRE_FALSE(o.ok);
  CHECK(o.cat == ErrorCategory::unsupported);
  CHECK(has(o, "storing a namespace"));
  o = render("{% set ns = namespace() %}{% set ns.l = [1, [ns]] %}");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "storing a namespace"));
  // A chain of namespaces grown by mutation (800k deep, destroyed recursively: SIGSEGV before).
  o = render("{% set ns = namespace(cur=none) %}{% set root = namespace() %}{% set ns2 = namespace() %}"
             "{% set ns2.x = root %}");
  REQUIRE_FALSE(o.ok);
  // Lists nested 800k deep by repeated wrapping.
  o = render("{% set ns = namespace(x=[]) %}{% for j in range(8) %}{% for i in range(100000) %}"
             "{% set ns.x = [ns.x] %}{% endfor %}{% endfor %}ok");
  REQUIRE_FALSE(o.ok);
  CHECK(has(o, "nested more than 256 levels"));
  // Namespaces may still be built from namespaces, and read freely.
  o = render("{% set a = namespace(v=1) %}{% set b = namespace(inner=a) %}{{ b.inner.v }}{{ [a, a] | length }}");
  CHECK(o.ok);
  CHECK(o.text == "12");
}

TEST_CASE("hostile templates: ordinary templates stay far below the budget") {
  oj msgs = oj::array();
  for (int i = 0; i < 2000; ++i) msgs.push_back({{"role", i % 2 ? "assistant" : "user"}, {"content", "message " + std::to_string(i)}});
  auto o = render("{% for m in messages %}<|im_start|>{{ m.role }}\n{{ m.content | trim }}<|im_end|>\n{% endfor %}",
                  oj{{"messages", msgs}});
  CHECK(o.ok);
  CHECK(o.text.size() > 40000);
}
