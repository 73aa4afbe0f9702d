#!/usr/bin/env bash
# The runner's log lines go through one logger (core/log, spdlog) with levels bound to -q/-v and
# --log-format text|json. json: every stderr line is one JSON object with time, level, message
# (and fields); node events carry node/gates/outcome; -q keeps warnings and errors only; -v adds
# node starts and notes; an error ending the command is a JSON line too. The summary stays on
# stdout as text. text: the warning line is "warning: ...".
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
"$APR" fixture --arch llama --preset tiny -o "$WORK/snap" >/dev/null
cat > "$WORK/pb.yaml" <<'YAML'
name: tiny-log-format
version: "1.0.0"
model:
  hf_repo: "apr-qa/tiny"
  formats: [safetensors, gguf]
  size_category: tiny
test_matrix:
  modalities: [run]
  backends: [cpu]
  scenario_count: 1
  prompts: ["Hello"]
failure_policy: collect_all
metadata: {tier: smoke}
an_unknown_key_far_from_any_other: 1
YAML
check() {  # check STDERR_FILE MODE(normal|verbose|quiet|error)
  python3 - "$1" "$2" <<'PY'
import json, re, sys
path, mode = sys.argv[1], sys.argv[2]
lines = open(path, encoding="utf-8").read().splitlines()
assert lines, "no stderr lines"
objs = []
for i, l in enumerate(lines, 1):
    try:
        o = json.loads(l)
    except ValueError as e:
        raise SystemExit("%s line %d is not JSON (%s): %r" % (mode, i, e, l[:200]))
    assert isinstance(o, dict), "line %d: not an object" % i
    for k in ("time", "level", "message"):
        assert k in o, "line %d lacks %s: %r" % (i, k, l[:200])
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}[+-]\d\d:\d\d", o["time"]), o["time"]
    assert o["level"] in ("debug", "info", "warning", "error"), o["level"]
    objs.append(o)
levels = {o["level"] for o in objs}
warn = [o for o in objs if o["level"] == "warning" and "an_unknown_key_far_from_any_other" in o["message"]]
assert warn, mode + ": the unknown-key warning is missing"
fin = [o for o in objs if o.get("event") == "finish"]
start = [o for o in objs if o.get("event") == "start"]
if mode == "quiet":
    assert levels <= {"warning", "error"}, "quiet: levels %s" % levels
elif mode == "error":
    err = [o for o in objs if o["level"] == "error"]
    assert err and "not enough free disk space" in err[-1]["message"], "error: no JSON error line"
else:
    assert fin, mode + ": no node finish events"
    for o in fin:
        assert o["level"] == "info" and o["node"] and isinstance(o["gates"], list) and o["outcome"], o
    assert fin[-1]["done"] == fin[-1]["total"], "the last finish event is not the last node"
    if mode == "verbose":
        assert start and all(o["level"] == "debug" for o in start), "verbose: no debug node starts"
    else:
        assert not start and "debug" not in levels, "normal: debug lines without -v"
print("%s: %d JSON lines, levels %s" % (mode, len(objs), sorted(levels)))
PY
}
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/snap" -o "$WORK/n" -j 2 --log-format json > "$WORK/n.out" 2> "$WORK/n.err" || rc=$?
[[ $rc == 0 || $rc == 1 ]] || { tail -3 "$WORK/n.err"; fail "json run: exit $rc"; }
check "$WORK/n.err" normal
grep -q "^evidence: $WORK/n/evidence.json$" "$WORK/n.out" || fail "json run: the summary is not on stdout"
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/snap" -o "$WORK/v" -j 2 --log-format json -v > /dev/null 2> "$WORK/v.err" || rc=$?
check "$WORK/v.err" verbose
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/snap" -o "$WORK/q" -j 2 --log-format json -q > /dev/null 2> "$WORK/q.err" || rc=$?
check "$WORK/q.err" quiet
rc=0; APR_QA_TEST_FREE_BYTES=1000 "$APR" run "$WORK/pb.yaml" --model-path "$WORK/snap" -o "$WORK/e" --log-format json > /dev/null 2> "$WORK/e.err" || rc=$?
[[ $rc == 3 ]] || fail "json run out of disk: exit $rc, expected 3"
check "$WORK/e.err" error
# text: the same warning as a plain line, node lines as before.
rc=0; "$APR" run "$WORK/pb.yaml" --model-path "$WORK/snap" -o "$WORK/t" -j 2 > /dev/null 2> "$WORK/t.err" || rc=$?
grep -q "^warning: $WORK/pb.yaml: unknown key(s) ignored: 'an_unknown_key_far_from_any_other'" "$WORK/t.err" || { head -3 "$WORK/t.err"; fail "text: no warning line"; }
grep -q -E "^\[[0-9]+/[0-9]+\] n0000-resolve" "$WORK/t.err" || fail "text: no node line"
if grep -q '^{' "$WORK/t.err"; then fail "text: a JSON line"; fi
rc=0; "$APR" run "$WORK/pb.yaml" --log-format xml > /dev/null 2> "$WORK/x.err" || rc=$?
[[ $rc == 2 ]] && grep -q -- "--log-format" "$WORK/x.err" || { cat "$WORK/x.err"; fail "--log-format xml: exit $rc"; }
echo "ok: log lines through core/log (text and json)"
