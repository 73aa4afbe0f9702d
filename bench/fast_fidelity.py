#!/usr/bin/env python3
"""Fidelity of the engine's fast compute mode (int8 activations, non-reference) against its
reference mode, on the benchmark models of bench/engine.py, and of llama.cpp against the same
reference for scale (llama.cpp also rounds activations to 8 bits, per 32 values or per 256).

Per model, on the frozen corpus (corpus/apr-qa-docs-v1.txt), --chunks windows of --ctx tokens, the
scored second half of each window (what `apr-qa perplexity` scores):
  1. `apr-qa perplexity --compute reference --save-logits REF` (the reference logits);
  2. `apr-qa perplexity --compute fast --kl-base REF`: KL(reference || fast) per position (mean,
     median, p99, max), top-1 agreement, perplexity of both;
  3. unless --no-llama: llama.cpp (llama-cpp-python, flash attention off, F32 KV cache) on the same
     windows (token ids checked equal to the saved targets), KL(reference || llama.cpp) and top-1.
Both of our runs report their mode in their JSON ("compute"); the script checks it.

Models: SmolLM2-135M-Instruct Q4_1 (real weights) and the synthetic Qwen2.5-0.5B-shaped model
(random weights: its logits are nearly flat, so its KL and top-1 measure the arithmetic, not a
language model's confidence) in Q8_0 and Q4_K_M, built as bench/engine.py builds them.

  python bench/fast_fidelity.py [--ctx 256] [--chunks 4] [--threads 1] [--skip-qwen] [--no-llama]
Env: APR_QA_BIN (apr-qa), APR_QA_TOOLS_DIR, APR_QA_MODELS_DIR, APR_QA_WORK_DIR (as bench/engine.py).
"""
import os
import sys

# bench/tokenize.py would shadow the stdlib's tokenize (imported by numpy, llama_cpp): drop this
# directory from the import path first.
_HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != _HERE]

import argparse  # noqa: E402
import json  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402

import numpy as np  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def apr(a, *args):
    r = subprocess.run([a.bin, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"apr-qa {' '.join(args[:2])}: exit {r.returncode}: {r.stderr.strip()[-1500:]}")
    return json.loads(r.stdout.strip().splitlines()[-1])


def read_saved_logits(path):
    with open(path, "rb") as f:
        assert f.readline() == b"APRPPLLOGITS1\n", path
        h = json.loads(f.readline())
        per, vocab = h["per_chunk"], h["vocab"]
        targets, rows = [], []
        for _ in range(h["chunks"]):
            targets.append(np.frombuffer(f.read(4 * per), dtype="<i4"))
            rows.append(np.frombuffer(f.read(4 * per * vocab), dtype="<f4").reshape(per, vocab))
    return h, targets, rows


def log_softmax(x):
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def llama_vs_reference(a, model, text, ref_path):
    """KL(reference || llama.cpp) and top-1 agreement over the positions saved in ref_path."""
    from llama_cpp import Llama
    h, targets, rows = read_saved_logits(ref_path)
    ctx, per = h["ctx"], h["per_chunk"]
    llm = Llama(model_path=model, n_ctx=ctx, n_batch=ctx, n_ubatch=ctx, logits_all=True, flash_attn=False,
                type_k=0, type_v=0, n_threads=a.threads, verbose=False, seed=0)
    tokens = llm.tokenize(text.encode("utf-8"), add_bos=True, special=False)
    add_bos = llm.tokenize(b"", add_bos=True, special=False)[:1] == [llm.token_bos()]
    first = ctx - 1 - per
    kls, same = [], []
    for c in range(h["chunks"]):
        window = list(tokens[c * ctx:(c + 1) * ctx])
        if add_bos:
            window[0] = llm.token_bos()
        if not np.array_equal(np.array(window[first + 1:first + 1 + per]), targets[c]):
            return None  # another tokenization: no comparison
        llm.reset()
        llm.eval(window)
        ll = np.array(llm.scores[first:first + per], dtype=np.float32)
        lp, lq = log_softmax(rows[c]), log_softmax(ll)
        kls.append((np.exp(lp) * (lp - lq)).sum(axis=-1))
        same.append(rows[c].argmax(axis=-1) == ll.argmax(axis=-1))
    kl = np.concatenate(kls)
    return {"kl_mean": float(kl.mean()), "kl_median": float(np.median(kl)), "kl_p99": float(np.percentile(kl, 99)),
            "kl_max": float(kl.max()), "top1_agreement": float(np.concatenate(same).mean())}


def measure(label, model, a, work):
    text_file = os.path.join(ROOT, "corpus", "apr-qa-docs-v1.txt")
    common = ["--file", text_file, "--ctx", str(a.ctx), "--chunks", str(a.chunks), "--threads", str(a.threads), "--json"]
    ref_path = os.path.join(work, os.path.basename(model) + ".ref.logits")
    ref = apr(a, "perplexity", model, "--compute", "reference", "--save-logits", ref_path, *common)
    fast = apr(a, "perplexity", model, "--compute", "fast", "--kl-base", ref_path, *common)
    assert ref["compute"] == "reference" and fast["compute"] == "fast", "a run did not report the mode asked for"
    k = fast["kl"]
    print(f"{label} ({k['positions']} positions, ctx {a.ctx}, {a.chunks} windows, {a.threads} thread(s)):")
    print(f"  fast vs reference: KL mean {k['kl_mean']:.6f} +/- {k['kl_mean_error']:.6f}, median {k['kl_median']:.6f}, "
          f"p99 {k['kl_p99']:.6f}, max {k['kl_max']:.6f}; top-1 agreement {100 * k['top1_agreement']:.2f} %")
    print(f"  perplexity: reference {ref['perplexity']:.4f}, fast {fast['perplexity']:.4f} "
          f"(delta {fast['perplexity'] - ref['perplexity']:+.4f}); tokens/s: reference {ref['tokens_per_second']:.1f}, "
          f"fast {fast['tokens_per_second']:.1f}")
    if not a.no_llama:
        with open(text_file, encoding="utf-8") as f:
            text = f.read()
        ll = llama_vs_reference(a, model, text, ref_path)
        if ll is None:
            print("  llama.cpp vs reference: skipped (llama.cpp tokenizes the text differently)")
        else:
            print(f"  llama.cpp vs reference (scale): KL mean {ll['kl_mean']:.6f}, median {ll['kl_median']:.6f}, "
                  f"p99 {ll['kl_p99']:.6f}, max {ll['kl_max']:.6f}; top-1 agreement {100 * ll['top1_agreement']:.2f} %")
    sys.stdout.flush()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--ctx", type=int, default=256)
    ap.add_argument("--chunks", type=int, default=4)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--skip-qwen", action="store_true", help="only SmolLM2")
    ap.add_argument("--no-llama", action="store_true", help="skip llama.cpp's KL against the reference")
    a = ap.parse_args()
    build = os.path.join(ROOT, "build", "release")
    a.bin = os.environ.get("APR_QA_BIN", os.path.join(build, "runner", "apr-qa"))
    tools = os.environ.get("APR_QA_TOOLS_DIR", os.path.join(build, "tests", "oracle", "tools"))
    models = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
    work = os.environ.get("APR_QA_WORK_DIR") or tempfile.mkdtemp(prefix="fast_fidelity_")
    measure("SmolLM2-135M-Instruct Q4_1", os.path.join(models, "SmolLM2-135M-Instruct.Q4_1.gguf"), a, work)
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
        measure(f"Qwen2.5-0.5B-shaped synthetic {q.upper()}", g, a, work)


if __name__ == "__main__":
    main()
