#!/usr/bin/env bash
# The nightly certification job (docs/certification.md):
#   1. installs what the machine lacks (Debian packages, the Python oracles and the real
#      SmolLM2-135M-Instruct GGUF, cached under ~/.cache/apr-qa) and builds apr-qa;
#   2. certifies every model of certifications/models.yaml at its nightly tier
#      (`apr-qa certify --all --tier nightly`): new evidence, mqs.json, reports, one more
#      history.jsonl line per record, models.csv and the README table;
#   3. compares the new record with the one before tonight's run (`apr-qa compare`) and prints the
#      comparison last.
# Exit: 0 no regression; 1 a regression since the previous night (the comparison says which);
# 2/3 certify could not run (bad registry, missing tool), with the error.
# Usage: runner/scripts/nightly.sh [CERT_DIR]     (default: certifications)
# Env: APR_QA_CACHE (default ~/.cache/apr-qa), APR_QA_JOBS (workers per run), APR_QA_NIGHTLY_SKIP_SETUP=1
# (skip steps 1's installs and build: use an existing build/release), APR_QA_SCRATCH (certify --scratch:
# default /dev/shm when it is a writable folder, `none` for none; a run that may not fit there uses the disk).
set -euo pipefail
cd "$(dirname "$0")/../.."
CERT="${1:-certifications}"
CACHE="${APR_QA_CACHE:-$HOME/.cache/apr-qa}"
if [[ "${APR_QA_NIGHTLY_SKIP_SETUP:-0}" != 1 ]]; then
  bash runner/scripts/install-deps.sh
  bash runner/scripts/setup-oracles.sh >/dev/null
  bash runner/scripts/build.sh release
fi
BIN=./build/release/runner/apr-qa
[[ -x "$BIN" ]] || { echo "nightly: $BIN not found (build first)" >&2; exit 3; }
[[ -f "$CERT/models.yaml" ]] || { echo "nightly: no registry at $CERT/models.yaml" >&2; exit 2; }
PREV="$(mktemp -d)"
trap 'rm -rf "$PREV"' EXIT
cp -a "$CERT" "$PREV/before"
SCRATCH="${APR_QA_SCRATCH:-/dev/shm}"
[[ "$SCRATCH" != none && -d "$SCRATCH" && -w "$SCRATCH" ]] || SCRATCH=""
rc=0
"$BIN" certify --all --tier nightly -o "$CERT" --cache "$CACHE" ${APR_QA_JOBS:+-j "$APR_QA_JOBS"} \
  ${SCRATCH:+--scratch "$SCRATCH"} || rc=$?
# Exit 1 only says a record is not CERTIFIED (a synthetic model never is); whether that is new
# tonight is the comparison's call.
if [[ $rc -gt 1 ]]; then
  echo "nightly: apr-qa certify failed (exit $rc); the previous record is kept" >&2
  exit "$rc"
fi
echo
"$BIN" compare "$PREV/before" "$CERT"
