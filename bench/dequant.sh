#!/usr/bin/env bash
# Benchmark driver (not a test): apr-qa's dequantization throughput next to ggml's own
# dequantize_row_* (libggml-base.so from the oracle venv's llama-cpp-python), same data sizes,
# one thread, medians of 7 runs, in GB/s of f32 output (thread CPU time, robust on a shared host).
#
#   bench/dequant.sh [BUILD_DIR] [MB]
#     BUILD_DIR  a configured build tree containing bench/bench_dequant (default: build/release)
#     MB         MB of f32 output per pass (default 64)
#   env APR_QA_PYTHON  python of the oracle venv (default ~/.cache/apr-qa/venv/bin/python)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
build="${1:-$here/build/release}"
mb="${2:-64}"
py="${APR_QA_PYTHON:-$HOME/.cache/apr-qa/venv/bin/python}"
bin="$build/bench/bench_dequant"

if [[ ! -x "$bin" ]]; then
  echo "dequant.sh: $bin not found; build it with: cmake --build $build --target bench_dequant" >&2
  exit 3
fi
if [[ ! -x "$py" ]]; then
  echo "dequant.sh: oracle python $py not found (runner/scripts/setup-oracles.sh)" >&2
  exit 3
fi

ours="$("$bin" --mb "$mb" --runs 7)"
echo "$ours"
echo
echo "side by side with ggml (libggml-base.so, baseline x86-64 build), GB/s of f32 output, thread CPU time:"
OURS="$ours" MB="$mb" "$py" - <<'EOF'
import ctypes, glob, importlib.util, os, pathlib, sys, time
import numpy as np

spec = importlib.util.find_spec("llama_cpp")
lib = pathlib.Path(list(spec.submodule_search_locations)[0]) / "lib" / "libggml-base.so"
g = ctypes.CDLL(str(lib))
VP, I64 = ctypes.c_void_p, ctypes.c_int64
types = {"Q8_0": (32, 34), "Q4_0": (32, 18), "Q4_1": (32, 20), "Q5_0": (32, 22), "Q5_1": (32, 24),
         "Q2_K": (256, 84), "Q3_K": (256, 110), "Q4_K": (256, 144), "Q5_K": (256, 176), "Q6_K": (256, 210),
         "F16": (1, 2), "BF16": (1, 2)}
ours = {}
for line in os.environ["OURS"].splitlines():
    parts = line.split()
    if len(parts) == 5 and parts[0] in types:
        ours[parts[0]] = float(parts[2])  # cpu column
n = int(os.environ["MB"]) * (1 << 20) // 4 // 256 * 256
x = np.random.default_rng(42).standard_normal(n).astype(np.float32)
y = np.empty(n, np.float32)
print(f"{'dtype':6} {'ggml':>8} {'apr-qa':>8} {'ratio':>7}")
for t, (be, bb) in types.items():
    q = np.empty(n // be * bb, np.uint8)
    if t in ("F16", "BF16"):
        qf = getattr(g, f"ggml_fp32_to_{t.lower()}_row" if t == "BF16" else "ggml_fp32_to_fp16_row")
        df = getattr(g, "ggml_bf16_to_fp32_row" if t == "BF16" else "ggml_fp16_to_fp32_row")
    else:
        s = t.lower().replace("_k", "_K")
        qf, df = getattr(g, f"quantize_row_{s}_ref"), getattr(g, f"dequantize_row_{s}")
    qf.argtypes = df.argtypes = [VP, VP, I64]
    qf(x.ctypes.data, q.ctypes.data, n)
    df(q.ctypes.data, y.ctypes.data, n)  # warm-up
    ts = []
    for _ in range(7):
        t0 = time.thread_time()
        df(q.ctypes.data, y.ctypes.data, n)
        ts.append(time.thread_time() - t0)
    ggml = n * 4 / sorted(ts)[3] / 1e9
    mine = ours.get(t, float("nan"))
    print(f"{t:6} {ggml:8.2f} {mine:8.2f} {mine / ggml:7.2f}")
EOF
