#!/usr/bin/env bash
# bench/fuzz.sh TARGET SECONDS [BUILD_DIR]: builds tests/fuzz/fuzz_TARGET with clang and
# -DAPR_QA_FUZZ=ON (ASan+UBSan, coverage) in BUILD_DIR (default build/fuzz), runs it for SECONDS
# on a corpus seeded from the tiny fixture's conversions, and prints executions, executions/s and
# whether it crashed. Limits: 1 s per input, 256 MB RSS.
set -euo pipefail
TARGET="${1:?usage: bench/fuzz.sh TARGET SECONDS [BUILD_DIR]}"; SECONDS_="${2:?seconds}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; B="${3:-$ROOT/build/fuzz}"
if [[ ! -f "$B/build.ninja" ]]; then
  cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPR_QA_FUZZ=ON >/dev/null
fi
ninja -C "$B" "fuzz_$TARGET" >/dev/null
CORPUS="$B/fuzz-corpus/$TARGET"; mkdir -p "$CORPUS"
if [[ -z "$(ls -A "$CORPUS")" ]]; then
  APR="${APR_QA_BIN:-$ROOT/build/dev/runner/apr-qa}"
  if [[ -x "$APR" ]]; then
    T="$(mktemp -d)"
    "$APR" fixture --arch llama --preset tiny -o "$T/fx" >/dev/null
    "$APR" convert "$T/fx" "$T/tiny.gguf" >/dev/null
    head -c 65536 "$T/tiny.gguf" > "$CORPUS/tiny-head.gguf"
    rm -rf "$T"
  fi
  printf 'GGUF\3\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0' > "$CORPUS/empty.gguf"
fi
LOG="$B/fuzz-$TARGET.log"
rc=0
"$B/tests/fuzz/fuzz_$TARGET" "$CORPUS" -max_total_time="$SECONDS_" -timeout=1 -rss_limit_mb=256 \
  -max_len=65536 -print_final_stats=1 -artifact_prefix="$B/fuzz-$TARGET-" > "$LOG" 2>&1 || rc=$?
execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$LOG" | grep -o '[0-9]*$' || echo 0)
secs=$(grep -o 'Done [0-9]* runs in [0-9]* second' "$LOG" | grep -o 'in [0-9]*' | grep -o '[0-9]*' || echo "$SECONDS_")
[[ -n "$secs" && "$secs" != 0 ]] || secs="$SECONDS_"
echo "fuzz_$TARGET: $execs executions in ${secs} s ($((execs / secs)) exec/s), exit $rc$([[ $rc == 0 ]] && echo ', no crash' || echo ", see $LOG")"
exit "$rc"
