#!/usr/bin/env bash
# `convert` prints one summary line of dtype changes ("dtype changes: 14 tensors Q4_1->F32 (...)")
# instead of one line per tensor (211 note lines for SmolLM2); -v prints the per-tensor lines.
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
"$APR" fixture --arch qwen2 --preset tiny -o "$WORK/snap" > /dev/null
# Lossy on request: the quantized tensors are summed up in one line.
"$APR" convert "$WORK/snap" "$WORK/q.gguf" --to gguf --quantize q4_1 > "$WORK/q.txt"
[[ $(wc -l < "$WORK/q.txt") == 2 ]] || { cat "$WORK/q.txt"; fail "convert --quantize: expected 2 lines"; }
grep -Eq '^dtype changes: .*[0-9]+ tensors F32->Q4_1 \(lossy\)' "$WORK/q.txt" || { cat "$WORK/q.txt"; fail "no lossy summary"; }
# A quantized input to SafeTensors: every quantized tensor is dequantized exactly.
mkdir -p "$WORK/st" "$WORK/st-v"
"$APR" convert "$WORK/q.gguf" "$WORK/st/model.safetensors" > "$WORK/st.txt"
"$APR" convert "$WORK/q.gguf" "$WORK/st-v/model.safetensors" -v > "$WORK/st-v.txt"  # own folder: convert keeps existing sidecars
[[ $(wc -l < "$WORK/st.txt") == 2 ]] || { cat "$WORK/st.txt"; fail "convert: expected 2 lines (wrote, dtype changes)"; }
n=$(grep -Eo '[0-9]+ tensors Q4_1->F32' "$WORK/st.txt" | grep -Eo '^[0-9]+') || { cat "$WORK/st.txt"; fail "no Q4_1->F32 summary"; }
per=$(grep -c '^note: .*: Q4_1->F32 (dequantized exactly' "$WORK/st-v.txt" || true)
[[ "$per" == "$n" && "$n" -ge 2 ]] || { cat "$WORK/st-v.txt"; fail "-v: $per per-tensor Q4_1->F32 lines, summary says $n"; }
[[ $(wc -l < "$WORK/st-v.txt") -gt $((n + 1)) ]] || fail "-v: expected a line per changed tensor"
# -v also says where the time went: one "phases (wall s):" line with the load, write and fsync phases.
grep -Eq '^phases \(wall s\):.* load [0-9.]+ .* fsync [0-9.]+' "$WORK/st-v.txt" || { cat "$WORK/st-v.txt"; fail "-v: no phases line"; }
! grep -q '^phases' "$WORK/st.txt" || fail "phases line without -v"
echo "convert summary: ok ($n tensors Q4_1->F32 in one line; $(wc -l < "$WORK/st-v.txt") lines with -v)"
