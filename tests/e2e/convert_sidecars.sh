#!/usr/bin/env bash
# `convert SRC dir/x.safetensors` writes config.json, generation_config.json, tokenizer.json and
# tokenizer_config.json beside the model file: it refuses (exit 2, one line naming the file) when
# one of them exists already, leaving every file as it was, and overwrites with --force.
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
"$APR" fixture --arch llama --preset tiny -o "$WORK/snap" >/dev/null
"$APR" convert "$WORK/snap" "$WORK/tiny.gguf" >/dev/null
# An empty folder: written.
"$APR" convert "$WORK/tiny.gguf" "$WORK/out/x.safetensors" >/dev/null
for f in config.json generation_config.json tokenizer.json tokenizer_config.json; do
  [[ -s "$WORK/out/$f" ]] || fail "sidecar $f not written"
done
# Each existing sidecar on its own is refused.
for f in config.json generation_config.json tokenizer.json tokenizer_config.json; do
  rm -rf "$WORK/d"; mkdir -p "$WORK/d"
  echo "mine" > "$WORK/d/$f"
  rc=0
  "$APR" convert "$WORK/tiny.gguf" "$WORK/d/x.safetensors" > "$WORK/stdout" 2> "$WORK/stderr" || rc=$?
  [[ $rc == 2 ]] || { cat "$WORK/stderr"; fail "existing $f: exit $rc, expected 2"; }
  n=$(wc -l < "$WORK/stderr")
  [[ $n == 1 ]] || { cat "$WORK/stderr"; fail "existing $f: $n stderr lines, expected 1"; }
  grep -q -F -- "$WORK/d/$f" "$WORK/stderr" || { cat "$WORK/stderr"; fail "existing $f: the line does not name the file"; }
  grep -q -F -- "--force" "$WORK/stderr" || { cat "$WORK/stderr"; fail "existing $f: the line does not mention --force"; }
  [[ "$(cat "$WORK/d/$f")" == mine ]] || fail "existing $f was modified"
  [[ ! -e "$WORK/d/x.safetensors" ]] || fail "existing $f: a model file was written anyway"
  echo "refused: $(cat "$WORK/stderr")"
done
# A directory target (HF layout) is refused the same way.
rc=0
"$APR" convert "$WORK/tiny.gguf" "$WORK/out" --to safetensors > /dev/null 2> "$WORK/stderr" || rc=$?
[[ $rc == 2 ]] || { cat "$WORK/stderr"; fail "directory target with sidecars: exit $rc, expected 2"; }
# --force overwrites.
"$APR" convert "$WORK/tiny.gguf" "$WORK/d/x.safetensors" --force >/dev/null || fail "--force: refused"
[[ "$(cat "$WORK/d/tokenizer_config.json")" != mine ]] || fail "--force did not overwrite"
"$APR" diff "$WORK/tiny.gguf" "$WORK/d/x.safetensors" >/dev/null || fail "--force: the output differs from the source"
echo "ok: existing sidecars are refused without --force (exit 2, one line naming the file) and overwritten with it"
