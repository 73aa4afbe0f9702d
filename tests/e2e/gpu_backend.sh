#!/usr/bin/env bash
# The CUDA backend from the command line (issue 17): --backend gpu without a usable device is
# exit 3 with one line "no CUDA device…" (CUDA_VISIBLE_DEVICES= hides a present one too), for
# logits and for serve (which must not listen); an
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
CUDA_VISIBLE_DEVICES= timeout 20 "$APR" serve "$M" --backend gpu --port 0 >"$WORK/sout" 2>"$WORK/serr"; rc=$?
set -e
[ "$rc" = 3 ] || fail "serve --backend gpu without a device: exit $rc, expected 3 ($(cat "$WORK/serr"))"
grep -q "no CUDA device" "$WORK/serr" || fail "serve: message does not say 'no CUDA device': $(cat "$WORK/serr")"
grep -q "listening" "$WORK/sout" && fail "serve --backend gpu listened without a device"
set +e
"$APR" generate "$M" -p hi --backend tpu >/dev/null 2>"$WORK/err2"; rc=$?
set -e
[ "$rc" = 2 ] || fail "--backend tpu: exit $rc, expected 2"
echo "no device: exit 3, '$(cat "$WORK/err")'"
if command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi -L >/dev/null 2>&1 && \
   "$APR" logits "$M" --tokens 1,2,3 --backend gpu >/dev/null 2>&1; then
  HAVE_GPU=1
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
  HAVE_GPU=0
  echo "no CUDA device here: parity part not run"
fi
# The runner: a playbook asking for the gpu backend plans F-GPU-PARITY-001 per format and the gpu
# cells; without a device they are Skipped with the reason (never passed), with one Corroborated.
cat > "$WORK/pb.yaml" <<'YAML'
name: tiny-gpu
version: "1.0.0"
model:
  hf_repo: "apr-qa/tiny"
  formats: [safetensors]
test_matrix:
  modalities: [run]
  backends: [cpu, gpu]
  scenario_count: 1
  prompts: ["Hello"]
failure_policy: collect_all
YAML
set +e
"$APR" run "$WORK/pb.yaml" --model-path "$WORK/m" -o "$WORK/run" -q >"$WORK/run.out" 2>&1
set -e
python3 - "$WORK/run/evidence.json" "$HAVE_GPU" <<'PY' || fail "runner gpu cells: $(cat "$WORK/run.out")"
import json, sys
ev = json.load(open(sys.argv[1])); have = sys.argv[2] == "1"
par = [e for e in ev if e["gate_id"] == "F-GPU-PARITY-001"]
gpu_cells = [e for e in ev if e["scenario"]["backend"] == "gpu"]
assert len(par) == 1, f"F-GPU-PARITY-001 planned {len(par)} times, expected once (one format)"
for e in gpu_cells:
    if have:
        assert e["outcome"] != "Skipped" or "not implemented" in e["reason"], (e["gate_id"], e["reason"])
    else:
        assert e["outcome"] == "Skipped" and "no CUDA device" in e["reason"], (e["gate_id"], e["outcome"], e["reason"])
if have:
    assert par[0]["outcome"] == "Corroborated", par[0]["reason"]
print(f"{len(gpu_cells)} gpu entries; F-GPU-PARITY-001 {par[0]['outcome']}: {par[0]['reason'][:100]}")
PY
echo PASS
