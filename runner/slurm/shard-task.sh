#!/usr/bin/env bash
# One Slurm array task of runner/slurm/certify-slurm.sh: task i runs shard (i mod N)+1 of
# certification i div N (line i div N + 1 of SHARED/jobs.tsv: id, tier, playbook, model path),
# writing only under SHARED/work/<certification>/shard-<k>/. A requeued task (--requeue, or
# resubmitted by hand) resumes its own journal.
# Usage: shard-task.sh APR SHARED N JOBS [TASK]   (TASK defaults to $SLURM_ARRAY_TASK_ID)
set -uo pipefail
APR="$1"; SHARED="$2"; N="$3"; JOBS="$4"; TASK="${5:-${SLURM_ARRAY_TASK_ID:?not an array task}}"
job=$((TASK / N)); k=$((TASK % N + 1))
IFS=$'\t' read -r id tier playbook model < <(sed -n "$((job + 1))p" "$SHARED/jobs.tsv")
[ -n "${model:-}" ] || { echo "shard-task: no certification $job in $SHARED/jobs.tsv"; exit 2; }
out="$SHARED/work/$job/shard-$k"
resume=()
[ -s "$out/evidence.jsonl" ] && resume=(--resume)
echo "shard-task: $id $tier shard $k/$N on $(hostname -s) -> $out ${resume[*]}"
"$APR" run "$playbook" --model-path "$model" --shard "$k/$N" -o "$out" --failure-policy collect-all -q -j "$JOBS" "${resume[@]}"
rc=$?
# A failed gate (1) is a result, not a task failure; anything else (2 usage, 3 environment, 130
# interrupted) fails the task, and the merge reports what it did not record.
[ "$rc" -le 1 ] && exit 0
exit "$rc"
