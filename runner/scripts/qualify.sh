#!/usr/bin/env bash
# The main job: install, build, and qualify the real SmolLM2-135M-Instruct model.
# (Grows with the project: today it builds and inspects the model strictly.)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash runner/scripts/install-deps.sh
bash runner/scripts/setup-oracles.sh >/dev/null
bash runner/scripts/build.sh release
MODEL="${APR_QA_CACHE:-$HOME/.cache/apr-qa}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
./build/release/runner/apr-qa inspect "$MODEL"
