#!/usr/bin/env bash
# Benchmark (not a test): the seed playbook (anchor qwen2.5-coder-0.5b-quick, conversion suite) on
# a synthetic Qwen2.5-0.5B-shaped snapshot, run
#   (a) in one process, `apr-qa run -j 2`, and
#   (b) sharded on a local one-machine Slurm with 2 CPU slots: a job array of SHARDS tasks
#       (`run --shard k/N -j 1`, --cpus-per-task 1) and a merge job (--dependency=afterany),
# and prints the wall times (b: from submission until the merge job ended), the merge time alone
# (`apr-qa merge` rerun by hand) and whether the merged record equals the single run's.
# Needs root and slurm-wlm/munge (tests/slurm/cluster.sh starts the daemons and stops them).
#   bench/slurm_shards.sh [BUILD_DIR] [LAYERS] [SHARDS]     (defaults: build/release, 2, 2)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD="${1:-$ROOT/build/release}"; LAYERS="${2:-2}"; N="${3:-2}"
BIN="$(realpath "$BUILD/runner/apr-qa")"
WORK="${APR_QA_BENCH_DIR:-$BUILD/bench/slurm-$LAYERS}"
PB="${APR_QA_SHARED_DIR:-$ROOT/../shared}/anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml"
[ "$(id -u)" -eq 0 ] || { echo "needs root (starts slurmctld/slurmd/munged)" >&2; exit 3; }
rm -rf "$WORK/single" "$WORK/shards" "$WORK/merged" "$WORK/merged2" "$WORK/cluster"; mkdir -p "$WORK/shards"
[ -f "$WORK/snapshot/model.safetensors" ] || "$BIN" fixture --arch qwen2 --preset qwen2.5-0.5b --layers "$LAYERS" --seed 1 -o "$WORK/snapshot" > /dev/null
now() { date +%s.%N; }
t0=$(now)
"$BIN" run "$PB" --model-path "$WORK/snapshot" -o "$WORK/single" -j 2 --failure-policy collect-all -q > /dev/null || true
t1=$(now)
source "$ROOT/tests/slurm/cluster.sh"
trap cluster_stop EXIT
cluster_start "$WORK/cluster" 2
cat > "$WORK/task.sh" <<TASK
#!/usr/bin/env bash
k=\$((SLURM_ARRAY_TASK_ID + 1))
"$BIN" run "$PB" --model-path "$WORK/snapshot" --shard \$k/$N -o "$WORK/shards/s\$k" -j 1 --failure-policy collect-all -q > /dev/null
[ \$? -le 1 ]
TASK
dirs=(); for k in $(seq 1 "$N"); do dirs+=("$WORK/shards/s$k"); done
t2=$(now)
array=$(sbatch --parsable --array=0-$((N - 1)) --cpus-per-task 1 -o "$WORK/shards/task-%a.out" "$WORK/task.sh")
merge=$(sbatch --parsable --dependency=afterany:"$array" -o "$WORK/shards/merge.out" --wrap "'$BIN' merge '$WORK/merged' ${dirs[*]} -q")
CLUSTER_WAIT_S=3600 cluster_wait "$array" "$merge"
t3=$(now)
t4=$(now); "$BIN" merge "$WORK/merged2" "${dirs[@]}" -q || true; t5=$(now)
same=$(python3 "$ROOT/tests/e2e/same_record.py" "$WORK/single/evidence.json" "$WORK/merged/evidence.json" | head -1 || true)
python3 - "$WORK" "$t0" "$t1" "$t2" "$t3" "$t4" "$t5" "$LAYERS" "$N" "$same" <<'PY'
import json, sys
w, t0, t1, t2, t3, t4, t5 = sys.argv[1], *map(float, sys.argv[2:8])
layers, n, same = sys.argv[8], sys.argv[9], sys.argv[10]
print(f"seed playbook, qwen2.5-0.5b shape, {layers} layers, 2 CPU slots")
print(f"  one process, --jobs 2:                 {t1 - t0:7.1f} s wall")
print(f"  Slurm, {n} shards x 1 CPU + merge job:   {t3 - t2:7.1f} s wall (submission to merge end)")
for k in range(1, int(n) + 1):
    t = json.load(open(f"{w}/shards/s{k}/timing.json"))
    m = json.load(open(f"{w}/shards/s{k}/shard.json"))
    print(f"    shard {k}/{n}: {len(m['owned_nodes'])} nodes, est. {m['estimated_cpu_s'][k-1]:.1f} CPU-s, {t['wall_s']:.1f} s wall")
print(f"  merge alone:                           {t5 - t4:7.2f} s wall")
print(f"  {same}")
PY
