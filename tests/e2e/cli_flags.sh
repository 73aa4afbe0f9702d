#!/usr/bin/env bash
# Out-of-range flags are refused (exit 2, one message naming the flag), never replaced by defaults.
set -euo pipefail
APR="$1"; PB="$2"
for args in "-j 0" "-j -3" "--jobs 300" "--timeout 0" "--timeout -5"; do
  rc=0
  out=$("$APR" run "$PB" --dry-run $args 2>&1) || rc=$?
  flag=${args%% *}
  [[ $rc == 2 ]] || { echo "FAIL: run $args exited $rc: $out"; exit 1; }
  grep -q -- "${flag#-j}" <<<"$out" && grep -q "not in range" <<<"$out" || { echo "FAIL: run $args said: $out"; exit 1; }
done
"$APR" run "$PB" --dry-run -j 2 --timeout 1000 >/dev/null || { echo "FAIL: in-range flags refused"; exit 1; }
echo "1 passed, 0 failed"
