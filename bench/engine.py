#!/usr/bin/env python3
"""Engine vs llama.cpp benchmark (not a test): prefill of a 512-token prompt and greedy decode of
128 tokens, same GGUF, same thread count, each engine in its own process (so peak RSS is per
engine). Prints medians over --repeat runs and the ratios ours/llama.cpp, plus our peak RSS
against the model file + KV cache budget (goal: <= 1.2x).

Models: SmolLM2-135M-Instruct Q4_1 (real), and a synthetic Qwen2.5-0.5B-shaped model (fixture
preset qwen2.5-0.5b) quantized to Q8_0 and Q4_K_M by our converter.
llama.cpp runs with its defaults (F16 KV cache, flash attention auto) as users run it; ours runs
the deterministic reference mode (the only mode).

  python bench/engine.py [--threads 2] [--prompt 512] [--decode 128] [--repeat 1] [--skip-qwen]
Env: APR_QA_BIN (apr-qa), APR_QA_BENCH_RUN (bench_engine_run), APR_QA_TOOLS_DIR (oracle tools),
APR_QA_MODELS_DIR, APR_QA_WORK_DIR.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile

LLAMA_CHILD = r'''
import json, resource, sys, time, random
from llama_cpp import Llama
path, n_prompt, n_decode, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
llm = Llama(model_path=path, n_ctx=n_prompt + n_decode + 8, n_batch=n_prompt, n_threads=threads,
            n_threads_batch=threads, verbose=False)
import llama_cpp
import numpy as np
nv = llm.n_vocab()
def last_logits():  # logits of the last evaluated token (logits_all is off, as users run it)
    return np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(llm._ctx.ctx, -1), shape=(nv,))
rng = random.Random(1234)
prompt = [rng.randrange(min(llm.n_vocab(), 30000)) for _ in range(n_prompt)]
t0 = time.perf_counter()
llm.eval(prompt)
t1 = time.perf_counter()
tok = int(np.argmax(last_logits()))
t2 = time.perf_counter()
for _ in range(n_decode - 1):
    llm.eval([tok])
    tok = int(np.argmax(last_logits()))
t3 = time.perf_counter()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"prefill_tps": n_prompt / (t1 - t0), "decode_tps": (n_decode - 1) / (t3 - t2),
                  "ttft_ms": (t2 - t0) * 1e3, "peak_rss_bytes": rss}))
'''


def run_json(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}...: {r.stderr.strip()[-1500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def bench(label, path, a, ours_bin):
    ours = [run_json([ours_bin, path, str(a.prompt), str(a.decode), str(a.threads)]) for _ in range(a.repeat)]
    theirs = [run_json([sys.executable, "-c", LLAMA_CHILD, path, str(a.prompt), str(a.decode), str(a.threads)])
              for _ in range(a.repeat)]
    size = os.path.getsize(path)
    kv = ours[0]["kv_cache_bytes"]
    op, tp = median_of(ours, "prefill_tps"), median_of(theirs, "prefill_tps")
    od, td = median_of(ours, "decode_tps"), median_of(theirs, "decode_tps")
    orss, trss = median_of(ours, "peak_rss_bytes"), median_of(theirs, "peak_rss_bytes")
    mib = 1024 * 1024
    print(f"{label}: file {size / mib:.1f} MiB, KV(f32) {kv / mib:.1f} MiB, threads {a.threads}")
    print(f"  prefill {a.prompt} tok: ours {op:8.1f} tok/s  llama.cpp {tp:8.1f} tok/s  ratio {op / tp:.2f} (goal >= 0.3)")
    print(f"  decode {a.decode} tok:  ours {od:8.1f} tok/s  llama.cpp {td:8.1f} tok/s  ratio {od / td:.2f} (goal >= 0.7)")
    print(f"  peak RSS: ours {orss / mib:.1f} MiB = {orss / (size + kv):.2f}x (file + KV) (goal <= 1.2); "
          f"llama.cpp {trss / mib:.1f} MiB")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--decode", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-qwen", action="store_true", help="only SmolLM2")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.path.join(root, "build", "release")
    ours_bin = os.environ.get("APR_QA_BENCH_RUN", os.path.join(build, "bench", "bench_engine_run"))
    tools = os.environ.get("APR_QA_TOOLS_DIR", os.path.join(build, "tests", "oracle", "tools"))
    models = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
    work = os.environ.get("APR_QA_WORK_DIR") or tempfile.mkdtemp(prefix="engine_bench_")
    bench("SmolLM2-135M-Instruct Q4_1", os.path.join(models, "SmolLM2-135M-Instruct.Q4_1.gguf"), a, ours_bin)
    if a.skip_qwen:
        return
    tool = os.path.join(tools, "oracle_engine_models")
    snap = os.path.join(work, "qwen05_snap")
    if not os.path.exists(os.path.join(snap, "model.safetensors")):
        subprocess.run([tool, "fixture-preset", "qwen2", "qwen2.5-0.5b", "1", snap], check=True)
    for q in ("q8_0", "q4_k_m"):
        g = os.path.join(work, f"qwen05_{q}.gguf")
        if not os.path.exists(g):
            subprocess.run([tool, "convert", snap, g, q], check=True, capture_output=True)
        bench(f"Qwen2.5-0.5B-shaped synthetic {q.upper()}", g, a, ours_bin)


if __name__ == "__main__":
    main()
