#!/usr/bin/env bash
# Disk-space check before a conversion (issue 11 item 8): `convert` and the conversions of `run`
# estimate the output's size (convert/output_size.cpp) and refuse, before writing a byte, one that
# would not fit in the target folder's free space: exit 3 (environment), one line naming the
# folder, the bytes needed and free. APR_QA_TEST_FREE_BYTES sets the free space every check sees.
# The boundary is exact: free = estimate converts, free = estimate - 1 is refused.
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
"$APR" fixture --arch llama --preset tiny -o "$WORK/snap" >/dev/null

# The estimate, and the bytes written, of a conversion with plenty of room.
for fmt in gguf apr safetensors; do
  case $fmt in safetensors) dst="$WORK/ok-$fmt/model.safetensors"; mkdir -p "$WORK/ok-$fmt" ;; *) dst="$WORK/ok.$fmt" ;; esac
  line=$("$APR" convert "$WORK/snap" "$dst" -v | grep '^size: ')
  est=$(sed -E 's/^size: estimated ([0-9]+) bytes.*/\1/' <<<"$line")
  wrote=$(sed -E 's/.*wrote ([0-9]+)$/\1/' <<<"$line")
  [[ $est =~ ^[0-9]+$ && $wrote =~ ^[0-9]+$ ]] || fail "$fmt: no size line: $line"
  # The estimate may exceed what is written by a little (a safe check), never fall short.
  (( est >= wrote )) || fail "$fmt: estimated $est bytes < written $wrote"
  (( est - wrote <= wrote / 100 + 65536 )) || fail "$fmt: estimate $est far above written $wrote"
  echo "$fmt: estimated $est, wrote $wrote"

  # One byte short: refused, nothing written.
  case $fmt in safetensors) dst2="$WORK/short-$fmt"; what="$dst2" ;; *) dst2="$WORK/short/x.$fmt"; what="$WORK/short" ;; esac
  rc=0
  APR_QA_TEST_FREE_BYTES=$((est - 1)) "$APR" convert "$WORK/snap" "$dst2" > "$WORK/out" 2> "$WORK/err" || rc=$?
  [[ $rc == 3 ]] || { cat "$WORK/err"; fail "$fmt: convert with too little space: exit $rc, expected 3"; }
  [[ $(wc -l < "$WORK/err") == 1 ]] || { cat "$WORK/err"; fail "$fmt: expected one stderr line"; }
  grep -q -F "apr-qa convert: error: $what: not enough free disk space for the conversion to $fmt: needs about" "$WORK/err" \
    || { cat "$WORK/err"; fail "$fmt: the line does not name the folder and the need"; }
  grep -q -F "($est bytes, estimated), " "$WORK/err" && grep -q -F "($((est - 1)) bytes) free" "$WORK/err" \
    || { cat "$WORK/err"; fail "$fmt: the line does not give the needed and free bytes"; }
  [[ ! -e "$dst2" ]] || { ls -la "$dst2"; fail "$fmt: a refused conversion left $dst2"; }
  # Exactly enough: converts.
  rc=0
  APR_QA_TEST_FREE_BYTES=$est "$APR" convert "$WORK/snap" "$dst2" > "$WORK/out" 2> "$WORK/err" || rc=$?
  [[ $rc == 0 ]] || { cat "$WORK/err"; fail "$fmt: convert with exactly the estimate free: exit $rc"; }
done
# The variable is checked like every switch.
rc=0; APR_QA_TEST_FREE_BYTES=lots "$APR" convert "$WORK/snap" "$WORK/bad.gguf" 2> "$WORK/err" || rc=$?
[[ $rc == 2 ]] && grep -q "APR_QA_TEST_FREE_BYTES: expected a number of bytes" "$WORK/err" || { cat "$WORK/err"; fail "bad APR_QA_TEST_FREE_BYTES: exit $rc"; }

# run: the first artifact conversion does not fit, the run stops like any environment error.
cat > "$WORK/pb.yaml" <<'YAML'
name: tiny-disk-space
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
YAML
rc=0
APR_QA_TEST_FREE_BYTES=1000000 "$APR" run "$WORK/pb.yaml" --model-path "$WORK/snap" -o "$WORK/run" -q -j 1 \
  > "$WORK/stdout" 2> "$WORK/stderr" || rc=$?
[[ $rc == 3 ]] || { cat "$WORK/stderr"; fail "run with too little space: exit $rc, expected 3"; }
[[ $(wc -l < "$WORK/stderr") == 1 ]] || { cat "$WORK/stderr"; fail "run: expected one stderr line"; }
grep -q -E "^apr-qa run: error: environment: $WORK/run/artifacts/[0-9a-f]+: not enough free disk space for the conversion to [a-z]+: needs about .* \\(1000000 bytes\\) free \\(run stopped, no verdict" "$WORK/stderr" \
  || { cat "$WORK/stderr"; fail "run: the line does not name the artifact folder, the need and the free space"; }
[[ ! -e "$WORK/run/mqs.json" && ! -e "$WORK/run/report.html" ]] || fail "run: a verdict was written"
if grep -q -E "grade|CERTIFIED" "$WORK/stdout"; then cat "$WORK/stdout"; fail "run: a verdict was printed"; fi
python3 - "$WORK/run/evidence.json" "$WORK/run" <<'PY'
import json, os, sys
ev = json.load(open(sys.argv[1])); out = sys.argv[2]


def reads_this_runs_files(e):
    spec = os.path.join(out, "nodes", e.get("node", ""), "spec.json")
    if not os.path.exists(spec):
        return True
    params = json.dumps(json.load(open(spec)).get("params", {}))
    return any(os.path.join(out, d) + "/" in params for d in ("artifacts", "runs"))


# Nodes start longest-path first: a threshold verdict on the untouched input (F-SANITY-PPL-001 on
# the random fixture) may complete before the first conversion is refused; that one is a judgement
# on the model. Anything that read this run's files or failed without a measured violation is not.
bad = [(e["gate_id"], e["outcome"]) for e in ev if e["outcome"] in ("Error", "Crashed", "Timeout") or
       (e["outcome"] == "Falsified" and (reads_this_runs_files(e) or "violates" not in e["reason"]))]
assert ev and not bad, "disk space scored as a model failure: %s" % bad
PY
echo "run: $(cat "$WORK/stderr")"
echo "ok: conversions that would not fit are refused before writing (exit 3, one line)"
