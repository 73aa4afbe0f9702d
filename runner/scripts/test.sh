#!/usr/bin/env bash
# The one test command (README, CI): installs what a fresh Debian 12 machine lacks, sets up the
# Python oracles (cached under ~/.cache/apr-qa), builds, and runs every CTest test — unit tests
# and oracle tests against independent implementations. Fails loudly on any failure.
set -euo pipefail
cd "$(dirname "$0")/../.."
PRESET="${APR_QA_PRESET:-release}"

bash runner/scripts/install-deps.sh
APR_QA_PYTHON="$(bash runner/scripts/setup-oracles.sh | tail -1)"
export APR_QA_PYTHON
# Oracles read only local files; never let transformers/huggingface_hub reach for a hub.
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1
echo "test: oracle python = $APR_QA_PYTHON"

cmake --preset "$PRESET" -DAPR_QA_PYTHON="$APR_QA_PYTHON" >/dev/null
cmake --build --preset "$PRESET" -j"$(nproc)"
ctest --preset "$PRESET" -j"$(nproc)" --timeout 1800 "$@"

# Sanitizer stage (issue 13): the asan-ubsan preset builds the unit tests and the fuzz replay
# programs and runs unit.* and fuzz.replay.* (the committed regression corpus) under ASan+UBSan
# (not hostile.corpus: it runs apr-qa itself, measured against RSS bounds set for the release build).
# APR_QA_SANITIZERS=0 skips it (docs/reliability.md gives its duration).
if [[ "${APR_QA_SANITIZERS:-1}" != 0 && "$PRESET" != asan-ubsan ]]; then
  start=$(date +%s)
  cmake --preset asan-ubsan -DAPR_QA_PYTHON="$APR_QA_PYTHON" >/dev/null
  targets=$(ctest --preset asan-ubsan -N -L 'unit|replay' | sed -n 's/^ *Test *#[0-9]*: \(unit\|fuzz\.replay\)\.\(.*\)$/\1 \2/p' |
            while read -r kind name; do [[ $kind == unit ]] && echo "test_$name" || echo "replay_$name"; done)
  # shellcheck disable=SC2086
  cmake --build --preset asan-ubsan -j"$(nproc)" --target $targets
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset asan-ubsan -j"$(nproc)" --timeout 1800 -L 'unit|replay' -LE hostile
  echo "test: sanitizer stage (asan-ubsan: unit.* and fuzz.replay.*) took $(( $(date +%s) - start )) s"
fi
