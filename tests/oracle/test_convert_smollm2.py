#!/usr/bin/env python3
"""Oracle test: the real SmolLM2-135M-Instruct Q4_1 GGUF (llama architecture, Q/K rows permuted
by llama.cpp's converter, tied embeddings, GPT-2 style BPE) converted by `apr-qa convert` to a
SafeTensors directory loads in transformers, and transformers' greedy continuation of several
prompts equals llama.cpp's greedy continuation on the source GGUF. This proves the Q/K
un-permute, the config export (rope theta, eps, heads, tying) and the tokenizer export
(AutoTokenizer ids equal llama.cpp's tokenization). Prints "N passed, N failed".
"""
import os
import subprocess
import sys
import traceback

import numpy as np

from oracle_support import Checks, apr_bin, work_dir

BIN = apr_bin()
WORK = work_dir("convert-smollm2")
MODELS = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
SRC = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
N_NEW = 6
PROMPTS = ["The capital of France is", "def fibonacci(n):", "Once upon a time, there was a",
           "1, 2, 3, 4, 5,", "The quick brown fox"]
C = Checks()


def main():
    try:
        C.check("real model present (a missing oracle is a failure)", os.path.isfile(SRC), SRC)
        if not os.path.isfile(SRC):
            raise RuntimeError("missing " + SRC)
        out = os.path.join(WORK, "smollm2-st")
        r = subprocess.run([BIN, "convert", SRC, out], capture_output=True, text=True)
        C.check("apr-qa convert GGUF -> SafeTensors directory", r.returncode == 0, r.stderr)
        import torch
        from llama_cpp import Llama
        from transformers import AutoModelForCausalLM, AutoTokenizer
        tok = AutoTokenizer.from_pretrained(out)
        model = AutoModelForCausalLM.from_pretrained(out, torch_dtype=torch.float32)
        model.eval()
        llm = Llama(model_path=SRC, n_ctx=256, logits_all=True, type_k=0, type_v=0, flash_attn=False,
                    verbose=False, n_threads=2, seed=0)
        agree_first = agree_all = 0
        for p in PROMPTS:
            ids_hf = tok.encode(p)
            ids_ll = llm.tokenize(p.encode(), add_bos=False, special=False)
            C.check(f"tokenization equal for {p!r}", list(ids_hf) == list(ids_ll), (ids_hf, ids_ll))
            with torch.no_grad():
                g = model.generate(torch.tensor([ids_ll]), max_new_tokens=N_NEW, do_sample=False,
                                   pad_token_id=tok.eos_token_id)
            hf_new = g[0, len(ids_ll):].tolist()
            llm.reset()
            seq = list(ids_ll)
            ll_new = []
            for _ in range(N_NEW):
                llm.eval(seq if not ll_new else [seq[-1]])
                nxt = int(np.argmax(llm.scores[llm.n_tokens - 1]))
                ll_new.append(nxt)
                seq.append(nxt)
            print(f"     {p!r}: transformers {hf_new} | llama.cpp {ll_new}")
            agree_first += hf_new[:1] == ll_new[:1]
            agree_all += hf_new == ll_new
        C.check(f"greedy next token equal on all {len(PROMPTS)} prompts", agree_first == len(PROMPTS), agree_first)
        C.check(f"greedy {N_NEW}-token continuation equal on all {len(PROMPTS)} prompts "
              "(Q4_1 x Q8_1 activations in llama.cpp vs F32 dequantized weights in torch)",
              agree_all == len(PROMPTS), agree_all)
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        C.check("completed", False, repr(e))
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
