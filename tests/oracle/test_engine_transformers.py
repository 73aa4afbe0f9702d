#!/usr/bin/env python3
"""Engine vs HF transformers (float32, attn_implementation="eager") on tiny random qwen2 and llama
checkpoints written by our fixture writer (SafeTensors HF snapshots, tied and untied).

Checks, per model: max|dlogit| <= 1e-4 * max|logit| at every position of several prompts (token
prompts and text prompts), and identical greedy tokens for 32 steps on several prompts (HF run
with a plain argmax loop so that its eos handling cannot shorten the comparison).
Prints "N passed, N failed"; exits non-zero on any failure. A missing oracle is a failure.
"""
import json
import os
import tempfile

import numpy as np

from oracle_support import Checks, stdout_of as run

BIN = os.environ.get("APR_QA_BIN", "")
TOOLS = os.environ.get("APR_QA_TOOLS_DIR", "")
WORK = os.environ.get("APR_QA_WORK_DIR") or tempfile.mkdtemp(prefix="engine_hf_")
THREADS = int(os.environ.get("APR_QA_ENGINE_THREADS", "2"))
os.makedirs(WORK, exist_ok=True)

C = Checks()


def our_logits(model, ids):
    out = os.path.join(WORK, "ours.npy")
    run([BIN, "logits", model, "--tokens", ",".join(map(str, ids)), "--out", out, "--threads", str(THREADS)])
    return np.load(out).astype(np.float64)


TEXTS = ["Hello world", "The quick brown fox jumps", "Once upon a time there was", "def add(a, b):\n    return",
         "1, 2, 3, 4, 5,"]


def main():
    import torch
    from transformers import AutoModelForCausalLM
    torch.manual_seed(0)
    if not BIN or not os.path.exists(BIN):
        C.check(f"APR_QA_BIN is set to an existing binary ({BIN!r})", False)
        return
    tool = os.path.join(TOOLS, "oracle_engine_models")
    for arch, seed, tied in (("qwen2", 3, "tied"), ("qwen2", 4, "untied"), ("llama", 5, "tied"), ("llama", 6, "untied")):
        label = f"{arch}-{tied}"
        snap = os.path.join(WORK, f"{arch}_{tied}")
        run([tool, "fixture", arch, str(seed), snap, tied])
        hf = AutoModelForCausalLM.from_pretrained(snap, torch_dtype=torch.float32, attn_implementation="eager")
        hf.eval()
        vocab = hf.config.vocab_size
        rng = np.random.default_rng(seed)
        prompts = [rng.integers(0, vocab, size=n).tolist() for n in (1, 7, 33, 64)]
        for t in TEXTS:
            g = json.loads(run([BIN, "generate", snap, "-p", t, "--max-tokens", "32", "--json",
                                "--threads", str(THREADS)]))
            prompts.append(g["prompt_tokens"])
            # Greedy 32 steps with HF: plain argmax loop over full recomputation.
            ids = list(g["prompt_tokens"])
            theirs = []
            with torch.no_grad():
                for _ in range(len(g["tokens"])):
                    nxt = int(hf(torch.tensor([ids])).logits[0, -1].argmax())
                    theirs.append(nxt)
                    ids.append(nxt)
            C.check(f"{label}: greedy tokens identical for {len(theirs)} steps on {t!r} (stop {g['stop_reason']})",
                  g["tokens"] == theirs and (len(theirs) == 32 or g["stop_reason"] == "eos"))
        worst_rel = 0.0
        for ids in prompts:
            a = our_logits(snap, ids)
            with torch.no_grad():
                b = hf(torch.tensor([ids])).logits[0].double().numpy()
            if a.shape != b.shape:
                C.check(f"{label}: logits shape ours {a.shape} vs HF {b.shape}", False)
                continue
            d = np.abs(a - b).max(axis=-1)            # per position
            scale = np.abs(b).max(axis=-1)
            rel = float((d / scale).max())
            worst_rel = max(worst_rel, rel)
            C.check(f"{label}: T={len(ids)} max|d| <= 1e-4*max|logit| at every position (worst {rel:.2e})",
                  bool(np.all(d <= 1e-4 * scale)) and scale.min() > 0)
        print(f"INFO {label}: worst max|d|/max|logit| {worst_rel:.3e}")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        C.check(f"unexpected error: {e!r}", False)
    C.finish()
