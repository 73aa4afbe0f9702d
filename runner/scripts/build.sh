#!/usr/bin/env bash
# Configure and build apr-qa (preset: release by default; also debug, asan-ubsan).
set -euo pipefail
cd "$(dirname "$0")/../.."
PRESET="${1:-release}"
cmake --preset "$PRESET" >/dev/null
cmake --build --preset "$PRESET" -j"$(nproc)"
