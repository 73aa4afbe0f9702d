#!/usr/bin/env bash
# A sharded certification on a real (one-machine) Slurm (docs/scale-out.md; CTest label slurm):
#   1. starts munged, slurmctld and slurmd as root in a temporary folder (tests/slurm/cluster.sh);
#   2. certifies a tiny fixture model through runner/slurm/certify-slurm.sh (2 shards: a job array,
#      a merge job, a final job) and checks the record equals a single-machine `apr-qa certify`
#      (same entries, outcomes and measurements, timing units aside; `apr-qa compare` finds no
#      regression with throughput/latency bands opened);
#   3. certifies again with 3 shards, cancelling array task 1 (`scancel`) before it runs: the merge
#      reports shard 2/3 missing (merge.json complete false, exit 3), no record is written (the
#      previous one is kept); resubmitting that one task and rerunning merge and final completes it;
#   4. stops every daemon it started, by pid, even when a step fails (trap).
# Skips (exit 0, "SKIP: …") only when not root or the Slurm/munge binaries are missing;
# runner/scripts/install-deps.sh installs them (Debian slurm-wlm, munge).
set -euo pipefail
APR="$1"; SRC="$2"; WORK="${3:-$(mktemp -d /tmp/aprqa-slurm.XXXXXX)}"
if [ "$(id -u)" -ne 0 ]; then echo "SKIP: tests/slurm/run.sh starts slurmctld/slurmd/munged as root; running as uid $(id -u)"; exit 0; fi
for b in munged slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
  command -v "$b" > /dev/null || { echo "SKIP: $b not installed (runner/scripts/install-deps.sh installs slurm-wlm and munge)"; exit 0; }
done
source "$SRC/tests/e2e/lib.sh"
rm -rf "$WORK"; mkdir -p "$WORK/pb" "$WORK/certs-single" "$WORK/certs-slurm"
source "$SRC/tests/slurm/cluster.sh"
trap 'cluster_stop' EXIT
cluster_start "$WORK/cluster" 2 || fail "the test cluster did not start"
echo "ok: slurm up ($(sinfo -h -o '%N %t %c cpus'))"

tiny_playbook "$WORK/pb/tiny-shard.yaml" tiny-shard 2 '["Hello", "2+2="]'
for d in certs-single certs-slurm; do
  cat > "$WORK/$d/models.yaml" <<'YAML'
version: 1
models:
  - id: test/tiny-qwen2
    family: qwen2
    parameters: 2M
    size_category: tiny
    source:
      fixture: {arch: qwen2, preset: tiny, seed: 0}
    nightly: smoke
    tiers:
      smoke: ../pb/tiny-shard.yaml
YAML
done
REC=test/tiny-qwen2/smoke
rc=0; "$APR" certify test/tiny-qwen2 -o "$WORK/certs-single" --cache "$WORK/cache-single" -j 2 > "$WORK/single.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$WORK/single.log"; fail "single-machine certify exit $rc"; }
drive() { bash "$SRC/runner/slurm/certify-slurm.sh" --apr "$APR" --shared "$WORK/shared" -o "$WORK/certs-slurm" \
  --cpus-per-task 1 test/tiny-qwen2 "$@"; }

# 2. Two shards, merged, recorded, compared.
rc=0; drive --shards 2 --wait > "$WORK/slurm2.log" 2>&1 || rc=$?
[ "$rc" -le 1 ] || { cat "$WORK/slurm2.log" "$WORK/shared/logs/"*.out; fail "slurm certification exit $rc"; }
grep -q '"complete": true' "$WORK/shared/work/0/merged/merge.json" || fail "2 shards: merge incomplete"
for k in 1 2; do grep -q "\"shard\": \"$k/2\"" "$WORK/shared/work/0/shard-$k/shard.json" || fail "no shard.json for shard $k"; done
[ -s "$WORK/certs-slurm/$REC/evidence.json" ] || { cat "$WORK/shared/logs/final.out"; fail "the final job wrote no record"; }
python3 "$SRC/tests/e2e/same_record.py" "$WORK/certs-single/$REC/evidence.json" "$WORK/certs-slurm/$REC/evidence.json" \
  || fail "the Slurm record differs from the single-machine one"
"$APR" compare "$WORK/certs-single/$REC" "$WORK/certs-slurm/$REC" --band tokens_per_second=1 --band p50_ms=100 --band p99_ms=100 \
  > "$WORK/compare.md" || { cat "$WORK/compare.md"; fail "compare found a regression between single and Slurm records"; }
[ "$(wc -l < "$WORK/certs-slurm/$REC/history.jsonl")" -eq 1 ] || fail "history.jsonl should have one line"
echo "ok: 2-shard Slurm certification = single-machine certification"

# 3. Three shards, task 1 (shard 2/3) cancelled before it runs.
cp "$WORK/certs-slurm/$REC/history.jsonl" "$WORK/history.before"
drive --shards 3 --hold > "$WORK/slurm3.log" 2>&1 || { cat "$WORK/slurm3.log"; fail "submission failed"; }
source <(grep -E '^(array|merge|final)=' "$WORK/shared/jobs.ids")
scancel "${array}_1"
scontrol release "$array"
CLUSTER_WAIT_S=600 cluster_wait "$array" "$merge" "$final" || fail "jobs did not finish"
[ "$(cat "$WORK/shared/work/0/merge.rc")" = 3 ] || { cat "$WORK/shared/logs/merge.out"; fail "merge of a cancelled shard: exit $(cat "$WORK/shared/work/0/merge.rc"), expected 3"; }
grep -q '"complete": false' "$WORK/shared/work/0/merged/merge.json" || fail "merge.json not marked incomplete"
grep -q 'shard 2/3 (folder missing)' "$WORK/shared/logs/merge.out" || { cat "$WORK/shared/logs/merge.out"; fail "the missing shard is not named"; }
[ "$(cat "$WORK/shared/final.rc")" = 3 ] || fail "final job: exit $(cat "$WORK/shared/final.rc"), expected 3"
grep -q 'merge incomplete' "$WORK/shared/logs/final.out" || fail "final job did not report the incomplete merge"
cmp -s "$WORK/history.before" "$WORK/certs-slurm/$REC/history.jsonl" || fail "an incomplete merge touched the record"
echo "ok: a cancelled array task is reported by the merge (exit 3), the record is kept"
H="$SRC/runner/slurm"
sbatch --parsable --wait --cpus-per-task 1 --array=1 -o "$WORK/shared/logs/resubmit-%a.out" "$H/shard-task.sh" "$APR" "$WORK/shared" 3 1 > /dev/null \
  || { cat "$WORK/shared/logs/resubmit-1.out"; fail "the resubmitted task failed"; }
rc=0; sbatch --wait -o "$WORK/shared/logs/merge2.out" "$H/merge-task.sh" "$APR" "$WORK/shared" 3 > /dev/null || rc=$?
[ "$rc" -eq 0 ] || { cat "$WORK/shared/logs/merge2.out"; fail "merge after the resubmitted task: exit $rc"; }
rc=0; sbatch --wait -o "$WORK/shared/logs/final2.out" "$H/final-task.sh" "$APR" "$WORK/shared" "$WORK/certs-slurm" > /dev/null || rc=$?
[ "$rc" -le 1 ] || { cat "$WORK/shared/logs/final2.out"; fail "final job after resubmission: exit $rc"; }
[ "$(wc -l < "$WORK/certs-slurm/$REC/history.jsonl")" -eq 2 ] || fail "the completed certification added no history line"
python3 "$SRC/tests/e2e/same_record.py" "$WORK/certs-single/$REC/evidence.json" "$WORK/certs-slurm/$REC/evidence.json" \
  || fail "the completed 3-shard record differs from the single-machine one"
grep -q 'OK: 0 regressions' "$WORK/shared/compare.md" || { cat "$WORK/shared/compare.md"; fail "the final job's compare of the two Slurm nights found a regression"; }
echo "ok: the resubmitted task completes the record"
echo PASS
