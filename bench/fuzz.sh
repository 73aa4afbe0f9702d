#!/usr/bin/env bash
# bench/fuzz.sh TARGET SECONDS [BUILD_DIR]: builds tests/fuzz/fuzz_TARGET with clang and
# -DAPR_QA_FUZZ=ON (ASan+UBSan, coverage) in BUILD_DIR (default build/fuzz), runs it for SECONDS
# (nice'd, one process) on a working corpus seeded from the committed regression corpus
# tests/fuzz/corpus/TARGET/, and prints executions, executions/s, peak RSS and whether it
# crashed. Limits: 1 s per input (-timeout), 256 MB RSS (-rss_limit_mb, also the largest single
# allocation). A crash input is written as BUILD_DIR/fuzz-TARGET-crash-*: fix the bug, copy the
# input into tests/fuzz/corpus/TARGET/ (CTest fuzz.replay.TARGET then replays it).
# APR_QA_FUZZ_NO_BUILD=1 runs the binary already built (while another ninja builds in BUILD_DIR).
# APR_QA_FUZZ_RUNS=N stops the run after N executions (-runs=N) if that comes before SECONDS
# (issue 13's goal: APR_QA_FUZZ_RUNS=1000000 bench/fuzz.sh TARGET 3600).
# APR_QA_FUZZ_MAX_LEN=N overrides the target's largest generated input (below).
# APR_QA_FUZZ_FORK=1 runs libFuzzer's fork mode: short-lived child processes fuzz in turn, so the
# 256 MB RSS limit applies to each child (ASan's allocator growth over hundreds of thousands of
# inputs no longer adds up in one process); any crash, timeout or OOM still stops the run.
# The executions are then the last "#N:" line's total (-runs is not used in fork mode).
# APR_QA_FUZZ_NICE=N runs the fuzzer at nice N (default 19: it yields to everything else; 10 shares a
# core evenly with other nice'd builds and tests).
# Targets: gguf safetensors apr tokenizer_json chat_template playbook gate_catalogue serve_request
set -euo pipefail
TARGET="${1:?usage: bench/fuzz.sh TARGET SECONDS [BUILD_DIR]}"; SECONDS_="${2:?seconds}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; B="${3:-$ROOT/build/fuzz}"
if [[ ! -f "$B/build.ninja" ]]; then
  cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPR_QA_FUZZ=ON >/dev/null
fi
[[ "${APR_QA_FUZZ_NO_BUILD:-0}" == 1 ]] || nice ninja -C "$B" -j2 "fuzz_$TARGET" >/dev/null
CORPUS="$B/fuzz-corpus/$TARGET"; mkdir -p "$CORPUS"
SEEDS="$ROOT/tests/fuzz/corpus/$TARGET"
# A committed input that needs more than the limits under ASan (the budget probes: billion laughs,
# nested range(100000) loops, ... take 0.1-0.3 s and < 70 MB in the release replay, 3-10x that
# under ASan) would end the run at once; it stays in fuzz.replay.TARGET and is left out here.
skipped=()
for f in "$SEEDS"/*; do
  [[ -f "$f" ]] || continue
  if nice -n 19 "$B/tests/fuzz/fuzz_$TARGET" -runs=1 -timeout=1 -rss_limit_mb=256 "$f" >/dev/null 2>&1; then
    cp -n "$f" "$CORPUS"/
  else
    skipped+=("$(basename "$f")")
  fi
done
# The largest input the fuzzer generates (larger committed seeds are read truncated to it): a
# few KB covers every structure of the format (headers, a KV section, a template, a playbook,
# a gate file) and keeps each execution short; the giant budget probes stay in the replay.
case "$TARGET" in
  gguf|apr|safetensors|tokenizer_json|serve_request) MAX_LEN=8192 ;;
  chat_template|playbook) MAX_LEN=4096 ;;
  gate_catalogue) MAX_LEN=8192 ;;
  *) MAX_LEN=65536 ;;
esac
MAX_LEN="${APR_QA_FUZZ_MAX_LEN:-$MAX_LEN}"
RUNS=()
if [[ "${APR_QA_FUZZ_FORK:-0}" == 1 ]]; then
  RUNS=(-fork=1 -ignore_ooms=0 -ignore_timeouts=0 -ignore_crashes=0)
elif [[ -n "${APR_QA_FUZZ_RUNS:-}" ]]; then
  RUNS=(-runs="$APR_QA_FUZZ_RUNS")
fi
# -rss_limit_mb measures the whole process. ASan keeps freed pages mapped by default (one input
# that briefly needed 150 MB would count against every later one): give them back every 100 ms.
# Its quarantine holds up to 256 MB of freed memory (poisoned, to catch use-after-free), which
# alone reaches the limit: a tokenizer.json with a 61k-token vocabulary (14 MB in the release
# build) showed 332 MB RSS with it, 99 MB with 32 MB. 64 MB keeps use-after-free detection for
# anything freed within the last 64 MB of frees.
export ASAN_OPTIONS="${ASAN_OPTIONS:-allocator_release_to_os_interval_ms=100:quarantine_size_mb=64}"
LOG="$B/fuzz-$TARGET.log"
rc=0
# CPU seconds as well as wall seconds: on a loaded machine a nice'd fuzzer gets a fraction of a core.
/usr/bin/time -f '%e %U %S' -o "$B/fuzz-$TARGET.cpu" nice -n "${APR_QA_FUZZ_NICE:-19}" "$B/tests/fuzz/fuzz_$TARGET" "$CORPUS" -max_total_time="$SECONDS_" "${RUNS[@]}" -timeout=1 \
  -rss_limit_mb=256 -max_len="$MAX_LEN" -print_final_stats=1 -artifact_prefix="$B/fuzz-$TARGET-" \
  > "$LOG" 2>&1 || rc=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOG" | grep -o '[0-9]*$' || true)
[[ -n "$execs" ]] || execs=$(grep -oE '^#[0-9]+:' "$LOG" | tail -n 1 | tr -dc '0-9' || true)
[[ -n "$execs" ]] || execs=0
rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$LOG" | grep -o '[0-9]*$' || echo '?')
units=$(grep -o 'stat::new_units_added: *[0-9]*' "$LOG" | grep -o '[0-9]*$' || echo '?')
# Wall seconds of the run (also when it stopped early on a finding) and CPU seconds it got.
secs=$(tail -n 1 "$B/fuzz-$TARGET.cpu" 2>/dev/null | awk '{printf "%d", $1}' || echo 0)
[[ -n "$secs" && "$secs" != 0 ]] || secs=1
cpu=$(tail -n 1 "$B/fuzz-$TARGET.cpu" 2>/dev/null | awk '{printf "%d", $2 + $3}' || echo 0)
[[ -n "$cpu" && "$cpu" != 0 ]] || cpu=1
echo "fuzz_$TARGET: seeds over the limits under ASan, left out: ${skipped[*]:-none}"
echo "fuzz_$TARGET: $execs executions in ${secs} s ($((execs / secs)) exec/s; ${cpu} CPU s, $((execs / cpu)) exec per CPU s), $units new units, peak RSS ${rss} MB, exit $rc$([[ $rc == 0 ]] && echo ', no crash' || echo ", see $LOG")"
exit "$rc"
