#!/usr/bin/env bash
# serve under abuse on the real SmolLM2-135M GGUF (docs/reliability.md "serve under abuse"):
# 16 queued generations (--max-queue 16) while /health is sampled 200 times, 12 trickling
# clients, 415, Range, a non-streamed and a streamed request abandoned mid-generation, the
# connection bound. Prints the Markdown table.
# usage: bench/serve_abuse.sh [BUILD_DIR] [MODEL]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build/release}"
model="${2:-$(ls "$HOME"/.cache/apr-qa/models/SmolLM2-135M-Instruct*.gguf | head -n 1)}"
work="$(mktemp -d "${TMPDIR:-/tmp}/apr-qa-serve-abuse.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "$("$build/runner/apr-qa" --version 2>/dev/null || echo '?'), $(nproc) CPUs, load $(cut -d' ' -f1 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ), model $(basename "$model")"
python3 "$root/tests/e2e/serve_abuse.py" --bin "$build/runner/apr-qa" --model "$model" --work "$work" --bench \
  --queue 16 --gen-tokens 48 --long-tokens 2000 --ctx 4096 --health-samples 200 --health-bound 0.05 --read-timeout 10
