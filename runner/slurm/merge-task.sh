#!/usr/bin/env bash
# The merge job of runner/slurm/certify-slurm.sh (--dependency=afterany on the array): for every
# certification c of SHARED/jobs.tsv, `apr-qa merge SHARED/work/c/merged SHARED/work/c/shard-1..N`;
# its exit code goes to SHARED/work/c/merge.rc (0/1 complete, 3 incomplete). Exit 3 if any merge
# is incomplete, else 0.
# Usage: merge-task.sh APR SHARED N
set -uo pipefail
APR="$1"; SHARED="$2"; N="$3"
worst=0; c=0
while IFS=$'\t' read -r id tier playbook model; do
  dirs=()
  for k in $(seq 1 "$N"); do dirs+=("$SHARED/work/$c/shard-$k"); done
  echo "merge-task: $id $tier ($N shards)"
  "$APR" merge "$SHARED/work/$c/merged" "${dirs[@]}"
  rc=$?
  echo "$rc" > "$SHARED/work/$c/merge.rc"
  [ "$rc" -gt 1 ] && worst=3
  c=$((c + 1))
done < "$SHARED/jobs.tsv"
exit "$worst"
