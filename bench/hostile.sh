#!/usr/bin/env bash
# Replays the hostile-input corpus (tests/hostile/hostile.py) against a built apr-qa and prints
# the Markdown table of docs/reliability.md: expected and actual exit code, wall time, max RSS of
# the apr-qa process (wait4 rusage) and the one-line message of every case.
# usage: bench/hostile.sh [BUILD_DIR]   (default build/release)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
work="$(mktemp -d "${TMPDIR:-/tmp}/apr-qa-hostile.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "$("$build/runner/apr-qa" --version 2>/dev/null || echo '?'), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
python3 "$root/tests/hostile/hostile.py" --bin "$build/runner/apr-qa" --work "$work" --markdown --max-seconds 2 --max-rss-mb 256
