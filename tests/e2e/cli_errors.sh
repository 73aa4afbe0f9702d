#!/usr/bin/env bash
# User mistakes get the README's exit codes and one line naming the path (issue: the CLI as a new
# user meets it): never exit 4 "internal error". And `run` resolves model inputs as every other
# command does (formats/resolve): a folder holding one GGUF, an HF repo id and an HF cache repo
# folder (models--org--name/, through refs/main); --dry-run checks that the input exists.
set -euo pipefail
APR="$1"; PB="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
expect() {  # $1 expected exit, $2 pattern of the one stderr line, rest: command
  local want="$1" pat="$2"; shift 2
  local rc=0; "$APR" "$@" > "$WORK/out" 2> "$WORK/err" || rc=$?
  [[ $rc == "$want" ]] || { cat "$WORK/err"; fail "apr-qa $*: exit $rc, expected $want"; }
  [[ $(grep -c . "$WORK/err") == 1 ]] || { cat "$WORK/err"; fail "apr-qa $*: expected one error line"; }
  grep -Eq "$pat" "$WORK/err" || { cat "$WORK/err"; fail "apr-qa $*: '$(cat "$WORK/err")' does not match /$pat/"; }
}
touch "$WORK/afile"
expect 3 "score: error: $WORK: is a directory" score "$WORK"
expect 3 "report: error: $WORK: is a directory" report "$WORK" -o "$WORK/rep"
expect 2 "afile: -o/--output must be a directory" run "$PB" -o "$WORK/afile" --model-path "$WORK/afile" -q
expect 3 "validate: error: $WORK/nope.yaml: cannot open" validate "$WORK/nope.yaml"
expect 3 "run: error: $WORK/nope.yaml: cannot open" run "$WORK/nope.yaml"
expect 2 "unknown command 'certfy'; did you mean 'certify'" certfy --all
expect 3 "$WORK/no-model.gguf: no such file or directory" run "$PB" --dry-run --model-path "$WORK/no-model.gguf"

# The same inputs in run as in inspect.
"$APR" fixture --arch llama --preset tiny -o "$WORK/snap" > /dev/null
mkdir -p "$WORK/onegguf"
"$APR" convert "$WORK/snap" "$WORK/onegguf/model.gguf" --to gguf > /dev/null
"$APR" run "$PB" --dry-run --model-path "$WORK/onegguf" > "$WORK/plan.txt"
grep -q "file input: $WORK/onegguf/model.gguf" "$WORK/plan.txt" || fail "run: a folder with one GGUF"
HUB="$WORK/hub"; REPO="$HUB/models--org--tiny"
mkdir -p "$REPO/snapshots/0123abc" "$REPO/snapshots/old" "$REPO/refs"
cp "$WORK"/snap/* "$REPO/snapshots/0123abc/"
echo 0123abc > "$REPO/refs/main"
for input in org/tiny "$REPO"; do
  HF_HUB_CACHE="$HUB" "$APR" run "$PB" --dry-run --model-path "$input" > "$WORK/plan.txt"
  grep -q "directory input: $REPO/snapshots/0123abc" "$WORK/plan.txt" || fail "run: $input does not resolve to the refs/main snapshot"
  HF_HUB_CACHE="$HUB" "$APR" inspect "$input" > /dev/null || fail "inspect: $input"
done
echo "cli errors: ok"
