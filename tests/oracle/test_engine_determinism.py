#!/usr/bin/env python3
"""The engine's determinism contract across containers, dtype encodings and thread counts.

A Q4_K_M GGUF, its SafeTensors export (quantized tensors dequantized exactly to F32) and the APR
copy of that export must give bit-identical logits (reference mode); so must 1 and 2 threads.
Same on the real SmolLM2-135M-Instruct Q4_1 GGUF. As a control, the Q8_0 quantization of the
same checkpoint must give *different* logits (the comparison can fail).
Prints "N passed, N failed"; exits non-zero on any failure.
"""
import hashlib
import os
import tempfile

import numpy as np

from oracle_support import Checks, stdout_of as run

BIN = os.environ.get("APR_QA_BIN", "")
TOOLS = os.environ.get("APR_QA_TOOLS_DIR", "")
MODELS = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
WORK = os.environ.get("APR_QA_WORK_DIR") or tempfile.mkdtemp(prefix="engine_det_")
os.makedirs(WORK, exist_ok=True)

C = Checks()


def logits_bytes(model, tokens, threads):
    out = os.path.join(WORK, "logits.bin")
    run([BIN, "logits", model, "--tokens", tokens, "--out", out, "--threads", str(threads)])
    with open(out, "rb") as f:
        return f.read()


def family(label, files, tokens, vocab_check=True):
    ref = logits_bytes(files[0][1], tokens, 1)
    arr = np.frombuffer(ref, dtype="<f4")
    n_tok = len(tokens.split(","))
    C.check(f"{label}: {files[0][0]} logits non-empty and finite ({arr.size // max(n_tok, 1)} per position)",
          arr.size > 0 and arr.size % n_tok == 0 and np.all(np.isfinite(arr)) and np.abs(arr).max() > 0)
    print(f"INFO {label}: sha256 of logits {hashlib.sha256(ref).hexdigest()[:16]}")
    C.check(f"{label}: {files[0][0]} threads 1 vs 2 bitwise identical", logits_bytes(files[0][1], tokens, 2) == ref)
    for name, path in files[1:]:
        got = logits_bytes(path, tokens, 2)
        C.check(f"{label}: {name} logits bitwise identical to {files[0][0]}", got == ref)
    return ref


def main():
    if not BIN or not os.path.exists(BIN):
        C.check(f"APR_QA_BIN is set to an existing binary ({BIN!r})", False)
        return
    tool = os.path.join(TOOLS, "oracle_engine_models")
    tokens = ",".join(str(t) for t in [1, 17, 42, 99, 7, 250, 3, 64, 128, 31, 200, 5])
    for arch, seed in (("qwen2", 11), ("llama", 12)):
        snap = os.path.join(WORK, f"{arch}_snap")
        run([tool, "fixture", arch, str(seed), snap])
        q4 = os.path.join(WORK, f"{arch}_q4km.gguf")
        st = os.path.join(WORK, f"{arch}_q4km_st")
        apr = os.path.join(WORK, f"{arch}_q4km.apr")
        q8 = os.path.join(WORK, f"{arch}_q8.gguf")
        run([tool, "convert", snap, q4, "q4_k_m"])
        run([tool, "convert", q4, st, "-"])
        run([tool, "convert", st, apr, "-"])
        run([tool, "convert", snap, q8, "q8_0"])
        ref = family(f"{arch} Q4_K_M", [("GGUF", q4), ("SafeTensors export", st), ("APR copy", apr)], tokens)
        C.check(f"{arch}: control: the Q8_0 quantization gives different logits", logits_bytes(q8, tokens, 1) != ref)

    smol = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not os.path.exists(smol):
        C.check(f"real model present at {smol}", False)
        return
    st = os.path.join(WORK, "smol_st")
    apr = os.path.join(WORK, "smol.apr")
    run([tool, "convert", smol, st, "-"])
    run([tool, "convert", st, apr, "-"])
    family("SmolLM2 Q4_1", [("GGUF", smol), ("SafeTensors export", st), ("APR copy", apr)],
           "1,9690,198,2683,359,253,5356,4093,198,1780,314,216,34,27,34,47")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        C.check(f"unexpected error: {e!r}", False)
    C.finish()
