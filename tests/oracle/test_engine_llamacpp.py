#!/usr/bin/env python3
"""Engine vs llama.cpp (llama-cpp-python; flash attention off, F32 KV cache, logits_all) on the
same GGUF files: tiny random qwen2 and llama fixtures in F32, Q8_0 and Q4_K_M, and the real
SmolLM2-135M-Instruct Q4_1.

Per model and prompt it records max|dlogit| and the mean KL(llama.cpp || ours) per position, and
checks: top-1 agreement on every position whose llama.cpp top-2 margin exceeds 10x the observed
max|dlogit|; for F32 files greedy 32-token continuations identical on >= 5 prompts; KL below a
loose per-dtype bound; on SmolLM2 the chat answer to "What is 2+2?" (32 greedy tokens) identical.
Prints "N passed, N failed"; exits non-zero on any failure. A missing oracle is a failure.
"""
import json
import os
import tempfile

import numpy as np

from oracle_support import Checks, stdout_of as run

BIN = os.environ.get("APR_QA_BIN", "")
TOOLS = os.environ.get("APR_QA_TOOLS_DIR", "")
MODELS = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
WORK = os.environ.get("APR_QA_WORK_DIR") or tempfile.mkdtemp(prefix="engine_llamacpp_")
THREADS = int(os.environ.get("APR_QA_ENGINE_THREADS", "2"))
os.makedirs(WORK, exist_ok=True)

C = Checks()


def our_logits(model, ids):
    out = os.path.join(WORK, "ours.npy")
    run([BIN, "logits", model, "--tokens", ",".join(map(str, ids)), "--out", out, "--threads", str(THREADS)])
    return np.load(out).astype(np.float64)


def our_generate(model, prompt, n, chat=False):
    cmd = [BIN, "generate", model, "-p", prompt, "--max-tokens", str(n), "--json", "--threads", str(THREADS)]
    if chat:
        cmd.append("--chat")
    return json.loads(run(cmd))


class LlamaCpp:
    def __init__(self, path):
        from llama_cpp import Llama
        self.llm = Llama(model_path=path, n_ctx=512, n_batch=512, logits_all=True, flash_attn=False,
                         type_k=0, type_v=0, n_threads=THREADS, verbose=False, seed=0)

    def logits(self, ids):
        self.llm.reset()
        self.llm.eval(ids)
        return np.array(self.llm.scores[: len(ids)], dtype=np.float64)

    def greedy(self, prompt_ids, n, stops):
        self.llm.reset()
        self.llm.eval(prompt_ids)
        out = []
        for _ in range(n):
            t = int(np.argmax(self.llm.scores[self.llm.n_tokens - 1]))
            out.append(t)
            if t in stops:
                break
            self.llm.eval([t])
        return out


def log_softmax(x):
    m = x.max(axis=-1, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=-1, keepdims=True))


def compare(label, model, ll, prompts, kl_bound, min_top1):
    """Logit agreement on each token prompt; returns the observed max|d| over all prompts."""
    worst = 0.0
    kls = []
    pairs = []
    for ids in prompts:
        a = our_logits(model, ids)
        b = ll.logits(ids)
        if a.shape != b.shape:
            C.check(f"{label}: logits shape ours {a.shape} vs llama.cpp {b.shape}", False)
            return
        pairs.append((a, b))
        worst = max(worst, float(np.abs(a - b).max()))
        pa, pb = log_softmax(a), log_softmax(b)
        kls.extend((np.exp(pb) * (pb - pa)).sum(axis=-1).tolist())
    checked = 0
    agree = 0
    total = 0
    same_top1 = 0
    for a, b in pairs:
        total += a.shape[0]
        same_top1 += int((a.argmax(-1) == b.argmax(-1)).sum())
        top2 = np.sort(b, axis=-1)[:, -2:]
        sel = (top2[:, 1] - top2[:, 0]) > 10 * worst
        checked += int(sel.sum())
        agree += int((a.argmax(-1)[sel] == b.argmax(-1)[sel]).sum())
    mean_kl = float(np.mean(kls))
    print(f"INFO {label}: max|dlogit| {worst:.3e}, mean KL {mean_kl:.3e} (max {max(kls):.3e}), "
          f"top-1 checked on {checked} positions with margin > {10 * worst:.3e}")
    C.check(f"{label}: logits finite and produced by both engines", np.isfinite(worst) and worst > 0)
    # The criterion (vacuous when no position has such a margin; the count is reported).
    C.check(f"{label}: top-1 agreement {agree}/{checked} where margin > 10x max|d|", agree == checked)
    rate = same_top1 / max(total, 1)
    C.check(f"{label}: top-1 agreement on all positions {same_top1}/{total} >= {min_top1:.0%}", total > 0 and rate >= min_top1)
    C.check(f"{label}: mean KL {mean_kl:.3e} <= {kl_bound:g}", mean_kl <= kl_bound)
    return worst


def tiny_prompts(vocab, n=6, length=24, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.integers(0, vocab, size=length).tolist() for _ in range(n)]


TEXT_PROMPTS = ["Hello world", "The quick brown fox", "Once upon a time", "def add(a, b):",
                "1, 2, 3, 4,", "What is the capital of France?"]


def tiny_models():
    tool = os.path.join(TOOLS, "oracle_engine_models")
    out = []
    for arch, seed, tied in (("qwen2", 7, "tied"), ("llama", 8, "untied")):
        snap = os.path.join(WORK, f"{arch}_snap")
        run([tool, "fixture", arch, str(seed), snap, tied])
        for quant, kl, top1 in (("f32", 1e-6, 1.0), ("q8_0", 2e-3, 0.9), ("q4_k_m", 2e-2, 0.8)):
            g = os.path.join(WORK, f"{arch}_{quant}.gguf")
            run([tool, "convert", snap, g, "-" if quant == "f32" else quant])
            out.append((f"{arch}-{quant}", g, quant, kl, top1))
    return out


def main():
    if not BIN or not os.path.exists(BIN):
        C.check(f"APR_QA_BIN is set to an existing binary ({BIN!r})", False)
        return
    try:
        import llama_cpp  # noqa: F401
    except Exception as e:  # missing oracle is a failure
        C.check(f"llama_cpp importable: {e}", False)
        return

    # Tiny fixtures in F32, Q8_0, Q4_K_M.
    try:
        models = tiny_models()
    except Exception as e:
        C.check(f"tiny fixture GGUFs written: {e}", False)
        models = []
    for label, path, quant, kl_bound, top1 in models:
        ll = LlamaCpp(path)
        vocab = ll.llm.n_vocab()
        compare(label, path, ll, tiny_prompts(vocab), kl_bound, top1)
        if quant == "f32":
            same = 0
            for p in TEXT_PROMPTS:
                ours = our_generate(path, p, 32)
                theirs = ll.greedy(ours["prompt_tokens"], 32, set([ours["tokens"][-1]]) if ours["stop_reason"] == "eos" else set())
                if ours["tokens"] == theirs:
                    same += 1
                else:
                    print(f"INFO {label} greedy differs on {p!r}: ours {ours['tokens']} llama.cpp {theirs}")
            C.check(f"{label}: greedy 32-token continuations identical on {same}/{len(TEXT_PROMPTS)} prompts (>= 5)", same >= 5)

    # Real model: SmolLM2-135M-Instruct Q4_1.
    smol = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
    if not os.path.exists(smol):
        C.check(f"real model present at {smol}", False)
    else:
        ll = LlamaCpp(smol)
        prompts = [ll.llm.tokenize(p.encode(), add_bos=False, special=True) for p in TEXT_PROMPTS[:4]]
        compare("smollm2-q4_1", smol, ll, prompts, 5e-2, 0.8)
        ours = our_generate(smol, "What is 2+2?", 32, chat=True)
        stops = {ours["tokens"][-1]} if ours["stop_reason"] == "eos" else set()
        theirs = ll.greedy(ours["prompt_tokens"], 32, stops)
        print(f"INFO smollm2 chat 'What is 2+2?': {ours['text']!r} tokens {ours['tokens']}")
        C.check(f"smollm2 chat greedy tokens identical to llama.cpp ({len(theirs)} tokens)", ours["tokens"] == theirs)
        C.check("smollm2 chat answer is not empty", len(ours["tokens"]) > 3)


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        C.check(f"unexpected error: {e}", False)
    C.finish()
