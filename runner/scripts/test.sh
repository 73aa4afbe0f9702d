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
