#!/usr/bin/env bash
# The final job of runner/slurm/certify-slurm.sh (--dependency=afterany on the merge): snapshots
# the certification folder, writes each complete merge into it (`apr-qa certify ID --tier T
# --from-merged DIR`: the record, history line, models.csv and README table), leaves incomplete
# ones out (the previous record stays), and ends with `apr-qa compare` of the snapshot and the
# new record when there was one (SHARED/compare.md). Exit: the worst of certify and compare
# (0 certified and no regression, 1 not certified or a regression, 3 a merge incomplete).
# Usage: final-task.sh APR SHARED CERTS [REGISTRY]
set -uo pipefail
APR="$1"; SHARED="$2"; CERTS="$3"; REGISTRY="${4:-}"
reg=(); [ -n "$REGISTRY" ] && reg=(--registry "$REGISTRY")
rm -rf "$SHARED/before"; mkdir -p "$SHARED/before"
cp -a "$CERTS/." "$SHARED/before/" 2>/dev/null || true
worst=0; c=0
while IFS=$'\t' read -r id tier playbook model; do
  mrc=$(cat "$SHARED/work/$c/merge.rc" 2>/dev/null || echo missing)
  if [ "$mrc" = 0 ] || [ "$mrc" = 1 ]; then
    "$APR" certify "$id" --tier "$tier" -o "$CERTS" "${reg[@]}" --cache "$SHARED/cache" --from-merged "$SHARED/work/$c/merged"
    rc=$?
  else
    echo "final-task: $id $tier: merge incomplete (exit $mrc, see $SHARED/work/$c/merged/merge.json); record not written"
    rc=3
  fi
  [ "$rc" -gt "$worst" ] && worst=$rc
  c=$((c + 1))
done < "$SHARED/jobs.tsv"
if ls "$SHARED"/before/*/*/*/evidence.json > /dev/null 2>&1; then
  "$APR" compare "$SHARED/before" "$CERTS" > "$SHARED/compare.md"
  rc=$?
  cat "$SHARED/compare.md"
  [ "$rc" -gt "$worst" ] && worst=$rc
else
  echo "final-task: no earlier record under $CERTS to compare with"
fi
echo "$worst" > "$SHARED/final.rc"
exit "$worst"
