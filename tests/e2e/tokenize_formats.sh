#!/usr/bin/env bash
# tokenize/detokenize take a model like every other command (formats/resolve): the same fixture as
# an HF snapshot, a GGUF and an APR file gives the same ids, and so do a folder holding one APR, an
# HF repo id and an HF cache repo folder (models--org--name/). Before, an .apr failed "invalid JSON".
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
TEXT="Hello world, the quick brown fox"
"$APR" fixture --arch qwen2 --preset tiny -o "$WORK/snap" > /dev/null
"$APR" convert "$WORK/snap" "$WORK/m.apr" --to apr > /dev/null
"$APR" convert "$WORK/snap" "$WORK/m.gguf" --to gguf > /dev/null
mkdir -p "$WORK/oneapr"; cp "$WORK/m.apr" "$WORK/oneapr/model.apr"
HUB="$WORK/hub"; REPO="$HUB/models--org--tiny"
mkdir -p "$REPO/snapshots/0123abc" "$REPO/refs"
cp "$WORK"/snap/* "$REPO/snapshots/0123abc/"
echo 0123abc > "$REPO/refs/main"
"$APR" tokenize "$WORK/snap" "$TEXT" > "$WORK/ref.txt"
[[ $(wc -w < "$WORK/ref.txt") -ge 4 ]] || fail "reference tokenization too short: $(cat "$WORK/ref.txt")"
for input in "$WORK/m.apr" "$WORK/m.gguf" "$WORK/oneapr" org/tiny "$REPO" "$WORK/snap/tokenizer.json"; do
  rc=0; HF_HUB_CACHE="$HUB" "$APR" tokenize "$input" "$TEXT" > "$WORK/ids.txt" 2> "$WORK/err" || rc=$?
  [[ $rc == 0 ]] || { cat "$WORK/err"; fail "tokenize $input: exit $rc"; }
  cmp -s "$WORK/ref.txt" "$WORK/ids.txt" || fail "tokenize $input: $(cat "$WORK/ids.txt") != $(cat "$WORK/ref.txt")"
  rc=0; HF_HUB_CACHE="$HUB" "$APR" detokenize "$input" $(cat "$WORK/ref.txt") > "$WORK/text.txt" 2> "$WORK/err" || rc=$?
  [[ $rc == 0 ]] || { cat "$WORK/err"; fail "detokenize $input: exit $rc"; }
  grep -Fq "quick brown fox" "$WORK/text.txt" || fail "detokenize $input: '$(cat "$WORK/text.txt")'"
done
rc=0; "$APR" tokenize "$WORK/nope.apr" "$TEXT" > /dev/null 2> "$WORK/err" || rc=$?
[[ $rc == 3 ]] || { cat "$WORK/err"; fail "tokenize on a missing file: exit $rc, expected 3"; }
echo "tokenize formats: ok"
