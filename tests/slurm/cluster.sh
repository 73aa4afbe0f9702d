#!/usr/bin/env bash
# A one-machine Slurm for tests (sourced by tests/slurm/run.sh and bench/slurm_shards.sh):
# munged, slurmctld and slurmd started as root in a temporary folder with a generated
# slurm.conf and munge key; `cluster_stop` stops each daemon it started, by pid.
#   cluster_start DIR [CPUS]   exports SLURM_CONF; returns non-zero when the node never comes up
#   cluster_stop               kills the recorded pids (TERM, then KILL), idempotent
#   cluster_wait JOBID... [timeout s via CLUSTER_WAIT_S]  waits until squeue lists none of them
CLUSTER_PIDS=()
cluster_start() {
  local dir="$1" cpus="${2:-2}" host port
  host=$(hostname -s)
  mkdir -p "$dir"/{munge,spool,state,log}
  chmod 700 "$dir/munge"
  dd if=/dev/urandom bs=1 count=1024 of="$dir/munge/munge.key" status=none
  chmod 400 "$dir/munge/munge.key"
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"
  for _ in $(seq 50); do [ -s "$dir/munge/munged.pid" ] && break; sleep 0.1; done
  CLUSTER_PIDS+=("$(cat "$dir/munge/munged.pid")")
  port=$((20000 + RANDOM % 20000))
  cat > "$dir/slurm.conf" <<CONF
ClusterName=aprqa
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$port
SlurmdPort=$((port + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
ReturnToService=2
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SchedulerParameters=sched_interval=1
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=debug Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$dir/slurm.conf"
  slurmctld -D -i -f "$SLURM_CONF" > "$dir/log/slurmctld.out" 2>&1 &
  CLUSTER_PIDS+=($!)
  slurmd -D -f "$SLURM_CONF" -N "$host" > "$dir/log/slurmd.out" 2>&1 &
  CLUSTER_PIDS+=($!)
  for _ in $(seq 120); do
    if sinfo -h -o '%t' 2>/dev/null | grep -qx 'idle'; then return 0; fi
    sleep 0.5
  done
  echo "cluster: node $host never became idle; sinfo: $(sinfo 2>&1 | tail -2)"
  tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" 2>/dev/null
  return 1
}
cluster_stop() {
  local p
  for p in "${CLUSTER_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do
    local alive=0
    for p in "${CLUSTER_PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" -eq 0 ] && break
    sleep 0.1
  done
  for p in "${CLUSTER_PIDS[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  CLUSTER_PIDS=()
}
cluster_wait() {
  local deadline=$((SECONDS + ${CLUSTER_WAIT_S:-600})) ids
  ids=$(IFS=,; echo "$*")
  while [ $SECONDS -lt $deadline ]; do
    [ -z "$(squeue -h -j "$ids" -o '%i' 2>/dev/null)" ] && return 0
    sleep 1
  done
  echo "cluster: jobs $ids still queued after ${CLUSTER_WAIT_S:-600}s"; squeue; return 1
}
