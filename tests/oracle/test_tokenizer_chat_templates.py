#!/usr/bin/env python3
"""Oracle test: apr-qa's chat-template interpreter against Python jinja2 as transformers uses it.

The reference renderer is transformers' own `PreTrainedTokenizerBase._compile_jinja_template`
(jinja2 ImmutableSandboxedEnvironment, trim_blocks, lstrip_blocks, transformers' `tojson` and
`raise_exception`), called with the variables `apply_chat_template` passes: messages, tools,
documents, add_generation_prompt and the special tokens. Snippets using `break`/`continue` are
rendered with the same environment plus jinja2's loopcontrols extension (what newer transformers
enable). Our side is the helper `oracle_tokenizer_chat_render --batch` (one process for all cases).

Checked:
  * the seven template families in $APR_QA_SHARED_DIR/chat-templates x conversations (with/without
    system, single user turn, multi-turn, assistant last, non-alternating, empty, tricky content)
    x add_generation_prompt true/false; where jinja2 raises, we must fail too (raise_exception
    messages equal);
  * Qwen2.5 and Llama-3.1 with tools, tool calls and tool responses (source key order kept);
  * the agreed render(messages, ChatTemplateOptions) API path (sorted keys, as nlohmann::json);
  * the reference renderings recorded in chat-templates/SOURCES.md;
  * ~150 language-feature snippets (whitespace control, scoping, loops, filters, tests, methods,
    str()/repr of values, errors).
Prints "N passed, N failed"; exits non-zero on any failure or missing input.
"""
import ast
import copy
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
SOURCE_DIR = pathlib.Path(os.environ.get("APR_QA_SOURCE_DIR", HERE.parent.parent))
SHARED = pathlib.Path(os.environ.get("APR_QA_SHARED_DIR", SOURCE_DIR.parent / "shared"))
TOOLS = pathlib.Path(os.environ.get("APR_QA_TOOLS_DIR", SOURCE_DIR / "build" / "tests" / "oracle" / "tools"))
WORK = pathlib.Path(os.environ.get("APR_QA_WORK_DIR", tempfile.mkdtemp(prefix="chat_oracle_")))
TEMPLATES = SHARED / "chat-templates"

M2 = [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]
# (template source, variables[, "loopcontrols"]): each rendered by both sides.
SNIPPETS = [
    # whitespace control, trim_blocks / lstrip_blocks, comments, raw, trailing newline
    ("a\n  {% if true %}\n    x\n  {% endif %}\nb\n", {}),
    ("a  {%- if true -%}  x  {%- endif -%}  b", {}),
    ("a {%+ if true %} x{% endif %}", {}),
    ("  {# c #}\nx{#- c -#}  y {# multi\nline #}\nz", {}),
    ("{{ 1 }}\n{{ 2 }}  \n  {{- 3 -}}  \n4\n\n", {}),
    ("{% raw %}{{ not rendered }}{% endraw %}\n  {%- raw -%}  {%x%}  {%- endraw %}|", {}),
    ("line1\r\nline2\rline3\n", {}),
    ("{% for m in messages %}\n  {{ m.role }}\n{% endfor %}\n", {"messages": M2}),
    ("\t {% set x = 1 %}\t\n{{ x }}", {}),
    ("{% if true %}   {% endif %}|", {}),
    # literals, str() and repr()
    ("{{ 'a\\'b' }}|{{ \"q\\\"\" }}|{{ '\\n\\t\\x41\\u00e9\\U0001F600\\101' }}|{{ 'ab' 'cd' }}", {}),
    ("{{ [1, 'a', none, true, 1.5, [2], {'k': 'v'}] }}|{{ (1,) }}|{{ () }}|{{ (1, 'x') }}", {}),
    ("{{ {'a': \"it's\", 'b': 'say \"hi\"', 'c': 'both \\' \"'} }}", {}),
    ("{{ 1.0 }} {{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-5 }} {{ 0.0001 }} {{ -0.0 }} {{ 3 / 2 }} {{ 4 / 2 }} {{ 1e300 * 1e10 }}", {}),
    ("{{ True }} {{ False }} {{ None }} {{ true }} {{ none }} {{ 1_000 }} {{ 0x1F }} {{ 0b101 }} {{ 0o17 }}", {}),
    ("{{ x }}|{{ x.y is defined }}", {"x": {"y": 1}}),
    ("{{ messages }}", {"messages": [{"role": "user", "content": "h\u00e9\u4e2d\x07\u200b"}]}),
    ("{{ undefined_var }}|{{ undefined_var is defined }}|{{ undefined_var | length }}|{{ undefined_var | default('d') }}", {}),
    ("{% for x in undefined_var %}{{ x }}{% else %}empty{% endfor %}", {}),
    # arithmetic and operators
    ("{{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ -7 % 3 }} {{ 7 % -3 }} {{ 2 ** 10 }} {{ 2 ** -1 }} {{ -2 ** 2 }} {{ 7.5 // 2 }} {{ -7.5 % 2 }}", {}),
    ("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 'ab' * 3 }} {{ [1] * 2 }} {{ [1] + [2] }} {{ 'a' ~ 1 ~ none ~ true }} {{ 1 ~ 2 + 3 }}", {}),
    ("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ true == 1 }} {{ 'a' != 'b' }} {{ [1,2] == [1,2] }} {{ 'b' > 'a' }} {{ [1, 2] < [1, 3] }}", {}),
    ("{{ 'a' in 'cat' }} {{ 'x' not in ['x'] }} {{ 'k' in {'k': 1} }} {{ 2 in [1, 2] }} {{ not 1 in [1] }}", {}),
    ("{{ 1 and 'x' }}|{{ 0 and 'x' }}|{{ '' or 'y' }}|{{ none or [] }}|{{ not '' }}|{{ not none }}", {}),
    ("{{ 'yes' if x else 'no' }}|{{ 'yes' if y }}|{{ 1 if false else 2 if false else 3 }}", {"x": [0]}),
    ("{{ -2 ** x }} {{ (-2) ** x }} {{ (1 - 3) ** x }} {{ -2 ** 2 }} {{ x ** -1 }}", {"x": 2}),
    ("{{ -x }} {{ +x }} {{ -(1.5) }} {{ x - 10 }} {{ x * 2.5 }} {{ true + true }}", {"x": 3}),
    # subscripts and slices
    ("{{ m[0]['role'] }} {{ m[0].role }} {{ m[-1].content }} {{ m[5] is defined }} {{ m[1:] | length }} {{ m[::-1][0].role }}", {"m": M2}),
    ("{{ s[1:3] }}|{{ s[::-1] }}|{{ s[-2:] }}|{{ s[:-1] }}|{{ s[::2] }}|{{ s[0] }}|{{ s[-1] }}|{{ s[10:] }}|{{ s[1:10:3] }}", {"s": "h\u00e9llo\u4e16"}),
    ("{{ l[1:-1] }} {{ l[-100:100] }} {{ l[5:1:-2] }} {{ l[:] }} {{ t[1:] }}", {"l": [0, 1, 2, 3, 4, 5, 6], "t": ""}),
    ("{{ d.items is callable }}{{ d['missing'] is defined }}|{{ d.get('a') }} {{ d.get('zz', 'dflt') }} {{ d.get('zz') }}", {"d": {"a": 1}}),
    # loops
    ("{% for m in ms %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }};{% endfor %}", {"ms": ["a", "b", "c"]}),
    ("{% for m in ms %}{{ loop.previtem }}-{{ loop.nextitem }}|{{ loop.cycle('odd', 'even') }};{% endfor %}", {"ms": [1, 2, 3]}),
    ("{% for m in ms if m != 'b' %}{{ m }}{{ loop.index }}{{ loop.last }}{% endfor %}", {"ms": ["a", "b", "c"]}),
    ("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}|{% for k in d %}{{ k }}{% endfor %}|{% for (a, b) in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}", {"d": {"z": 1, "a": 2}}),
    ("{% for c in 'h\u00e9!' %}[{{ c }}]{% endfor %}{% for x in [] %}x{% else %}none{% endfor %}", {}),
    ("{% for i in range(3) %}{% for j in range(i) %}{{ i }}{{ j }}{{ loop.index }},{% endfor %}{{ loop.index }};{% endfor %}", {}),
    ("{% for i in range(10) %}{% if i == 2 %}{% continue %}{% endif %}{% if i == 5 %}{% break %}{% endif %}{{ i }}{% endfor %}", {}, "loopcontrols"),
    ("{{ range(5) | list }} {{ range(1, 10, 3) | list }} {{ range(5, 0, -2) | list }}", {}),
    ("{% for m in messages | selectattr('role', 'equalto', 'user') %}{{ m.content }}{% endfor %}", {"messages": M2}),
    # scoping, set, namespace, block set, with
    ("{% set x = 1 %}{% for i in [1, 2] %}{% set x = x + i %}{{ x }}{% endfor %}|{{ x }}", {}),
    ("{% set ns = namespace(n=0, s='') %}{% for i in [1, 2, 3] %}{% set ns.n = ns.n + i %}{% set ns.s = ns.s ~ i %}{% endfor %}{{ ns.n }} {{ ns.s }}", {}),
    ("{% if true %}{% set y = 'in-if' %}{% endif %}{{ y }}|{% set a, b = 1, 2 %}{{ a }}{{ b }}|{% set t = (3, 4) %}{{ t }}", {}),
    ("{% set block %}  inner {{ 1 + 1 }}  {% endset %}[{{ block }}]{% set b2 | trim | upper %}  low  {% endset %}[{{ b2 }}]", {}),
    ("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}{{ a is defined }}", {}),
    ("{% set messages = messages[1:] %}{{ messages | length }}", {"messages": M2}),
    ("{% set ns = namespace({'a': 1}, b=2) %}{{ ns.a }}{{ ns.b }}{{ ns.c is defined }}", {}),
    ("{% for i in [1] %}{% set inner = 5 %}{% endfor %}{{ inner is defined }}", {}),
    # macros and call blocks
    ("{% macro greet(name, punct='!') %}Hi {{ name }}{{ punct }}{% endmacro %}{{ greet('A') }} {{ greet('B', '?') }} {{ greet(punct='.', name='C') }}", {}),
    ("{% macro wrap(tag) %}<{{ tag }}>{{ caller() }}</{{ tag }}>{% endmacro %}{% call wrap('b') %}bold {{ 1 }}{% endcall %}", {}),
    ("{% macro rec(n) %}{% if n > 0 %}{{ n }}{{ rec(n - 1) }}{% endif %}{% endmacro %}{{ rec(4) }}", {}),
    ("{% filter upper %}abc {{ 'def' }}{% endfilter %}", {}),
    ("{% print 'a', 1 + 1 %}|{% print x %}", {"x": [1]}),
    # tests
    ("{{ 1 is number }}{{ 1.5 is float }}{{ 1 is integer }}{{ true is number }}{{ true is integer }}{{ 'a' is string }}{{ {} is mapping }}{{ [] is mapping }}", {}),
    ("{{ 'a' is iterable }}{{ [] is sequence }}{{ {} is iterable }}{{ 1 is iterable }}{{ none is none }}{{ x is none }}{{ x is not none }}{{ y is undefined }}", {"x": None}),
    ("{{ true is true }}{{ 1 is true }}{{ false is false }}{{ 0 is false }}{{ true is boolean }}{{ 4 is even }}{{ 3 is odd }}{{ 9 is divisibleby 3 }}{{ 9 is divisibleby(2) }}", {}),
    ("{{ 'a' is equalto 'a' }}{{ 2 is eq 2 }}{{ 2 is ne 3 }}{{ 1 is lt 2 }}{{ 2 is ge 2 }}{{ 'abc' is lower }}{{ 'ABC' is upper }}{{ 'a' is in 'cat' }}{{ x is sameas none }}", {"x": None}),
    ("{{ f is callable }}{{ range is callable }}{{ 'upper' is filter }}{{ 'defined' is test }}", {"f": 1}),
    # filters
    ("[{{ '  a b  ' | trim }}][{{ 'xxaxx' | trim('x') }}][{{ '\u3000 wide \u00a0' | trim }}]", {}),
    ("{{ 'hello WORLD' | upper }} {{ 'Hello' | lower }} {{ 'hello world-foo(bar' | title }} {{ 'hELLO wORLD' | capitalize }}", {}),
    ("{{ [1, 2, 3] | length }} {{ 'h\u00e9' | length }} {{ {'a': 1} | count }} {{ [3, 1, 2] | first }} {{ [3, 1, 2] | last }} {{ 'abc' | first }} {{ [] | first is defined }}", {}),
    ("{{ ['a', 'b'] | join(', ') }}|{{ [1, 2] | join }}|{{ users | join(',', attribute='name') }}", {"users": [{"name": "x"}, {"name": "y"}]}),
    ("{{ 'aXbXc' | replace('X', '-') }} {{ 'aaa' | replace('a', 'b', 2) }} {{ 'abc' | replace('', '.') }}", {}),
    ("{{ none | default('d') }} {{ '' | default('d') }} {{ '' | default('d', true) }} {{ x | d('dd') }} {{ 0 | default(5, boolean=true) }}", {}),
    ("{{ '42' | int }} {{ '4.7' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | int }} {{ '0x1A' | int(0, 16) }} {{ ' 12 ' | int }} {{ true | int }}", {}),
    ("{{ '4.5' | float }} {{ 3 | float }} {{ 'nope' | float }} {{ '1e3' | float }} {{ 'x' | float(1.5) }}", {}),
    ("{{ -3 | abs }} {{ -2.5 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.675 | round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }} {{ 7 | round }} {{ -0.5 | round }}", {}),
    ("{{ {'b': 1, 'a': 2} | items | list }} {{ {'b': 1, 'a': 2} | dictsort }} {{ {'b': 1, 'a': 2} | dictsort(by='value', reverse=true) }}", {}),
    ("{{ 'abc' | list }} {{ {'k': 1} | list }} {{ 5 | string }} {{ [1] | string }} {{ 'x' | safe }} {{ none | string }}", {}),
    ("{{ users | map(attribute='name') | join('/') }} {{ ['a', 'B'] | map('upper') | list }} {{ users | map(attribute='age', default=0) | list }}", {"users": [{"name": "x", "age": 3}, {"name": "y"}]}),
    ("{{ [1, 2, 3, 4] | select('odd') | list }} {{ [1, 2, 3, 4] | reject('even') | list }} {{ [0, 1, '', 'a'] | select | list }} {{ [1, 2, 3] | select('gt', 1) | list }}", {}),
    ("{{ ms | selectattr('role', 'equalto', 'user') | list | length }} {{ ms | rejectattr('role', 'eq', 'user') | map(attribute='content') | first }} {{ ms | selectattr('tool_calls') | list }}", {"ms": M2 + [{"role": "assistant", "content": "c", "tool_calls": [1]}]}),
    ("{{ ['a', 'A', 'b', 'a'] | unique | list }} {{ ['a', 'A'] | unique(case_sensitive=true) | list }} {{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ ['b', 'A'] | sort(case_sensitive=true) }} {{ [1, 3, 2] | sort(reverse=true) }}", {}),
    ("{{ us | sort(attribute='age') | map(attribute='n') | join }} {{ [1, 2, 3] | sum }} {{ us | sum(attribute='age') }} {{ [3, 1] | max }} {{ ['a', 'B'] | min }} {{ us | max(attribute='age') }}", {"us": [{"n": "a", "age": 3}, {"n": "b", "age": 1}]}),
    ("{{ [1, 2] | reverse | list }} {{ 'abc' | reverse }} {{ 'a b c' | wordcount }} {{ '%s-%d' | format('x', 3) }} {{ 'x' | center(7) }}|", {}),
    ("{{ 'a\\nb\\n\\nc' | indent }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent(2, blank=true) }}|{{ 'a\\nb' | indent('>') }}", {}),
    ("{{ '<a href=\"x\">&\\'' | e }} {{ 'abc' | escape }}", {}),
    ("{{ x | attr('a') }} {{ 'ab' | attr('upper') is callable }}", {"x": {"a": 1}}),
    # markupsafe.Markup from |safe and |escape: Markup + str escapes the str (functionary-style templates)
    ("{{ \"a'\"|safe + \"<b>\" }}|{{ \"<x>\" + \"&\"|safe }}|{{ (\"x\"|safe + \"'\") ~ \"<\" }}|{{ 'q'|safe + d | tojson }}", {"d": {"k": "v'<"}}),
    ("{{ '<' | e }}{{ '<' | e | e }}{{ ('<' | e) is escaped }}{{ '<' is escaped }}{{ ['a' | safe] }}{{ ('<'|safe * 2) + '>' }}", {}),
    # generator results of select/map/unique/items/reverse: truthy, single-use, no len(), not subscriptable
    ("{% if [] | select %}yes{% endif %}|{% set g = [1, 2] | select %}{{ g | list }}{{ g | list }}|{{ none | selectattr('x') | list }}|{{ ([1, 2] | map('string'))[0] is defined }}|{{ {'a': 1, 'b': 2} | reverse | list }}|{{ 2 in [1, 2] | select }}", {}),
    ("{{ [1, 2] | select | length }}", {}),
    ("{{ [1, 2] | reverse | last }}", {}),
    ("{{ [1, 2] | unique | tojson }}", {}),
    # tojson (transformers' json.dumps override)
    ("{{ x | tojson }}", {"x": {"z": 1, "a": [1, 2.5, None, True, "\u00e9<>&'\"\\\n\t\x01\x7f\u2028"], "e": {}, "l": []}}),
    ("{{ x | tojson(indent=2) }}|{{ x | tojson(indent=0) }}|{{ x | tojson(sort_keys=true) }}|{{ x | tojson(separators=(',', ':')) }}", {"x": {"b": [1, {"c": []}], "a": "\u00fc"}}),
    ("{{ x | tojson(true) }}|{{ x | tojson(ensure_ascii=true, indent='\\t') }}|{{ 1.0 | tojson }}|{{ 'str' | tojson }}|{{ none | tojson }}", {"x": ["\u00e9\U0001F600"]}),
    ("{{ [1e16, 1e-7, 123.456, -0.0, 100.0] | tojson }}", {}),
    # string methods
    ("[{{ s.strip() }}][{{ s.lstrip() }}][{{ s.rstrip() }}][{{ 'xxhixx'.strip('x') }}][{{ s.upper() }}][{{ s.lower() }}][{{ 'ab cd'.title() }}][{{ 'aBC'.capitalize() }}]", {"s": "  Hi There \n"}),
    ("{{ 'a,b,,c'.split(',') }} {{ ' a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }} {{ 'a\\nb\\r\\nc'.splitlines() }} {{ '  a b  c '.split(none, 1) }}", {}),
    ("{{ 'hello'.startswith('he') }} {{ 'hello'.endswith('lo') }} {{ 'hello'.startswith(('x', 'h')) }} {{ 'abcabc'.replace('b', 'X') }} {{ 'abcabc'.replace('b', 'X', 1) }}", {}),
    ("{{ 'h\u00e9llo'.find('l') }} {{ 'hello'.rfind('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ '-'.join(['a', 'b']) }} {{ 'abc'.removeprefix('a') }} {{ 'abc'.removesuffix('c') }}", {}),
    ("{{ '{} and {}'.format(1, 'two') }} {{ '{1}{0}'.format('a', 'b') }} {{ '{x}!'.format(x=5) }} {{ '{{}} {!r}'.format('q') }}", {}),
    ("{{ '12'.isdigit() }} {{ 'ab'.isalpha() }} {{ ' '.isspace() }} {{ 'ab'.islower() }} {{ 'AB'.isupper() }} {{ 'a1'.isalnum() }} {{ ''.isdigit() }}", {}),
    ("{{ '%s is %d years, %.2f' % ('x', 3, 2.5) }} {{ '%s' % 'single' }} {{ '100%%' % () }}", {}),
    ("{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }} {{ [1, 2, 1].count(1) }} {{ [1, 2].index(2) }}", {"d": {"x": 1, "y": 2}}),
    # attribute vs item precedence on dicts
    ("{{ m.content }}|{{ m['items'] }}|{{ m.items is callable }}|{{ m['get'] is callable }}", {"m": {"content": "c", "items": "the-key"}}),
    # globals
    ("{{ dict(a=1, b='x') }} {{ namespace(a=1).a }} {{ raise_exception is defined }}", {}),
    # jinja2 scoping corner cases
    ("{% set x = 1 %}{% for i in [1, 2] %}{{ x }}{% set x = 5 %}{{ x }}{% endfor %}{{ x }}", {}),
    ("{% macro show() %}{{ later }}{% endmacro %}{% set later = 'L' %}{{ show() }}", {}),
    ("{% for i in [1, 2] %}{% endfor %}{{ i is defined }}{% set loop = 3 %}{{ loop }}", {}),
    ("{% macro m(a) %}{{ a }}{{ caller(a * 2) }}{% endmacro %}{% call(v) m(2) %}[{{ v }}]{% endcall %}", {}),
    ("{% for m in ms %}{% for c in m %}{{ loop.index }}{% endfor %}{{ loop.index }}|{% endfor %}", {"ms": ["ab", "c"]}),
    ("{% set ns = namespace(found=false) %}{% for m in ms %}{% if m == 'b' %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.found }}", {"ms": ["a", "b"]}),
    ("{% if x %}{% set y = 1 %}{% else %}{% set y = 2 %}{% endif %}{{ y }}", {"x": 0}),
    ("{% for i in [1] %}{% set z = i %}{% for j in [2] %}{{ z }}{% set z = j %}{{ z }}{% endfor %}{{ z }}{% endfor %}", {}),
    # more whitespace control
    ("{%- if true %}a{% endif -%}\n\n  b  {{- ' c ' -}}  d", {}),
    ("  {%- raw %} r {% endraw -%}  |\t{# c #}\tx\n\t{# c #}\ny", {}),
    ("a\n    {{ 'v' }}\n    {% if true %}\n    b{% endif %}  \n  {%+ if true %}c{% endif %}", {}),
    ("{% for i in [1,2] -%}\n  {{ i }}\n{%- endfor %}", {}),
    ("x  {#- comment -#}  y {#+ keep #}\nz", {}),
    ("{% if true %}\r\n  a\r\n{% endif %}\r\n", {}),
    ("{{ 'a' }}{# c #}\n{{ 'b' }}", {}),
    ("text {% if true %}  \n{% endif %}", {}),
    # runtime errors: jinja2 raises, we must fail too
    ("{{ undefined_var.attr }}", {}),
    ("{{ undefined_var['k'] }}", {}),
    ("{{ undefined_var + 'x' }}", {}),
    ("{{ 'a' + 1 }}", {}),
    ("{{ 1 / 0 }}", {}),
    ("{{ raise_exception('custom failure: ' ~ 42) }}", {}),
    ("{% if messages[0]['role'] == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}", {"messages": [{"role": "system", "content": "x"}]}),
    ("{{ x.append(1) }}", {"x": [1]}),
    ("{{ d.update({'a': 1}) }}", {"d": {}}),
    ("{{ none.attr.deeper }}", {}),
    ("{{ 1 < 'a' }}", {}),
    ("{{ range(200000) | length }}", {}),
    ("{{ [] | tojson }}{{ undefined_var | tojson }}", {}),
    ("{% set a, b = [1] %}", {}),
    ("{{ 5 is divisibleby 0 }}", {}),
    ("{{ {'a': 1}.get() }}", {}),
    ("{% for a, b in [1, 2] %}{% endfor %}", {}),
    ("{% set x = 1 %}{% set x.attr = 2 %}", {}),
    ("{{ 'x' | int(base=99) }}", {}),
    # syntax errors and unsupported constructs: jinja2 rejects, we must reject
    ("{% if x %}unclosed", {}),
    ("{% for %}{% endfor %}", {}),
    ("{{ x | nosuchfilter }}", {}),
    ("{{ x is nosuchtest }}", {}),
    ("{% include 'other.jinja' %}", {}),
    ("{% extends 'base' %}", {}),
    ("{% unknowntag %}", {}),
    ("{{ 1 + }}", {}),
    ("{{ (1 }}", {}),
    ("{# unclosed comment", {}),
    ("{{ 'unterminated }}", {}),
    ("{% endfor %}", {}),
    ("{% break %}", {}),
    ("{% if true %}{% else %}{% else %}{% endif %}", {}),
    ("{{ x is defined is defined }}", {}),
]


FAMILIES = {
    # file stem: (bos_token or None, eos_token)  -- from chat-templates/SOURCES.md
    "qwen2.5-instruct": (None, "<|im_end|>"),
    "smollm2-instruct": ("<|im_start|>", "<|im_end|>"),
    "llama3-instruct": ("<|begin_of_text|>", "<|eot_id|>"),
    "mistral-instruct": ("<s>", "</s>"),
    "tinyllama-chat": ("<s>", "</s>"),
    "phi3-instruct": ("<s>", "<|endoftext|>"),
    "gemma-instruct": ("<bos>", "<eos>"),
}

S = {"role": "system", "content": "You are a terse assistant."}
U1 = {"role": "user", "content": "Hello! What is 2+2?"}
A1 = {"role": "assistant", "content": "4."}
U2 = {"role": "user", "content": "And 3*3?"}
A2 = {"role": "assistant", "content": "9"}

CONVERSATIONS = {
    "system_user": [S, U1],
    "user_only": [U1],
    "multi_turn_system": [S, U1, A1, U2],
    "multi_turn": [U1, A1, U2],
    "assistant_last": [U1, A1],
    "system_assistant_last": [S, U1, A1, U2, A2],
    "non_alternating": [U1, U2],
    "assistant_first": [A1, U1],
    "system_only": [S],
    "empty": [],
    "tricky_content": [
        {"role": "system", "content": "  padded system\n\n"},
        {"role": "user", "content": "{{ not a tag }} {% if %} \u00e9\u4e2d\U0001F600 \"quotes\" 'single' \\ back\ttab\n  "},
        {"role": "assistant", "content": "\n</s> <|im_end|> trailing  "},
        {"role": "user", "content": ""},
    ],
    "extra_role": [U1, {"role": "tool", "content": "tool says hi"}, U2],
}

TOOL_WEATHER = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Get the current temperature (\u00b0C) for a city \u2014 \"quoted\" <b>&</b>",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "description": "City name, e.g. M\u00fcnchen"},
                "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
            "required": ["city"],
        },
    },
}
TOOL_SEARCH = {
    "type": "function",
    "function": {"name": "search", "description": "Web search", "parameters": {"type": "object", "properties": {"q": {"type": "string"}, "k": {"type": "integer", "default": 3}}}},
}

TOOL_CONVERSATIONS = {
    "tools_plain": [S, U1],
    "tools_no_system": [U1],
    "tool_call_roundtrip": [
        U1,
        {"role": "assistant", "content": None, "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}}]},
        {"role": "tool", "name": "get_weather", "content": "{\"temperature\": 21.5}"},
    ],
    "tool_calls_multi": [
        S,
        U1,
        {"role": "assistant", "content": "Let me check.", "tool_calls": [
            {"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Z\u00fcrich"}}},
            {"name": "search", "arguments": {"q": "weather <today>", "k": 2.5}},
        ]},
        {"role": "tool", "content": "18"},
        {"role": "tool", "content": "sunny"},
        {"role": "assistant", "content": "It is 18 and sunny."},
        U2,
    ],
}

LLAMA_TOOL_CONVERSATIONS = {
    "llama_tools": [S, U1],
    "llama_tool_call": [
        U1,
        {"role": "assistant", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
        {"role": "ipython", "content": "{\"temperature\": 21}"},
    ],
    "llama_two_calls": [
        U1,
        {"role": "assistant", "tool_calls": [{"function": {"name": "a", "arguments": {}}}, {"function": {"name": "b", "arguments": {}}}]},
    ],
}


def sort_keys(x):
    if isinstance(x, dict):
        return {k: sort_keys(x[k]) for k in sorted(x)}
    if isinstance(x, list):
        return [sort_keys(v) for v in x]
    return x


# Randomised differential cases: seeded random expressions over a fixed set of variables, each
# rendered as "{{ expr }}" by both sides. Deterministic (fixed seed); both must agree on the text
# or both must fail. Python-only artefacts (object addresses, big integers) are not comparable.
FUZZ_VARS = {"s": " H\u00e9llo, W\u00f6rld \u4e16 ", "n": 7, "k": -3, "f": 2.5, "z": 0, "b": True, "nn": None,
             "l": [3, 1, 2, 3], "w": ["b", "A", "a", "c"], "e": [], "d": {"y": 1, "x": "two", "k": [1]},
             "m": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo", "tool_calls": []}]}


def fuzz_expressions(count, seed=20241126):
    import random

    rng = random.Random(seed)
    atoms = ["s", "n", "k", "f", "z", "b", "nn", "l", "w", "e", "d", "m", "u", "m[0]", "m[-1]", "d.x", "d['k']",
             "0", "1", "2", "-1", "10", "0.5", "1.0", "3.75", "1e20", "'ab'", "'a\\'b'", "\"x y\"", "''", "'A-b c'",
             "true", "false", "none", "[1, 2]", "['a', 'b']", "[]", "{'a': 1}", "(1, 'x')", "range(4)"]
    binops = ["+", "-", "*", "/", "//", "%", "**", "~", "==", "!=", "<", ">", "<=", ">=", "in", "not in", "and", "or"]
    filters = ["length", "trim", "upper", "lower", "title", "capitalize", "first", "last", "list", "string", "int",
               "float", "abs", "round", "join(',')", "default('D')", "tojson", "reverse | list", "sort", "unique | list",
               "items | list", "dictsort", "sum", "min", "max", "replace('l', 'L')", "select('odd') | list",
               "map('string') | list", "count", "wordcount", "center(9)", "indent(2)", "round(1)", "int(5)",
               "default('D', true)", "tojson(indent=1)", "batch" if False else "string"]
    tests = ["defined", "undefined", "none", "string", "number", "integer", "float", "mapping", "iterable", "sequence",
             "odd", "even", "divisibleby(3)", "eq(1)", "lower", "upper", "true", "false", "boolean", "in([1, 2])"]
    posts = ["[0]", "[-1]", "[1:]", "[::-1]", "[:2]", ".upper()", ".split()", ".strip()", ".startswith('H')",
             ".replace('o', '0')", ".title()", ".items() | list", ".keys() | list", ".get('x')", ".get('q', 5)",
             "['x']", ".role", ".content", ".split(',')", ".count('l')", ".find('l')", ".lstrip()", ".endswith('')"]

    def expr(depth):
        r = rng.random()
        if depth <= 0 or r < 0.25:
            return rng.choice(atoms)
        if r < 0.5:
            return f"({expr(depth - 1)} {rng.choice(binops)} {expr(depth - 1)})"
        if r < 0.65:
            return f"({expr(depth - 1)} | {rng.choice(filters)})"
        if r < 0.75:
            neg = rng.choice(["", "not "])
            return f"({expr(depth - 1)} is {neg}{rng.choice(tests)})"
        if r < 0.87:
            return f"{rng.choice(atoms)}{rng.choice(posts)}"
        if r < 0.94:
            return f"({expr(depth - 1)} if {expr(depth - 1)} else {expr(depth - 1)})"
        return f"({rng.choice(['not ', '-'])}{expr(depth - 1)})"

    return ["{{ " + expr(3) + " }}" for _ in range(count)]


def reference_env():
    from transformers.tokenization_utils_base import PreTrainedTokenizerBase

    class _Owner:  # _compile_jinja_template is an lru_cached method; it uses no tokenizer state
        pass

    owner = _Owner()
    return lambda source: PreTrainedTokenizerBase._compile_jinja_template(owner, source)


def loopcontrols_env():
    import jinja2
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    return env.from_string


# formats.md section 6.4: default system prompt + user "write a quick sort algorithm." + generation prompt.
QWEN_QUICKSORT_IDS = [151644, 8948, 198, 2610, 525, 1207, 16948, 11, 3465, 553, 54364, 14817, 13, 1446, 525, 264, 10950,
                      17847, 13, 151645, 198, 151644, 872, 198, 4934, 264, 3974, 3378, 12111, 13, 151645, 198, 151644,
                      77091, 198]


def check_token_ids():
    """Token ids of rendered ChatML prompts (Qwen2.5 tokenizer.json + tokenizer_config.json chat_template)
    equal transformers' apply_chat_template(..., tokenize=True); the section 6.4 vector must hold."""
    from transformers import AutoTokenizer

    qdir = SHARED / "tokenizers" / "qwen2.5"
    tool = TOOLS / "oracle_tokenizer_chat_tokenize"
    if not tool.exists() or not (qdir / "tokenizer.json").exists():
        print(f"missing {tool} or {qdir}/tokenizer.json")
        return 0, 1
    # tokenizers 0.19 reads merges only as "a b" strings; the shared file stores [a, b] pairs.
    hf_dir = WORK / "qwen2.5-hf"
    hf_dir.mkdir(parents=True, exist_ok=True)
    tj = json.loads((qdir / "tokenizer.json").read_text(encoding="utf-8"))
    tj["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in tj["model"]["merges"]]
    (hf_dir / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False), encoding="utf-8")
    (hf_dir / "tokenizer_config.json").write_text((qdir / "tokenizer_config.json").read_text(encoding="utf-8"), encoding="utf-8")
    hf = AutoTokenizer.from_pretrained(str(hf_dir))
    cases = [
        {"messages": [{"role": "user", "content": "write a quick sort algorithm."}], "add_generation_prompt": True},
        {"messages": CONVERSATIONS["multi_turn_system"], "add_generation_prompt": True},
        {"messages": CONVERSATIONS["tricky_content"], "add_generation_prompt": False},
        # the helper parses with nlohmann::json (sorted keys), so both sides get sorted keys
        {"messages": sort_keys(TOOL_CONVERSATIONS["tool_calls_multi"]), "add_generation_prompt": True,
         "tools": [sort_keys(TOOL_WEATHER)]},
        {"messages": [{"role": "user", "content": "<|im_start|> inline special <|endoftext|> and <think>"}], "add_generation_prompt": True},
    ]
    path = WORK / "chat_tokenize.jsonl"
    with open(path, "w", encoding="utf-8") as f:
        for c in cases:
            f.write(json.dumps(c, ensure_ascii=False) + "\n")
    proc = subprocess.run([str(tool), str(qdir / "tokenizer.json"), str(qdir / "tokenizer_config.json"), str(path)],
                          capture_output=True, timeout=600)
    if proc.returncode != 0:
        print(f"FAIL chat tokenize helper exit {proc.returncode}: {proc.stderr.decode(errors='replace')}")
        return 0, len(cases) + 1
    got = [json.loads(line) for line in proc.stdout.decode("utf-8").split("\n") if line.strip()]
    passed = failed = 0
    for k, (c, g) in enumerate(zip(cases, got)):
        want = hf.apply_chat_template(c["messages"], tools=c.get("tools"), add_generation_prompt=c["add_generation_prompt"],
                                      tokenize=True)
        if g.get("ok") and g["ids"] == want:
            passed += 1
        else:
            failed += 1
            print(f"FAIL qwen2.5 chat token ids case {k}\n  expected: {want}\n  got:      {g}")
    if len(got) != len(cases):
        failed += 1
        print(f"FAIL chat tokenize helper returned {len(got)} results for {len(cases)} cases")
    if got and got[0].get("ids") == QWEN_QUICKSORT_IDS:
        passed += 1
    else:
        failed += 1
        print(f"FAIL formats.md 6.4 vector: got {got[0] if got else None}")
    return passed, failed


def main():
    tool = TOOLS / "oracle_tokenizer_chat_render"
    if not tool.exists():
        print(f"missing helper executable {tool}")
        print("0 passed, 1 failed")
        return 1
    for stem in FAMILIES:
        if not (TEMPLATES / f"{stem}.jinja").exists():
            print(f"missing template {TEMPLATES / (stem + '.jinja')}")
            print("0 passed, 1 failed")
            return 1

    compile_ref = reference_env()
    compile_loop = loopcontrols_env()
    cases = []  # (name, case-for-tool, expected: ("ok", text) | ("error", message-or-None))

    def expect(source, variables, compiler=compile_ref):
        try:
            tmpl = compiler(source)
        except Exception as e:  # noqa: BLE001 - any jinja2 failure means "must fail"
            return ("error", None, f"{type(e).__name__}: {e}")
        try:
            # a deep copy: jinja2's filters run unsandboxed Python (`indent` does `s += "\n"`,
            # which extends a list in place) and must not alter the variables of later cases
            return ("ok", tmpl.render(**copy.deepcopy(variables)), None)
        except Exception as e:  # noqa: BLE001
            msg = str(e) if type(e).__name__ == "TemplateError" else None
            return ("error", msg, f"{type(e).__name__}: {e}")

    def variables_for(messages, bos, eos, agp, tools=None, extra=None):
        v = {"messages": messages, "tools": tools, "documents": None, "add_generation_prompt": agp}
        if bos is not None:
            v["bos_token"] = bos
        if eos is not None:
            v["eos_token"] = eos
        v.update(extra or {})
        return v

    # 1. families x conversations x add_generation_prompt
    for stem, (bos, eos) in FAMILIES.items():
        path = str(TEMPLATES / f"{stem}.jinja")
        source = (TEMPLATES / f"{stem}.jinja").read_text(encoding="utf-8")
        for conv_name, conv in CONVERSATIONS.items():
            for agp in (True, False):
                v = variables_for(conv, bos, eos, agp)
                cases.append((f"{stem}/{conv_name}/agp={agp}", {"template": path, "variables": v}, expect(source, v)))

    # 2. tools (Qwen2.5, Llama-3.1)
    qwen = TEMPLATES / "qwen2.5-instruct.jinja"
    for conv_name, conv in TOOL_CONVERSATIONS.items():
        for tools in ([TOOL_WEATHER], [TOOL_WEATHER, TOOL_SEARCH]):
            for agp in (True, False):
                v = variables_for(conv, None, "<|im_end|>", agp, tools=tools)
                cases.append((f"qwen2.5-instruct/{conv_name}/tools={len(tools)}/agp={agp}",
                              {"template": str(qwen), "variables": v}, expect(qwen.read_text(encoding="utf-8"), v)))
        v = variables_for(conv, None, "<|im_end|>", True)
        cases.append((f"qwen2.5-instruct/{conv_name}/no-tools", {"template": str(qwen), "variables": v},
                      expect(qwen.read_text(encoding="utf-8"), v)))
    llama = TEMPLATES / "llama3-instruct.jinja"
    for conv_name, conv in LLAMA_TOOL_CONVERSATIONS.items():
        for extra in ({}, {"tools_in_user_message": False}, {"builtin_tools": ["code_interpreter", "get_weather"]},
                      {"date_string": "01 Jan 2025", "custom_tools": [TOOL_SEARCH]}):
            v = variables_for(conv, "<|begin_of_text|>", "<|eot_id|>", True, tools=[TOOL_WEATHER], extra=extra)
            cases.append((f"llama3-instruct/{conv_name}/{sorted(extra)}", {"template": str(llama), "variables": v},
                          expect(llama.read_text(encoding="utf-8"), v)))

    # 3. the agreed render(messages, ChatTemplateOptions) API: nlohmann::json sorts keys
    for stem, (bos, eos) in FAMILIES.items():
        path = TEMPLATES / f"{stem}.jinja"
        for agp in (True, False):
            conv = CONVERSATIONS["multi_turn_system"] if stem != "gemma-instruct" else CONVERSATIONS["multi_turn"]
            tools = [TOOL_WEATHER] if stem == "qwen2.5-instruct" else None
            opts = {"add_generation_prompt": agp, "bos_token": bos or "", "eos_token": eos or ""}
            if tools:
                opts["tools"] = tools
            v = variables_for(sort_keys(conv), bos, eos, agp, tools=sort_keys(tools) if tools else None)
            cases.append((f"api/{stem}/agp={agp}", {"template": str(path), "messages": conv, "options": opts},
                          expect(path.read_text(encoding="utf-8"), v)))

    # 4. language-feature snippets
    for k, (source, variables, *flags) in enumerate(SNIPPETS):
        compiler = compile_loop if "loopcontrols" in flags else compile_ref
        cases.append((f"snippet[{k}] {source[:60]!r}", {"template_text": source, "variables": variables},
                      expect(source, variables, compiler)))

    # 4b. seeded random expressions
    fuzz_skipped = 0
    for k, source in enumerate(fuzz_expressions(1500)):
        exp = expect(source, FUZZ_VARS)
        if exp[0] == "ok" and (" at 0x" in exp[1] or "<generator" in exp[1]
                               or "dict_" in exp[1] or any(len(t) > 18 and t.lstrip("-").isdigit()
                                                            for t in re.split(r"[^-0-9]", exp[1]))):
            fuzz_skipped += 1  # object addresses, dict views, integers beyond int64: not comparable
            continue
        cases.append((f"fuzz[{k}] {source}", {"template_text": source, "variables": FUZZ_VARS}, exp))

    # 5. reference renderings recorded in SOURCES.md (independent of the oracle above)
    sources_md = (TEMPLATES / "SOURCES.md").read_text(encoding="utf-8")
    refs = 0
    for section in re.split(r"^## ", sources_md, flags=re.M):
        m = re.match(r"`([^`]+)\.jinja`", section)
        if not m or m.group(1) not in FAMILIES:
            continue
        stem = m.group(1)
        reprs = re.findall(r"Python repr: `('.*')`$", section, flags=re.M)
        if not reprs:
            continue
        bos, eos = FAMILIES[stem]
        conv = [{"role": "user", "content": "U"}]
        if "user only" not in section:
            conv = [{"role": "system", "content": "S"}] + conv
        v = variables_for(conv, bos, eos, True)
        cases.append((f"SOURCES.md/{stem}", {"template": str(TEMPLATES / f'{stem}.jinja'), "variables": v},
                      ("ok", ast.literal_eval(reprs[0]), None)))
        refs += 1
    if refs != len(FAMILIES):
        print(f"expected {len(FAMILIES)} reference renderings in SOURCES.md, found {refs}")
        print("0 passed, 1 failed")
        return 1

    WORK.mkdir(parents=True, exist_ok=True)
    tok_passed, tok_failed = check_token_ids()
    batch = WORK / "chat_cases.jsonl"
    with open(batch, "w", encoding="utf-8") as f:
        for _, case, _ in cases:
            f.write(json.dumps(case, ensure_ascii=False) + "\n")
    proc = subprocess.run([str(tool), "--batch", str(batch)], capture_output=True, timeout=600)
    if proc.returncode != 0:
        print(f"helper failed with exit code {proc.returncode}: {proc.stderr.decode(errors='replace')}")
        print(f"0 passed, {len(cases)} failed")
        return 1
    results = [json.loads(line) for line in proc.stdout.decode("utf-8").split("\n") if line.strip()]
    if len(results) != len(cases):
        print(f"helper returned {len(results)} results for {len(cases)} cases")
        print(f"0 passed, {len(cases)} failed")
        return 1

    passed = failed = errors_matched = 0
    for (name, _, exp), got in zip(cases, results):
        kind, payload, detail = exp
        ok = False
        if kind == "ok":
            ok = got["ok"] and got["text"] == payload
        else:
            ok = not got["ok"]
            if ok and payload is not None:  # raise_exception: the message must come through
                ok = payload in got["error"]
            if ok:
                errors_matched += 1
        if ok:
            passed += 1
        else:
            failed += 1
            want = repr(payload) if kind == "ok" else f"an error ({detail})"
            have = repr(got.get("text")) if got["ok"] else f"error: {got['error']}"
            print(f"FAIL {name}\n  expected: {want}\n  got:      {have}")
    print(f"({errors_matched} cases where jinja2 raises and we fail too; {fuzz_skipped} random expressions "
          f"skipped as not comparable)")
    passed += tok_passed
    failed += tok_failed
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
