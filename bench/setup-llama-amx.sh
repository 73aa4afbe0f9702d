#!/usr/bin/env bash
# Benchmark-only: a second llama-cpp-python 0.3.16 built for this CPU WITH ggml's AMX int8
# kernels, in its own venv, so that bench/engine.py --llama-python and bench/perplexity.py
# --llama-python can time llama.cpp as an AMX Xeon runs it by default. Never an oracle: in 0.3.16
# those kernels compute wrong Q4_0/Q4_1 products (SmolLM2 Q4_1 perplexity 970.6 instead of 93.0;
# upstream ggml-org/llama.cpp #16315, fixed in #19925), which is why runner/scripts/setup-oracles.sh
# builds the oracle without them. Idempotent; prints the venv's python on the last line.
#   bench/setup-llama-amx.sh        (needs the oracle venv: runner/scripts/setup-oracles.sh)
set -euo pipefail
CACHE="${APR_QA_CACHE:-$HOME/.cache/apr-qa}"
VENV="$CACHE/venv-llama-amx"
WHEELS="$CACHE/wheels/llama-cpp-0.3.16-native"
mkdir -p "$WHEELS"
if [[ ! -x "$VENV/bin/python" ]]; then
  /usr/bin/python3 -m venv --system-site-packages "$VENV"
fi
if ! ls "$WHEELS"/llama_cpp_python-0.3.16-*.whl >/dev/null 2>&1; then
  echo "setup-llama-amx: building llama-cpp-python 0.3.16 with GGML_NATIVE (several minutes)" >&2
  CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF" \
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$VENV/bin/python" -m pip wheel -q --no-deps --no-cache-dir -w "$WHEELS" "llama-cpp-python==0.3.16"
fi
"$VENV/bin/python" -m pip install -q --no-deps "$WHEELS"/llama_cpp_python-0.3.16-*.whl
"$VENV/bin/python" -m pip install -q "diskcache>=5.6.1" "typing-extensions>=4.5.0" "gguf==0.17.1"
"$VENV/bin/python" -c "import llama_cpp, sys; i = llama_cpp.llama_print_system_info().decode(); \
print('setup-llama-amx: AMX_INT8 =', 'on' if 'AMX_INT8 = 1' in i else 'off (this CPU or compiler has none)', file=sys.stderr)"
echo "$VENV/bin/python"
