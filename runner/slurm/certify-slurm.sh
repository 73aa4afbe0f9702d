#!/usr/bin/env bash
# Certification sharded over Slurm (docs/scale-out.md). On the submit host:
#   1. `apr-qa certify MODELS --tier T --plan-shards SHARED/jobs.tsv`: validates the registry and
#      playbooks and obtains every model into SHARED/cache (a bad entry submits nothing);
#   2. one job array, one task per certification x shard (sbatch --array=0-(C*N-1) --requeue):
#      shard-task.sh runs `apr-qa run --shard k/N` writing only SHARED/work/<c>/shard-<k>/;
#   3. a merge job (--dependency=afterany:<array>): merge-task.sh, `apr-qa merge` per certification;
#   4. a final job (--dependency=afterany:<merge>): final-task.sh writes the records into CERTS
#      (`certify --from-merged`) and runs `apr-qa compare` against the previous record.
# SHARED must be a filesystem every node mounts at the same path (as must APR and the repository).
# Usage:
#   certify-slurm.sh --shared DIR --shards N [--all | MODEL...] [--tier T] [-o CERTS] [--registry R]
#                    [--apr PATH] [--partition P] [--gres G] [--cpus-per-task C] [--time T]
#                    [--hold] [--wait]
# --hold submits the array held (release with `scontrol release <array>`); --wait waits for the
# final job and exits with its status (SHARED/final.rc). Job ids: SHARED/jobs.ids.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=""; N=""; TIER=nightly; CERTS=certifications; REGISTRY=""; APR=""; PARTITION=""; GRES=""; CPUS=2; TIME=""
HOLD=0; WAIT=0; MODELS=()
while [ $# -gt 0 ]; do
  case "$1" in
    --shared) SHARED="$2"; shift 2 ;;
    --shards) N="$2"; shift 2 ;;
    --tier) TIER="$2"; shift 2 ;;
    -o|--output) CERTS="$2"; shift 2 ;;
    --registry) REGISTRY="$2"; shift 2 ;;
    --apr) APR="$2"; shift 2 ;;
    --partition) PARTITION="$2"; shift 2 ;;
    --gres) GRES="$2"; shift 2 ;;
    --cpus-per-task) CPUS="$2"; shift 2 ;;
    --time) TIME="$2"; shift 2 ;;
    --hold) HOLD=1; shift ;;
    --wait) WAIT=1; shift ;;
    --all) MODELS+=(--all); shift ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    -*) echo "certify-slurm: unknown option $1" >&2; exit 2 ;;
    *) MODELS+=("$1"); shift ;;
  esac
done
[ -n "$SHARED" ] && [ -n "$N" ] && [ ${#MODELS[@]} -gt 0 ] || { echo "certify-slurm: need --shared DIR, --shards N and models (or --all)" >&2; exit 2; }
[[ "$N" =~ ^[1-9][0-9]*$ ]] || { echo "certify-slurm: --shards must be a positive integer, found '$N'" >&2; exit 2; }
APR="${APR:-$(command -v apr-qa || true)}"
[ -x "$APR" ] || { echo "certify-slurm: apr-qa not found (pass --apr PATH)" >&2; exit 3; }
command -v sbatch > /dev/null || { echo "certify-slurm: sbatch not found (Slurm client tools)" >&2; exit 3; }
APR=$(realpath "$APR"); mkdir -p "$SHARED/logs" "$CERTS"; SHARED=$(realpath "$SHARED"); CERTS=$(realpath "$CERTS")
reg=(); [ -n "$REGISTRY" ] && reg=(--registry "$(realpath "$REGISTRY")")
rm -rf "$SHARED/work" "$SHARED/final.rc"

"$APR" certify "${MODELS[@]}" --tier "$TIER" -o "$CERTS" "${reg[@]}" --cache "$SHARED/cache" --plan-shards "$SHARED/jobs.tsv"
C=$(wc -l < "$SHARED/jobs.tsv")
common=(--parsable); [ -n "$PARTITION" ] && common+=(--partition "$PARTITION"); [ -n "$TIME" ] && common+=(--time "$TIME")
task=(--cpus-per-task "$CPUS"); [ -n "$GRES" ] && task+=(--gres "$GRES"); [ "$HOLD" = 1 ] && task+=(--hold)
array=$(sbatch "${common[@]}" "${task[@]}" --requeue --array="0-$((C * N - 1))" -J aprqa-shard \
  -o "$SHARED/logs/shard-%a.out" "$HERE/shard-task.sh" "$APR" "$SHARED" "$N" "$CPUS")
merge=$(sbatch "${common[@]}" --dependency="afterany:$array" -J aprqa-merge -o "$SHARED/logs/merge.out" \
  "$HERE/merge-task.sh" "$APR" "$SHARED" "$N")
final=$(sbatch "${common[@]}" --dependency="afterany:$merge" -J aprqa-final -o "$SHARED/logs/final.out" \
  "$HERE/final-task.sh" "$APR" "$SHARED" "$CERTS" "${REGISTRY:+$(realpath "$REGISTRY")}")
printf 'array=%s\nmerge=%s\nfinal=%s\n' "$array" "$merge" "$final" | tee "$SHARED/jobs.ids"
echo "certify-slurm: $C certification(s) x $N shards: array $array (tasks 0-$((C * N - 1))), merge $merge, final $final"
[ "$WAIT" = 1 ] || exit 0
while [ -n "$(squeue -h -j "$array,$merge,$final" -o %i 2>/dev/null)" ]; do sleep 2; done
cat "$SHARED/logs/final.out" 2>/dev/null || true
exit "$(cat "$SHARED/final.rc" 2>/dev/null || echo 3)"
