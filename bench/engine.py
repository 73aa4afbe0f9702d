#!/usr/bin/env python3
"""Engine vs llama.cpp benchmark (not a test): prefill of a 512-token prompt and greedy decode of
128 tokens, same GGUF, same thread count, each engine in its own process (so peak RSS is per
engine). Prints medians over --repeat runs and the ratios ours/llama.cpp, plus our peak RSS
against the model file + KV cache budget, and decode against the memory-bandwidth roofline
(bench_membw measures the machine's read bandwidth at the same thread count in the same run).

Models: SmolLM2-135M-Instruct Q4_1 (real), and a synthetic Qwen2.5-0.5B-shaped model (fixture
preset qwen2.5-0.5b) quantized to Q8_0 and Q4_K_M by our converter.
llama.cpp runs with its defaults (F16 KV cache, flash attention auto) as users run it; ours runs
the compute mode(s) of --compute: reference (default: deterministic f32, the gates' mode), fast
(non-reference: int8 activations and integer dot kernels, engine.hpp) or both; every line says
which mode produced it. The sides run in rotation (ours per mode, llama.cpp, then --baseline if
given: run in the last mode of --compute) --repeat times; medians and ratios come from the same rotation.
Goals (issue "nightly cost"): prefill >= 1.5x, decode >= 1.2x llama.cpp, decode >= 70 % of the
roofline at 2 threads, peak RSS <= 1.1x (file + f32 KV cache for
prompt + decode positions).

Results, with the machine, its flags, the date and the exact command line: docs/performance.md
("Where the goals stand" first). llama.cpp is llama-cpp-python from the oracle environment
(runner/scripts/setup-oracles.sh): run this script with ~/.cache/apr-qa/venv/bin/python, or
name that interpreter with --llama-python. On a shared machine compare ratios from one rotation,
not absolute numbers across runs.

  python bench/engine.py [--threads 2] [--prompt 512] [--decode 128] [--repeat 1] [--skip-qwen]
                         [--only-qwen] [--verbose] [--baseline OTHER_bench_engine_run]
                         [--compute reference|fast|both] [--llama-python PYTHON]
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
t0, c0 = time.perf_counter(), time.process_time()
llm.eval(prompt)
t1, c1 = time.perf_counter(), time.process_time()
tok = int(np.argmax(last_logits()))
t2, c2 = time.perf_counter(), time.process_time()
for _ in range(n_decode - 1):
    llm.eval([tok])
    tok = int(np.argmax(last_logits()))
t3, c3 = time.perf_counter(), time.process_time()
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
info = llama_cpp.llama_print_system_info().decode()
print(json.dumps({"prefill_tps": n_prompt / (t1 - t0), "decode_tps": (n_decode - 1) / (t3 - t2),
                  "prefill_tps_cpu": n_prompt / (c1 - c0), "decode_tps_cpu": (n_decode - 1) / (c3 - c2),
                  "ttft_ms": (t2 - t0) * 1e3, "peak_rss_bytes": rss,
                  "amx_int8": "AMX_INT8 = 1" in info}))
'''


def run_json(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}...: {r.stderr.strip()[-1500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def median_of(runs, key):
    return statistics.median(r[key] for r in runs)


def streamed_bytes(path):
    """Bytes a decode step reads: every tensor once, except the token embedding table (one row is
    read) when the model has its own output matrix."""
    here = os.path.dirname(os.path.abspath(__file__))  # bench/tokenize.py would shadow the stdlib's
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]
    from gguf import GGUFReader
    sizes = {t.name: int(t.n_bytes) for t in GGUFReader(path).tensors}
    total = sum(sizes.values())
    if "output.weight" in sizes:
        total -= sizes.get("token_embd.weight", 0)
    return total


def measure_bandwidth(a, ours_bin):
    """The machine's read bandwidth at the bench's thread count now (bench_membw, GB/s)."""
    bw = run_json([os.path.join(os.path.dirname(ours_bin), "bench_membw"), str(a.threads)])
    return bw[f"read_gbps_{a.threads}t"]


def bench(label, path, a, ours_bin):
    modes = ["reference", "fast"] if a.compute == "both" else [a.compute]
    ours = {m: [] for m in modes}
    theirs, base, bws = [], [], []
    for _ in range(a.repeat):  # alternate the sides so that load changes hit them alike
        if a.bandwidth:  # the read bandwidth moves with the host too: sampled in every rotation
            bws.append(measure_bandwidth(a, ours_bin))
        for m in modes:
            ours[m].append(run_json([ours_bin, path, str(a.prompt), str(a.decode), str(a.threads), m]))
        theirs.append(run_json([a.llama_python, "-c", LLAMA_CHILD, path, str(a.prompt), str(a.decode),
                                str(a.threads)]))
        if a.baseline:
            # in our (last) mode: a kernel change is compared with the same compute mode
            base.append(run_json([a.baseline, path, str(a.prompt), str(a.decode), str(a.threads), modes[-1]]))
    size = os.path.getsize(path)
    kv = ours[modes[0]][0]["kv_cache_bytes"]
    print(f"  llama.cpp: {a.llama_python} ({'with' if theirs[0].get('amx_int8') else 'without'} "
          "its AMX int8 kernels)")
    tp, td = median_of(theirs, "prefill_tps"), median_of(theirs, "decode_tps")
    trss = median_of(theirs, "peak_rss_bytes")
    mib = 1024 * 1024
    print(f"{label}: file {size / mib:.1f} MiB, KV(f32) {kv / mib:.1f} MiB, threads {a.threads}")
    if a.verbose:
        for k in ("prefill_tps", "decode_tps", "prefill_tps_cpu", "decode_tps_cpu", "peak_rss_bytes"):
            print(f"  runs {k}: llama.cpp {[round(r.get(k, 0), 1) for r in theirs]}")
    streamed = streamed_bytes(path) if a.bandwidth else None
    bw = statistics.median(bws) if bws else None
    if bws:
        print(f"  read bandwidth in this model's rotations: {', '.join(f'{b:.1f}' for b in bws)} GB/s "
              f"(median {bw:.1f}; the roofline below uses the median)")
    for m in modes:
        runs = ours[m]
        assert all(r.get("compute") == m for r in runs), "bench_engine_run did not report the mode asked for"
        op, od = median_of(runs, "prefill_tps"), median_of(runs, "decode_tps")
        orss = median_of(runs, "peak_rss_bytes")
        if a.verbose:
            for k in ("prefill_tps", "decode_tps", "prefill_tps_cpu", "decode_tps_cpu", "peak_rss_bytes"):
                print(f"  runs {k}: ours[{m}] {[round(r.get(k, 0), 1) for r in runs]}")
        print(f"  [compute {m}] prefill {a.prompt} tok: ours {op:8.1f} tok/s  llama.cpp {tp:8.1f} tok/s  "
              f"ratio {op / tp:.2f} (goal >= 1.5)")
        print(f"  [compute {m}] decode {a.decode} tok:  ours {od:8.1f} tok/s  llama.cpp {td:8.1f} tok/s  "
              f"ratio {od / td:.2f} (goal >= 1.2)")
        if streamed:
            print(f"  [compute {m}] decode roofline: {streamed / 1e6:.1f} MB of weights per token at "
                  f"{bw:.1f} GB/s read = {bw * 1e9 / streamed:.1f} tok/s; ours "
                  f"{od * streamed / (bw * 1e9) * 100:.0f} %, llama.cpp "
                  f"{td * streamed / (bw * 1e9) * 100:.0f} % (goal >= 70 % at 2 threads)")
        if all("prefill_tps_cpu" in r for r in runs + theirs):
            opc, odc = median_of(runs, "prefill_tps_cpu"), median_of(runs, "decode_tps_cpu")
            tpc, tdc = median_of(theirs, "prefill_tps_cpu"), median_of(theirs, "decode_tps_cpu")
            print(f"  [compute {m}] per CPU second (process CPU time, steadier on a loaded machine): prefill ours "
                  f"{opc:.1f} / llama.cpp {tpc:.1f} = {opc / tpc:.2f}, decode ours {odc:.1f} / llama.cpp {tdc:.1f} "
                  f"= {odc / tdc:.2f}")
        print(f"  [compute {m}] peak RSS: ours {orss / mib:.1f} MiB = {orss / (size + kv):.2f}x (file + KV) "
              f"(goal <= 1.1); llama.cpp {trss / mib:.1f} MiB")
    if base:
        bp, bd, brss = (median_of(base, k) for k in ("prefill_tps", "decode_tps", "peak_rss_bytes"))
        print(f"  baseline {os.path.basename(a.baseline)}: prefill {bp:.1f} tok/s ({bp / tp:.2f}x llama.cpp), "
              f"decode {bd:.1f} tok/s ({bd / td:.2f}x), peak RSS {brss / mib:.1f} MiB = {brss / (size + kv):.2f}x")
        bpc, bdc = median_of(base, "prefill_tps_cpu"), median_of(base, "decode_tps_cpu")
        tpc, tdc = median_of(theirs, "prefill_tps_cpu"), median_of(theirs, "decode_tps_cpu")
        print(f"  baseline per CPU second: prefill {bpc:.1f} ({bpc / tpc:.2f}x llama.cpp), decode {bdc:.1f} "
              f"({bdc / tdc:.2f}x)")
        if a.verbose:
            for k in ("prefill_tps", "decode_tps", "prefill_tps_cpu", "decode_tps_cpu", "peak_rss_bytes"):
                print(f"  runs {k}: baseline {[round(r[k], 1) for r in base]}")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--prompt", type=int, default=512)
    ap.add_argument("--decode", type=int, default=128)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--skip-qwen", action="store_true", help="only SmolLM2")
    ap.add_argument("--only-qwen", action="store_true", help="skip SmolLM2")
    ap.add_argument("--verbose", action="store_true", help="also print every run's numbers")
    ap.add_argument("--baseline", metavar="BIN",
                    help="another bench_engine_run build (e.g. before a change) run in the same rotation")
    ap.add_argument("--llama-python", metavar="PYTHON", default=sys.executable,
                    help="the Python whose llama_cpp runs the llama.cpp side (default: this one, the oracle "
                         "venv's build without AMX int8 kernels); bench/setup-llama-amx.sh makes one WITH "
                         "them, for speed comparisons only (their Q4_0/Q4_1 results are wrong in 0.3.16)")
    ap.add_argument("--no-bandwidth", action="store_true", help="skip the memory read bandwidth (roofline) measurement")
    ap.add_argument("--compute", choices=["reference", "fast", "both"], default="reference",
                    help="our compute mode: reference (default, the gates' mode), fast (int8 activations, "
                         "non-reference) or both in the same rotation")
    a = ap.parse_args()
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    build = os.path.join(root, "build", "release")
    ours_bin = os.environ.get("APR_QA_BENCH_RUN", os.path.join(build, "bench", "bench_engine_run"))
    # The machine's read bandwidth at the same thread count (bench_membw) is sampled in every
    # rotation of every model: it moves with the host.
    a.bandwidth = not a.no_bandwidth
    tools = os.environ.get("APR_QA_TOOLS_DIR", os.path.join(build, "tests", "oracle", "tools"))
    models = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
    work = os.environ.get("APR_QA_WORK_DIR") or tempfile.mkdtemp(prefix="engine_bench_")
    if not a.only_qwen:
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
