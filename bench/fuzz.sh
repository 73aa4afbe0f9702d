#!/usr/bin/env bash
# bench/fuzz.sh TARGET SECONDS [BUILD_DIR]: builds tests/fuzz/fuzz_TARGET with clang and
# -DAPR_QA_FUZZ=ON (ASan+UBSan, coverage) in BUILD_DIR (default build/fuzz), runs it for SECONDS
# (nice'd, one process) on a working corpus seeded from the committed regression corpus
# tests/fuzz/corpus/TARGET/, and prints executions, executions/s, peak RSS and whether it
# crashed. Limits: 1 s per input (-timeout), 256 MB RSS (-rss_limit_mb, also the largest single
# allocation). A crash input is written as BUILD_DIR/fuzz-TARGET-crash-*: fix the bug, copy the
# input into tests/fuzz/corpus/TARGET/ (CTest fuzz.replay.TARGET then replays it).
# APR_QA_FUZZ_NO_BUILD=1 runs the binary already built (while another ninja builds in BUILD_DIR).
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
  if "$B/tests/fuzz/fuzz_$TARGET" -runs=1 -timeout=1 -rss_limit_mb=256 "$f" >/dev/null 2>&1; then
    cp -n "$f" "$CORPUS"/
  else
    skipped+=("$(basename "$f")")
  fi
done
LOG="$B/fuzz-$TARGET.log"
rc=0
nice "$B/tests/fuzz/fuzz_$TARGET" "$CORPUS" -max_total_time="$SECONDS_" -timeout=1 -rss_limit_mb=256 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$B/fuzz-$TARGET-" > "$LOG" 2>&1 || rc=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOG" | grep -o '[0-9]*$' || echo 0)
rss=$(grep -o 'stat::peak_rss_mb: *[0-9]*' "$LOG" | grep -o '[0-9]*$' || echo '?')
units=$(grep -o 'stat::new_units_added: *[0-9]*' "$LOG" | grep -o '[0-9]*$' || echo '?')
secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$LOG" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "$SECONDS_")
[[ -n "$secs" && "$secs" != 0 ]] || secs="$SECONDS_"
echo "fuzz_$TARGET: seeds over the limits under ASan, left out: ${skipped[*]:-none}"
echo "fuzz_$TARGET: $execs executions in ${secs} s ($((execs / secs)) exec/s), $units new units, peak RSS ${rss} MB, exit $rc$([[ $rc == 0 ]] && echo ', no crash' || echo ", see $LOG")"
exit "$rc"
