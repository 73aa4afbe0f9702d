#!/usr/bin/env bash
# bench/fuzz_all.sh SECONDS [BUILD_DIR] [JOBS]: builds every libFuzzer target (clang, -DAPR_QA_FUZZ=ON)
# and runs them side by side, one process (one core) each, for SECONDS, through bench/fuzz.sh;
# prints one line per target (executions, exec/s, new units, peak RSS, exit). Needs as many free
# cores as targets (8) to give each the same time; on a small machine run bench/fuzz.sh one by one.
set -euo pipefail
SECONDS_="${1:?usage: bench/fuzz_all.sh SECONDS [BUILD_DIR] [JOBS]}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"; B="${2:-$ROOT/build/fuzz}"; JOBS="${3:-$(nproc)}"
TARGETS=(gguf safetensors apr tokenizer_json chat_template playbook gate_catalogue serve_request)
if [[ ! -f "$B/build.ninja" ]]; then
  cmake -S "$ROOT" -B "$B" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_C_COMPILER=clang \
    -DCMAKE_BUILD_TYPE=RelWithDebInfo -DAPR_QA_FUZZ=ON >/dev/null
fi
nice ninja -C "$B" -j"$JOBS" "${TARGETS[@]/#/fuzz_}" >/dev/null
pids=()
for t in "${TARGETS[@]}"; do
  APR_QA_FUZZ_NO_BUILD=1 bash "$ROOT/bench/fuzz.sh" "$t" "$SECONDS_" "$B" > "$B/fuzz-$t.summary" 2>&1 &
  pids+=($!)
done
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=1; done
for t in "${TARGETS[@]}"; do cat "$B/fuzz-$t.summary"; done
exit "$rc"
