#!/usr/bin/env bash
# The CUDA backend from the command line (issue 17): --backend gpu without a usable device is
# exit 3 with one line "no CUDA device…" (CUDA_VISIBLE_DEVICES= hides a present one too); an
# unknown backend is exit 2. Where a device is present, the gpu logits of the fixture agree with
# the cpu ones to 1e-5 relative and a rerun gives the same bits.
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
fail() { echo "FAIL: $*"; exit 1; }
"$APR" fixture --preset tiny --layers 2 --seed 1 -o "$WORK/m" >/dev/null
M="$WORK/m/model.safetensors"
set +e
CUDA_VISIBLE_DEVICES= "$APR" logits "$M" --tokens 1,2,3 --backend gpu >"$WORK/out" 2>"$WORK/err"; rc=$?
set -e
[ "$rc" = 3 ] || fail "--backend gpu without a device: exit $rc, expected 3 ($(cat "$WORK/err"))"
[ "$(wc -l <"$WORK/err")" = 1 ] || fail "expected one stderr line, found: $(cat "$WORK/err")"
grep -q "no CUDA device" "$WORK/err" || fail "message does not say 'no CUDA device': $(cat "$WORK/err")"
[ ! -s "$WORK/out" ] || fail "stdout not empty on error"
set +e
"$APR" generate "$M" -p hi --backend tpu >/dev/null 2>"$WORK/err2"; rc=$?
set -e
[ "$rc" = 2 ] || fail "--backend tpu: exit $rc, expected 2"
echo "no device: exit 3, '$(cat "$WORK/err")'"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && \
   "$APR" logits "$M" --tokens 1,2,3 --backend gpu >/dev/null 2>&1; then
  ids=$(seq -s, 1 80)
  "$APR" logits "$M" --tokens "$ids" --backend cpu -o "$WORK/c.f32" >/dev/null
  "$APR" logits "$M" --tokens "$ids" --backend gpu -o "$WORK/g1.f32" >/dev/null
  "$APR" logits "$M" --tokens "$ids" --backend gpu -o "$WORK/g2.f32" >/dev/null
  cmp -s "$WORK/g1.f32" "$WORK/g2.f32" || fail "gpu rerun is not bit-identical"
  python3 - "$WORK" <<'PY' || fail "cpu/gpu parity"
import sys, array
w = sys.argv[1]
c, g = array.array("f"), array.array("f")
c.frombytes(open(w + "/c.f32", "rb").read()); g.frombytes(open(w + "/g1.f32", "rb").read())
rel = max(abs(a - b) for a, b in zip(c, g)) / max(abs(a) for a in c)
print(f"cpu/gpu max|d|/max|cpu| = {rel:.3g}")
sys.exit(0 if rel <= 1e-5 else 1)
PY
else
  echo "no CUDA device here: parity part not run"
fi
echo PASS
