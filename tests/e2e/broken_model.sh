#!/usr/bin/env bash
# A model that violates its own config (intermediate_size doubled in config.json) is measured,
# not refused: the G0 preflight gates load it without the strict manifest check and report
# measured violations (shape_mismatches, ffn_mismatch), never "Command failed". And a typo in a
# playbook's gate list is a configuration error (exit 2, with a suggestion), not a gate failure.
set -euo pipefail
APR="$1"; WORK="$2"
rm -rf "$WORK"; mkdir -p "$WORK"
"$APR" fixture --arch qwen2 --preset tiny -o "$WORK/model" >/dev/null
python3 - "$WORK/model/config.json" <<'PY'
import json, sys
p = sys.argv[1]; c = json.load(open(p)); c["intermediate_size"] *= 2; json.dump(c, open(p, "w"))
PY
cat > "$WORK/pb.yaml" <<'YAML'
name: broken-model
version: "1.0.0"
model:
  hf_repo: "example/tiny"
  formats: [safetensors]
test_matrix:
  modalities: [run]
  backends: [cpu]
  scenario_count: 1
conversion_tests:
  enabled: false
failure_policy: collect_all
YAML
rc=0
"$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" -o "$WORK/out" -q || rc=$?
[[ $rc == 1 ]] || { echo "FAIL: run exit code $rc, expected 1"; exit 1; }
python3 - "$WORK/out/evidence.json" <<'PY'
import json, sys
ev = json.load(open(sys.argv[1]))
by = {e["gate_id"]: e for e in ev}
def meas(e, name):
    ms = [m for m in e["measurements"] if m["name"] == name]
    assert ms, "%s: no measurement %s (%s)" % (e["gate_id"], name, e["reason"])
    return ms[0]["value"]
for g in ["G0-VALIDATE-001", "G0-TENSOR-001", "G0-INTEGRITY-CONFIG", "G0-INTEGRITY-LAYERS", "G0-INTEGRITY-HIDDEN",
          "G0-INTEGRITY-VOCAB", "G0-INTEGRITY-FFN", "G0-LAYOUT-001"]:
    assert g in by, g
    assert "Command failed" not in by[g]["reason"], (g, by[g]["reason"])
t = by["G0-TENSOR-001"]
assert t["outcome"] == "Falsified" and meas(t, "shape_mismatches") > 0, t["reason"]
f = by["G0-INTEGRITY-FFN"]
assert f["outcome"] == "Falsified" and meas(f, "ffn_mismatch") == 1, f["reason"]
for g in ["G0-INTEGRITY-HIDDEN", "G0-INTEGRITY-VOCAB", "G0-INTEGRITY-LAYERS", "G0-VALIDATE-001"]:
    assert by[g]["outcome"] == "Corroborated", (g, by[g]["reason"])
print("broken model measured: G0-TENSOR-001 %s; G0-INTEGRITY-FFN %s" % (t["reason"], f["reason"]))
PY
# A typo in a block's gate list: exit 2 from validate and run, naming the gate and a suggestion.
cat >> "$WORK/pb.yaml" <<'YAML'
trace_payload:
  enabled: true
  gates: [F-TRACE-PAYLOAD-009]
YAML
for cmd in validate run; do
  rc=0
  if [[ $cmd == run ]]; then out=$("$APR" run "$WORK/pb.yaml" --model-path "$WORK/model" -o "$WORK/out2" -q 2>&1) || rc=$?
  else out=$("$APR" validate --strict "$WORK/pb.yaml" 2>&1) || rc=$?; fi
  [[ $rc == 2 ]] || { echo "FAIL: $cmd exit $rc on a typo'd gate id: $out"; exit 1; }
  grep -q "F-TRACE-PAYLOAD-009" <<<"$out" && grep -q "did you mean 'F-TRACE-PAYLOAD-00" <<<"$out" ||
    { echo "FAIL: $cmd message: $out"; exit 1; }
  [[ $(wc -l <<<"$out") == 1 ]] || { echo "FAIL: $cmd printed more than one line: $out"; exit 1; }
done
echo "1 passed, 0 failed"
