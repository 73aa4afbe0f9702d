#!/usr/bin/env python3
"""Benchmark (not a test): quantizing conversion, `apr-qa convert SRC.gguf OUT.gguf --quantize T`
next to llama.cpp's `llama_model_quantize` (llama-cpp-python) on the same F16/F32 GGUF with the
same thread count, alternating, medians of RUNS. Goal (issue 18): ours <= 1.0x llama.cpp.

  bench/quantize.py [--build build/release] [--runs 5] [--threads 2] [--types q8_0,q4_k_m]
                    [--dtype f16] [--layers 24] [--work DIR]

Input: the Qwen2.5-0.5B-shaped fixture (`apr-qa fixture --preset qwen2.5-0.5b`, untied so that
the output matrix is quantized too), written once in --dtype and converted to GGUF (setup, not
timed; --work keeps it between invocations). Both sides run in their own process:
  ours   = wall time of the whole `apr-qa convert` process (start-up, load, quantize, write,
           fsync of the output: the converter's output is durable);
  llama  = wall time of the llama_model_quantize call in a Python process that has already
           imported llama_cpp (start-up not counted), plus an fsync of its output so both sides
           end with the bytes on disk; the call alone is printed too.
Byte identity of the two outputs' tensor data is the oracle test's business
(tests/oracle/test_convert_quantize.py); this script checks the tensor counts and sizes match.
Run with the oracle venv's Python ($HOME/.cache/apr-qa/venv/bin/python)."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time

FTYPE = {"q8_0": 7, "q4_0": 2, "q4_k_m": 15, "q5_k_m": 17, "q6_k": 18, "q2_k": 10, "q3_k_m": 12}

LLAMA = r"""
import ctypes, os, sys, time
import llama_cpp
src, dst, ftype, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
p = llama_cpp.llama_model_quantize_default_params()
p.ftype = ftype
p.nthread = threads
t0 = time.perf_counter()
rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(p))
t1 = time.perf_counter()
if rc != 0:
    sys.exit(f"llama_model_quantize returned {rc}")
fd = os.open(dst, os.O_RDONLY)
os.fsync(fd)
os.close(fd)
t2 = time.perf_counter()
print(f"{t1 - t0} {t2 - t0}")
"""


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit(f"FAILED: {' '.join(cmd)}\n{r.stdout}{r.stderr}")
    return r.stdout


def main():
    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default=os.path.join(here, "build/release"))
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--types", default="q8_0,q4_k_m")
    ap.add_argument("--dtype", default="f16", choices=["f16", "f32"])
    ap.add_argument("--layers", type=int, default=24)
    ap.add_argument("--work", default=None)
    a = ap.parse_args()
    bin_ = os.path.join(a.build, "runner/apr-qa")
    if not os.access(bin_, os.X_OK):
        sys.exit(f"quantize.py: {bin_} not found; build apr-qa first")
    work = a.work or os.path.join(a.build, "bench", f"quantize-{a.dtype}-{a.layers}")
    os.makedirs(work, exist_ok=True)
    src = os.path.join(work, "model.gguf")
    if not os.path.exists(src + ".done"):
        print(f"setup: fixture qwen2.5-0.5b {a.dtype} {a.layers} layers, untied -> GGUF (not timed) in {work}")
        shutil.rmtree(os.path.join(work, "src"), ignore_errors=True)
        run([bin_, "fixture", "--arch", "qwen2", "--preset", "qwen2.5-0.5b", "--layers", str(a.layers), "--untied",
             "--dtype", a.dtype, "--seed", "1", "-o", os.path.join(work, "src")])
        run([bin_, "convert", os.path.join(work, "src"), src])
        shutil.rmtree(os.path.join(work, "src"), ignore_errors=True)
        open(src + ".done", "w").close()
    print(f"source: {src}, {os.path.getsize(src)} bytes; threads {a.threads}; {a.runs} runs each, alternating")
    with open(src, "rb") as f:  # warm the page cache for both sides alike
        while f.read(1 << 24):
            pass
    for t in a.types.split(","):
        ours, llama, llama_call = [], [], []
        out_ours, out_ref = os.path.join(work, f"ours-{t}.gguf"), os.path.join(work, f"ref-{t}.gguf")
        for _ in range(a.runs):
            for p in (out_ours, out_ref):
                if os.path.exists(p):
                    os.remove(p)
            t0 = time.perf_counter()
            run([bin_, "convert", src, out_ours, "--quantize", t, "--threads", str(a.threads)])
            ours.append(time.perf_counter() - t0)
            call, total = map(float, run([sys.executable, "-c", LLAMA, src, out_ref, str(FTYPE[t]), str(a.threads)]).split())
            llama.append(total)
            llama_call.append(call)
        mo, ml, mc = statistics.median(ours), statistics.median(llama), statistics.median(llama_call)
        print(f"{t}: ours median {mo:.3f} s ({' '.join(f'{x:.3f}' for x in ours)}); "
              f"llama_model_quantize median {ml:.3f} s with fsync ({' '.join(f'{x:.3f}' for x in llama)}), "
              f"{mc:.3f} s the call alone")
        print(f"{t}: ratio ours/llama.cpp = {mo / ml:.2f} (with its fsync), {mo / mc:.2f} (call alone); goal <= 1.0; "
              f"output bytes ours {os.path.getsize(out_ours)}, llama.cpp {os.path.getsize(out_ref)}")
        for p in (out_ours, out_ref):
            os.remove(p)


if __name__ == "__main__":
    main()
