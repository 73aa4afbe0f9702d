#!/usr/bin/env python3
"""Perplexity throughput vs llama.cpp (not a test): tokens evaluated per second by
`apr-qa perplexity` and by llama.cpp (llama-cpp-python, the library llama-perplexity is built on)
on the same GGUF, the same window (ctx) and number of windows, the same thread count. Each side
runs in its own process, in rotation, --repeat times; prints medians and the ratio ours/llama.cpp.
llama.cpp evaluates each window in one batch with logits for every position, as llama-perplexity
does; its tokens come from its own tokenizer of the same corpus (the count, not the ids, matters
for throughput). Goal (issue: nightly cost): >= 1.5x llama.cpp. --compute picks our mode:
reference (default, the gates' mode), fast (int8 activations, non-reference) or both (in the same
rotation); every line names the mode (the JSON's "compute" field, checked).

  python bench/perplexity.py [--model GGUF] [--ctx 256] [--chunks 4] [--threads 1] [--repeat 3]
                             [--compute reference|fast|both]
Env: APR_QA_BIN (default build/release/runner/apr-qa), APR_QA_MODELS_DIR.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LLAMA_CHILD = r'''
import json, sys, time
from llama_cpp import Llama
path, corpus, ctx, chunks, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
llm = Llama(model_path=path, n_ctx=ctx, n_batch=ctx, n_ubatch=ctx, logits_all=True, n_threads=threads,
            n_threads_batch=threads, verbose=False)
toks = llm.tokenize(open(corpus, "rb").read(), add_bos=True)
n = min(chunks, len(toks) // ctx)
t0 = time.perf_counter()
for c in range(n):
    llm.reset()
    llm.eval(toks[c * ctx:(c + 1) * ctx])
dt = time.perf_counter() - t0
print(json.dumps({"tokens": n * ctx, "seconds": dt, "tokens_per_second": n * ctx / dt}))
'''


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--model", default=os.path.join(os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models")),
                                                    "SmolLM2-135M-Instruct.Q4_1.gguf"))
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--chunks", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--compute", choices=["reference", "fast", "both"], default="reference")
    ap.add_argument("--llama-python", metavar="PYTHON", default=sys.executable,
                    help="the Python whose llama_cpp runs the llama.cpp side (default: this one, the oracle "
                         "venv's build without AMX int8 kernels; bench/setup-llama-amx.sh makes one with them)")
    a = ap.parse_args()
    modes = ["reference", "fast"] if a.compute == "both" else [a.compute]
    bin_ = os.environ.get("APR_QA_BIN", os.path.join(ROOT, "build/release/runner/apr-qa"))
    corpus = os.path.join(ROOT, "corpus/apr-qa-docs-v1.txt")
    ours, theirs = {m: [] for m in modes}, []
    for i in range(a.repeat):
        for m in modes:
            r = subprocess.run([bin_, "perplexity", a.model, "--file", corpus, "--ctx", str(a.ctx), "--chunks",
                                str(a.chunks), "--threads", str(a.threads), "--compute", m, "--json"],
                               check=True, capture_output=True, text=True)
            j = json.loads(r.stdout)
            assert j["compute"] == m, "apr-qa perplexity did not report the mode asked for"
            ours[m].append(j["tokens_per_second"])
        r = subprocess.run([a.llama_python, "-c", LLAMA_CHILD, a.model, corpus, str(a.ctx), str(a.chunks), str(a.threads)],
                           check=True, capture_output=True, text=True)
        theirs.append(json.loads(r.stdout.strip().splitlines()[-1])["tokens_per_second"])
        print(f"rotation {i + 1}: " + ", ".join(f"apr-qa [{m}] {ours[m][-1]:.1f} tok/s" for m in modes) +
              f", llama.cpp {theirs[-1]:.1f} tok/s", flush=True)
    mt = statistics.median(theirs)
    for m in modes:
        mo = statistics.median(ours[m])
        print(f"{os.path.basename(a.model)} ctx {a.ctx} x {a.chunks} windows, {a.threads} thread(s), median of "
              f"{a.repeat}: apr-qa [compute {m}] {mo:.1f} tok/s, llama.cpp {mt:.1f} tok/s, ratio {mo / mt:.2f}")


if __name__ == "__main__":
    main()
