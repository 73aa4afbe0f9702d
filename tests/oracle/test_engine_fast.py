#!/usr/bin/env python3
"""The engine's fast compute mode (int8 activations, non-reference) on the real SmolLM2-135M-Instruct
Q4_1 GGUF, against the reference mode on the same file and tokens.

Checks: every number is labelled with the mode that produced it ("compute" in the JSON of
perplexity, logits and generate); on the frozen corpus (2 windows of 128 tokens, the scored
halves) KL(reference || fast) mean < 0.02 nats and max < 0.5, top-1 agreement >= 90 %, perplexity
within 3 % (measured: KL mean ~0.004, top-1 ~96 %, docs/engine.md; a wrong scale, offset or nibble
order gives KL of order 1 and top-1 near chance, checked on purpose when the bounds were set); the
fast logits differ from the reference ones (the int8 kernels ran); 1 and 2 threads give bitwise
identical fast logits (threads split output rows only). Prints "N passed, N failed".
"""
import json
import os

import numpy as np

from oracle_support import Checks, apr, env_path, work_dir

C = Checks()
MODELS = env_path("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
SMOL = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
TEXT = os.path.join(env_path("APR_QA_SOURCE_DIR"), "corpus", "apr-qa-docs-v1.txt")
WD = work_dir("engine_fast")


def fidelity(c):
    common = ["--file", TEXT, "--ctx", "128", "--chunks", "2", "--threads", "2", "--json"]
    base = os.path.join(WD, "ref.logits")
    ref = json.loads(apr("perplexity", SMOL, "--save-logits", base, *common))
    fast = json.loads(apr("perplexity", SMOL, "--compute", "fast", "--kl-base", base, *common))
    c.eq(ref["compute"], "reference", "perplexity JSON names the default mode")
    c.eq(fast["compute"], "fast", "perplexity JSON names the fast mode")
    k = fast["kl"]
    print(f"INFO fast vs reference: KL mean {k['kl_mean']:.6f} median {k['kl_median']:.6f} p99 {k['kl_p99']:.6f} "
          f"max {k['kl_max']:.6f}, top-1 {100 * k['top1_agreement']:.2f} %, PPL {ref['perplexity']:.4f} -> "
          f"{fast['perplexity']:.4f} over {k['positions']} positions", flush=True)
    c.check(f"KL mean {k['kl_mean']:.5f} < 0.02", k["kl_mean"] < 0.02)
    c.check(f"KL max {k['kl_max']:.5f} < 0.5", k["kl_max"] < 0.5)
    c.check(f"KL max {k['kl_max']:.2e} > 0: the int8 kernels ran", k["kl_max"] > 0)
    c.check(f"top-1 agreement {k['top1_agreement']:.4f} >= 0.90", k["top1_agreement"] >= 0.90)
    rel = abs(fast["perplexity"] - ref["perplexity"]) / ref["perplexity"]
    c.check(f"perplexity within 3 % of the reference mode's ({rel:.4f})", rel < 0.03)


def threads(c):
    toks = ",".join(str(t) for t in [1, 504, 3575, 282, 4649, 314, 7042, 30, 198, 2988, 314, 42, 216, 34])
    out = {}
    for mode, th in (("fast", 1), ("fast", 2), ("reference", 1)):
        path = os.path.join(WD, f"{mode}{th}.bin")
        j = json.loads(apr("logits", SMOL, "--tokens", toks, "--compute", mode, "--threads", str(th), "--out", path))
        c.eq(j["compute"], mode, f"logits JSON names the mode ({mode})")
        with open(path, "rb") as f:
            out[(mode, th)] = f.read()
    c.check("fast mode: 1 and 2 threads give bitwise identical logits", out[("fast", 1)] == out[("fast", 2)])
    c.check("fast and reference logits differ", out[("fast", 1)] != out[("reference", 1)])
    a = np.frombuffer(out[("fast", 1)], dtype="<f4")
    c.check("fast logits finite and non-zero", bool(np.all(np.isfinite(a)) and np.abs(a).max() > 0))
    g = json.loads(apr("generate", SMOL, "-p", "The capital of France is", "-n", "4", "--compute", "fast", "--json"))
    c.eq(g["compute"], "fast", "generate JSON names the fast mode")
    c.check("generate in fast mode produced tokens", len(g["tokens"]) == 4)


C.run("fidelity", fidelity)
C.run("threads", threads)
C.finish()
