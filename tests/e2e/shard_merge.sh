#!/usr/bin/env bash
# Sharded runs and `apr-qa merge` (docs/scale-out.md) on the tiny fixture:
#   1. --dry-run --shard K/N lists every node in exactly one shard (resolve in all);
#   2. the merge of N = 2 and N = 3 shards equals a single-machine run (same entries in the same
#      order: gate, scenario, outcome, measurements; timing units aside), exit as `run`, complete;
#   3. a shard whose journal lost its last node lines: merge exit 3, merge.json "complete": false
#      naming the nodes; a missing shard folder: exit 3 naming the shard; `run --resume --shard`
#      of the cut shard completes it and the merge equals the single run again;
#   4. shards of another N, or the same shard twice, are a usage error (exit 2); --resume refuses
#      another shard's journal (exit 2).
set -euo pipefail
APR="$1"; SRC="$2"; WORK="$3"
rm -rf "$WORK"; mkdir -p "$WORK"
source "$SRC/tests/e2e/lib.sh"
tiny_playbook "$WORK/pb.yaml" tiny-shard 2 '["Hello", "2+2="]' profile
"$APR" fixture --arch qwen2 --preset tiny -o "$WORK/snap" >/dev/null
run() { "$APR" run "$WORK/pb.yaml" --model-path "$WORK/snap" -q -j 2 "$@"; }
set +e
run -o "$WORK/single" > "$WORK/single.log"; single_rc=$?
set -e
[ -f "$WORK/single/evidence.json" ] || fail "single run wrote no evidence (exit $single_rc)"

# 1. dry-run partition: every node id once (resolve once per shard).
for n in 2 3; do
  : > "$WORK/ids.$n"
  for k in $(seq 1 "$n"); do
    run --dry-run --shard "$k/$n" -o "$WORK/dry" > "$WORK/dry.$k.$n"
    grep -E '^  n[0-9]{4}-' "$WORK/dry.$k.$n" | awk '{print $1}' >> "$WORK/ids.$n"
  done
  total=$(run --dry-run -o "$WORK/dry" | grep -cE '^  n[0-9]{4}-')
  uniq_ids=$(grep -v resolve "$WORK/ids.$n" | sort | uniq -d | wc -l)
  [ "$uniq_ids" -eq 0 ] || fail "N=$n: a node is in two shards"
  [ "$(grep -vc resolve "$WORK/ids.$n")" -eq $((total - 1)) ] || fail "N=$n: shards do not cover the plan ($total nodes)"
  [ "$(grep -c resolve "$WORK/ids.$n")" -eq "$n" ] || fail "N=$n: resolve is not in every shard"
done
echo "ok: dry-run shards partition the plan"

# 2. merged = single.
for n in 2 3; do
  dirs=()
  for k in $(seq 1 "$n"); do
    run --shard "$k/$n" -o "$WORK/n$n/s$k" > /dev/null || true
    [ -f "$WORK/n$n/s$k/shard.json" ] || fail "shard $k/$n wrote no shard.json"
    dirs+=("$WORK/n$n/s$k")
  done
  set +e; "$APR" merge "$WORK/n$n/merged" "${dirs[@]}" > "$WORK/merge.$n.log"; rc=$?; set -e
  [ "$rc" -eq "$single_rc" ] || { cat "$WORK/merge.$n.log"; fail "N=$n: merge exit $rc, single run exit $single_rc"; }
  python3 "$SRC/tests/e2e/same_record.py" "$WORK/single/evidence.json" "$WORK/n$n/merged/evidence.json" || fail "N=$n: merged != single"
  grep -q '"complete": true' "$WORK/n$n/merged/merge.json" || fail "N=$n: merge.json not complete"
  for f in mqs.json report.html junit.xml summary.md; do [ -f "$WORK/n$n/merged/$f" ] || fail "N=$n: no $f"; done
  [ "$(grep -E '^(NOT )?CERTIFIED|^PROVISIONAL' "$WORK/merge.$n.log")" = "$(grep -E '^(NOT )?CERTIFIED|^PROVISIONAL' "$WORK/single.log")" ] \
    || fail "N=$n: verdict lines differ"
done
echo "ok: merges of 2 and 3 shards equal the single run"

# 3. a cut journal, then a missing folder; resume completes.
S="$WORK/n3"
cp "$S/s1/evidence.jsonl" "$WORK/s1.full.jsonl"
lines=$(wc -l < "$S/s1/evidence.jsonl")
head -n $((lines - 3)) "$WORK/s1.full.jsonl" > "$S/s1/evidence.jsonl"
set +e; "$APR" merge "$WORK/cut" "$S/s1" "$S/s2" "$S/s3" > "$WORK/cut.log"; rc=$?; set -e
[ "$rc" -eq 3 ] || { cat "$WORK/cut.log"; fail "merge of a cut shard: exit $rc, expected 3"; }
grep -q '"complete": false' "$WORK/cut/merge.json" || fail "cut: merge.json not marked incomplete"
grep -q 'INCOMPLETE: 3 nodes not recorded' "$WORK/cut.log" || { cat "$WORK/cut.log"; fail "cut: the 3 missing nodes not reported"; }
grep -q -- "--shard 1/3 -o $S/s1 --resume" "$WORK/cut.log" || fail "cut: no resume command"
grep -q 'NOT CERTIFIED' "$WORK/cut.log" || fail "cut: an incomplete record must not certify"
set +e; "$APR" merge "$WORK/gone" "$S/s1" "$S/s2" "$WORK/nowhere" > "$WORK/gone.log"; rc=$?; set -e
[ "$rc" -eq 3 ] || fail "merge without shard 3: exit $rc, expected 3"
grep -q 'shard 3/3 (folder missing)' "$WORK/gone.log" || { cat "$WORK/gone.log"; fail "missing shard 3 not named"; }
run --shard 1/3 -o "$S/s1" --resume > "$WORK/resume.log" || true
set +e; "$APR" merge "$WORK/resumed" "$S/s1" "$S/s2" "$S/s3" > "$WORK/resumed.log"; rc=$?; set -e
[ "$rc" -eq "$single_rc" ] || { cat "$WORK/resumed.log"; fail "merge after resume: exit $rc"; }
grep -q '"complete": true' "$WORK/resumed/merge.json" || fail "resumed: not complete"
python3 "$SRC/tests/e2e/same_record.py" "$WORK/single/evidence.json" "$WORK/resumed/evidence.json" || fail "resumed merge != single"
echo "ok: a cut journal and a missing shard are reported (exit 3); resume completes the record"

# certify --from-merged (the Slurm driver's final job): refused for an incomplete merge (exit 3, no
# record), and records a complete one equal to the single run.
mkdir -p "$WORK/certs"
cat > "$WORK/certs/models.yaml" <<'YAML'
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
      smoke: ../pb.yaml
YAML
fm() { "$APR" certify test/tiny-qwen2 --tier smoke -o "$WORK/certs" --cache "$WORK/cache" --from-merged "$1"; }
set +e; fm "$WORK/cut" > "$WORK/fm-cut.log" 2>&1; rc=$?; set -e
[ "$rc" -eq 3 ] || { cat "$WORK/fm-cut.log"; fail "certify --from-merged of an incomplete merge: exit $rc, expected 3"; }
grep -q 'the merge is incomplete' "$WORK/fm-cut.log" || fail "--from-merged refusal does not say why"
[ ! -e "$WORK/certs/test/tiny-qwen2/smoke" ] || fail "an incomplete merge wrote a record"
set +e; fm "$WORK/resumed" > "$WORK/fm.log" 2>&1; rc=$?; set -e
[ "$rc" -le 1 ] || { cat "$WORK/fm.log"; fail "certify --from-merged of a complete merge: exit $rc"; }
python3 "$SRC/tests/e2e/same_record.py" "$WORK/single/evidence.json" "$WORK/certs/test/tiny-qwen2/smoke/evidence.json" \
  || fail "the record written from the merge differs from the single run"
echo "ok: certify --from-merged refuses an incomplete merge and records a complete one"

# 4. usage errors.
set +e
"$APR" merge "$WORK/mixed" "$S/s1" "$WORK/n2/s2" > "$WORK/mixed.log" 2>&1; rc_mixed=$?
"$APR" merge "$WORK/twice" "$S/s1" "$S/s1" > "$WORK/twice.log" 2>&1; rc_twice=$?
run --shard 2/3 -o "$S/s1" --resume > "$WORK/wrong.log" 2>&1; rc_wrong=$?
set -e
[ "$rc_mixed" -eq 2 ] || { cat "$WORK/mixed.log"; fail "shards of N=3 and N=2 merged: exit $rc_mixed"; }
[ "$rc_twice" -eq 2 ] || { cat "$WORK/twice.log"; fail "the same shard twice: exit $rc_twice"; }
[ "$rc_wrong" -eq 2 ] || { cat "$WORK/wrong.log"; fail "--resume of another shard's journal: exit $rc_wrong"; }
grep -q 'written for shard 1/3, not 2/3' "$WORK/wrong.log" || fail "wrong shard resume: no reason"
echo "PASS"
