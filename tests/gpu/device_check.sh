#!/usr/bin/env bash
# The GPU device check (issue 17): one prepared script for a machine with a CUDA device, run in
# one go. It builds nothing and downloads nothing: it takes an apr-qa binary built with CUDA
# (tests/gpu/pack.sh puts it, its shared libraries and this script in one folder small enough to
# carry), writes its own fixtures with `apr-qa fixture` and `apr-qa convert`, and prints:
#   1. parity per dtype: teacher-forced logits of 100 positions, gpu against cpu
#      (max|gpu - cpu| / max|cpu|, goal <= 1e-5), a second gpu run bit-identical to the first,
#      and 32 greedy tokens equal on both backends; on a 2-layer Qwen2.5-0.5B-shaped fixture in
#      F32, BF16, F16, Q8_0, Q4_0, Q4_1, Q5_0, Q5_1, Q2_K, Q4_K_M, Q6_K (the 896-wide rows take
#      llama.cpp's fallbacks, so Q4_K/Q6_K/Q3_K/IQ4_NL rows are in the K-quant files), and on the
#      full 24-layer shape in Q8_0 and Q4_K_M, and on SmolLM2 where the folder carries it;
#   2. `apr-qa run` of a playbook with backends [cpu, gpu] and modalities run, chat, serve on the
#      full shape (Q8_0 GGUF): every gpu cell and F-GPU-PARITY-001 with outcome and reason;
#   3. last, the throughput table: prefill of a ~512-token prompt and 128 decoded tokens on the
#      full shape, Q8_0 and Q4_K_M, gpu (and cpu with every core, for scale).
# Exit: 0 when every parity line passes, 1 when one fails, 3 when there is no usable device.
#
#   tests/gpu/device_check.sh APR_QA_BIN [OUT_DIR]
# env: APR_QA_DEVICE_CHECK_BACKEND=cpu runs every "gpu" step on the cpu instead (a dry run of this
#      script on a machine without a device; parity is then exactly 0, which proves nothing about
#      a GPU); PYTHON (default python3, needs numpy); APR_QA_DEVICE_CHECK_LAYERS (full shape's
#      layers, default 24); APR_QA_DEVICE_CHECK_DTYPES (the small fixture's dtypes, default all:
#      "f32 bf16 f16 q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q4_k_m q6_k"); SMOLLM2 (a SmolLM2 GGUF to add to
#      the parity lines). CTest gpu.device_check_dry runs it as a dry run on every CI machine.
set -euo pipefail
B="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
OUT="${2:-$PWD/device-check-out}"
GPU="${APR_QA_DEVICE_CHECK_BACKEND:-gpu}"
PY="${PYTHON:-python3}"
LAYERS="${APR_QA_DEVICE_CHECK_LAYERS:-24}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
mkdir -p "$OUT"
W="$(mktemp -d)"
trap 'rm -rf "$W"' EXIT
t0=$(date +%s)
say() { echo "[device_check +$(( $(date +%s) - t0 ))s] $*"; }

# 0. A device, or stop here with the reason.
"$B" fixture --preset tiny --layers 1 --seed 1 -o "$W/tiny" >/dev/null
if ! "$B" logits "$W/tiny/model.safetensors" --tokens 1,2,3 --backend "$GPU" -o "$W/probe.f32" 2>"$W/probe.err" >/dev/null; then
  echo "device_check: no usable device: $(cat "$W/probe.err")" >&2
  exit 3
fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || true
say "backend under test: $GPU"

# 1. Fixtures.
DTYPES="${APR_QA_DEVICE_CHECK_DTYPES:-f32 bf16 f16 q8_0 q4_0 q4_1 q5_0 q5_1 q2_k q4_k_m q6_k}"
"$B" fixture --arch qwen2 --preset qwen2.5-0.5b --layers 2 --seed 1 --dtype f32 -o "$W/small-f32" >/dev/null
models=()
for q in $DTYPES; do
  case "$q" in
    f32) models+=("$W/small-f32/model.safetensors") ;;
    bf16|f16)
      "$B" fixture --arch qwen2 --preset qwen2.5-0.5b --layers 2 --seed 1 --dtype "$q" -o "$W/small-$q" >/dev/null
      models+=("$W/small-$q/model.safetensors") ;;
    *) "$B" convert "$W/small-f32" "$W/small-$q.gguf" --quantize "$q" >/dev/null
       models+=("$W/small-$q.gguf") ;;
  esac
done
"$B" fixture --arch qwen2 --preset qwen2.5-0.5b --layers "$LAYERS" --seed 1 -o "$W/full" >/dev/null
for q in q8_0 q4_k_m; do
  "$B" convert "$W/full" "$W/full-$q.gguf" --quantize "$q" >/dev/null
  models+=("$W/full-$q.gguf")
done
if [[ -n "${SMOLLM2:-}" && -f "$SMOLLM2" ]]; then models+=("$SMOLLM2"); fi
say "fixtures written: ${#models[@]} models"

# 2. Parity, one line per model.
rc=0
"$PY" "$HERE/parity.py" "$B" "$GPU" "$OUT/parity.json" "${models[@]}" || rc=1
say "parity done"

# 3. The runner's gpu cells on the full shape.
cat >"$W/pb.yaml" <<'YAML'
name: device-check
version: "1.0.0"
model:
  hf_repo: "apr-qa/qwen2.5-0.5b-shape"
  formats: [gguf]
test_matrix:
  modalities: [run, chat, serve]
  backends: [cpu, gpu]
  scenario_count: 1
  prompts: ["Hello"]
failure_policy: collect_all
YAML
set +e
"$B" run "$W/pb.yaml" --model-path "$W/full-q8_0.gguf" -o "$W/run" -q -j 4 >"$W/run.out" 2>&1
run_rc=$?
set -e
cp "$W/run/evidence.json" "$OUT/evidence.json" 2>/dev/null || true
"$PY" - "$W/run/evidence.json" "$run_rc" "$GPU" <<'PY' || rc=1
import json, sys
ev = json.load(open(sys.argv[1]))
dry = sys.argv[3] != "gpu"  # a dry run: the runner probes the real device, so its gpu cells are Skipped
print(f"apr-qa run (exit {sys.argv[2]}), host.gpu = {ev[0].get('host', {}).get('gpu') if ev else None}")
bad = 0
for e in ev:
    if e["scenario"]["backend"] == "gpu" or e["gate_id"].startswith("F-GPU"):
        m = {x["name"]: x["value"] for x in e.get("measurements", [])}
        print(f"  {e['gate_id']:<18} {e['scenario']['modality']:<6} {e['outcome']:<12} {e['reason'][:80]}")
        bad += e["outcome"] in ("Crashed", "Timeout") or (
            not dry and e["gate_id"].startswith("F-GPU") and e["outcome"] != "Corroborated")
sys.exit(1 if bad else 0)
PY
say "runner done"

# 4. Throughput, printed last.
prompt="$(for i in $(seq 102); do printf 'the quick brown fox jumps '; done)"
{
  printf '%-26s %-7s %-8s %14s %14s\n' model backend threads "prefill tok/s" "decode tok/s"
  for q in q8_0 q4_k_m; do
    for be in "$GPU" cpu; do
      th=1; [[ "$be" == cpu ]] && th=$(nproc)
      j=$("$B" generate "$W/full-$q.gguf" -p "$prompt" -n 128 --ctx 1024 --backend "$be" --threads "$th" --json)
      "$PY" - "$j" "qwen2.5-0.5b-shape $q" "$be" "$th" <<'PY'
import json, sys
j, label, be, th = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
print(f"{label:<26} {be:<7} {th:<8} {j['prefill_tps']:14.1f} {j['decode_tps']:14.1f}  "
      f"(prompt {len(j['prompt_tokens'])} tokens, {len(j['tokens'])} decoded, mode {j['mode']})")
PY
    done
  done
} >"$OUT/throughput.txt"
say "throughput done; goal (issue 17): gpu decode >= 400 tok/s, prefill of 512 >= 10,000 tok/s"
cat "$OUT/throughput.txt"
exit $rc
