#!/usr/bin/env bash
# Benchmark (not a test): wall time of the seed playbook (the anchor's qwen2.5-coder-0.5b-quick)
# on a synthetic Qwen2.5-0.5B-shaped HF snapshot, with worker time split by node kind.
# Goal (issue 18): <= 30 s wall for the full-size model (24 layers), --jobs 2; results in
# docs/performance.md.
#   bench/run_seed.sh [BUILD_DIR] [LAYERS] [JOBS]     (defaults: build/release, 24, 2)
# The snapshot is written once under BUILD_DIR/bench/seed-LAYERS (APR_QA_BENCH_DIR overrides);
# out/ is removed before each run. APR_QA_NO_SHARED_RUNS=1 gives the A/B baseline without the
# shared inference runs (same gates, same measurements). The full-size work dir takes several
# GB (the snapshot plus ~14 converted artifacts of ~1 GB): delete it when done.
# APR_QA_SEED_SCRATCH: `run --scratch` folder (default /dev/shm when it is a writable folder, as
# runner/scripts/nightly.sh does; `none`: artifacts under out/ on the work dir's file system).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build/release}"
LAYERS="${2:-24}"
JOBS="${3:-2}"
BIN="$BUILD/runner/apr-qa"
WORK="${APR_QA_BENCH_DIR:-$BUILD/bench/seed-$LAYERS}"
SHARED="${APR_QA_SHARED_DIR:-$ROOT/../shared}"
[ -x "$BIN" ] || { echo "build apr-qa first: $BIN not found" >&2; exit 3; }
rm -rf "$WORK/out"
mkdir -p "$WORK"
if [ ! -f "$WORK/snapshot/model.safetensors" ]; then
  "$BIN" fixture --arch qwen2 --preset qwen2.5-0.5b --layers "$LAYERS" --seed 1 -o "$WORK/snapshot"
fi
# The whole machine's CPU split over the run (/proc/stat: user, system, iowait, idle, steal; in
# USER_HZ ticks): on a VM the system time of the page-cache copies swings with the host (docs/performance.md).
SCRATCH="${APR_QA_SEED_SCRATCH:-/dev/shm}"
[[ "$SCRATCH" != none && -d "$SCRATCH" && -w "$SCRATCH" ]] || SCRATCH=""
if [[ -n "$SCRATCH" ]]; then echo "artifacts: --scratch $SCRATCH"; else echo "artifacts: under $WORK/out (no --scratch)"; fi
stat0=$(head -1 /proc/stat)
start=$(date +%s.%N)
set +e
"$BIN" run "$SHARED/anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml" --model-path "$WORK/snapshot" \
  -o "$WORK/out" -j "$JOBS" --failure-policy collect-all -q ${SCRATCH:+--scratch "$SCRATCH"}
rc=$?
set -e
end=$(date +%s.%N)
stat1=$(head -1 /proc/stat)
python3 - "$WORK/out" "$start" "$end" "$rc" "$LAYERS" "$JOBS" "$stat0" "$stat1" <<'PY'
import json, os, sys
out, start, end, rc, layers, jobs = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), sys.argv[4], sys.argv[5], sys.argv[6]
s0, s1 = ([int(x) for x in a.split()[1:9]] for a in sys.argv[7:9])
hz = os.sysconf("SC_CLK_TCK")
d = [(b - a) / hz for a, b in zip(s0, s1)]  # user nice system idle iowait irq softirq steal
t = json.load(open(out + "/timing.json"))
ev = json.load(open(out + "/evidence.json"))
conv = [e for e in ev if e["gate_id"].startswith(("F-CONV", "F-GOLDEN")) and e["scenario"]["backend"] == "cpu"]
ok = sum(e["outcome"] == "Corroborated" for e in conv)
print(f"seed playbook, qwen2.5-0.5b shape, {layers} layers, --jobs {jobs}: wall {end - start:.1f} s (exit {rc}); goal <= 30 s")
print(f"conversion/golden gates on cpu: {ok}/{len(conv)} Corroborated")
n = t.get("worker_nodes_by_kind", {})
cpu = t.get("worker_cpu_seconds_by_kind", {})
total = sum(t["worker_seconds_by_kind"].values())
print(f"worker seconds by node kind (wall, summed over parallel workers; total {total:.1f} s; "
      f"CPU user+sys total {sum(cpu.values()):.1f} s):")
for k, v in sorted(t["worker_seconds_by_kind"].items(), key=lambda kv: -kv[1]):
    c = n.get(k, 0)
    print(f"  {k:<24} {v:8.1f} wall  {cpu.get(k, 0):8.1f} cpu  ({c} nodes, {v / c if c else 0:.1f} s wall each)")
print(f"machine CPU over the run: user {d[0] + d[1]:.1f} s, system {d[2]:.1f} s, iowait {d[4]:.1f} s, idle {d[3]:.1f} s, steal {d[7]:.1f} s")
rel = t.get("released_during_run", {})
if rel:
    print(f"removed during the run: {rel.get('files', 0)} files, {rel.get('bytes', 0) / 1e9:.1f} GB")
reused = t.get("reused_nodes_by_kind", {})
if reused:
    print("not computed again (same input bytes as a finished node): " + ", ".join(f"{k} {v}" for k, v in sorted(reused.items())))
PY
