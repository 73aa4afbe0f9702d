#!/usr/bin/env python3
"""Oracle test: files written by `apr-qa convert` load in independent implementations.

* gguf-py (llama.cpp's own reader) reads our GGUF outputs: every tensor name, type and ne, the
  {arch}.rope.freq_base key, and the values (gguf.quants.dequantize) equal the SafeTensors source
  after llama.cpp's converter permutation of Q/K rows for llama (implemented here from
  convert_hf_to_gguf.py's definition, independently of our C++).
* llama.cpp (llama-cpp-python) loads every GGUF output and evaluates; for F32 outputs its logits
  match transformers' logits on the source checkpoint (F32 KV cache, flash attention off).
* transformers loads our SafeTensors directory outputs (G->S) with AutoModelForCausalLM and
  AutoTokenizer: logits bit-identical to the source checkpoint's, same token ids.
Prints "N passed, N failed"; exits non-zero on any failure.
"""
import os
import subprocess
import sys
import traceback

import numpy as np

from oracle_support import Checks, apr, apr_bin, work_dir

BIN = apr_bin()
WORK = work_dir("convert-loaders")
SHARED = os.environ.get("APR_QA_SHARED_DIR", "")

C = Checks()


def hf_to_gguf_permute(w, n_head):
    # llama.cpp convert_hf_to_gguf.py LlamaModel.permute
    return w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:]).swapaxes(1, 2).reshape(w.shape)


HF_TO_GGUF = {
    "model.embed_tokens.weight": "token_embd.weight", "model.norm.weight": "output_norm.weight",
    "lm_head.weight": "output.weight",
}
LAYER = {
    "input_layernorm.weight": "attn_norm.weight", "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.q_proj.bias": "attn_q.bias", "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.k_proj.bias": "attn_k.bias", "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.v_proj.bias": "attn_v.bias", "self_attn.o_proj.weight": "attn_output.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight", "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight", "mlp.down_proj.weight": "ffn_down.weight",
}


def gguf_name(hf):
    if hf in HF_TO_GGUF:
        return HF_TO_GGUF[hf]
    parts = hf.split(".")
    assert parts[0] == "model" and parts[1] == "layers", hf
    return f"blk.{parts[2]}." + LAYER[".".join(parts[3:])]


def load_st(path):
    import torch
    from safetensors.torch import load_file
    return {k: v.to(torch.float32).numpy() for k, v in load_file(path).items()}


def check_gguf_py(tag, gguf_path, st_path, config, quantized):
    import gguf
    r = gguf.GGUFReader(gguf_path)
    arch = bytes(r.fields["general.architecture"].parts[-1]).decode()
    C.check(f"{tag}: gguf-py general.architecture", arch == config["model_type"], arch)
    C.check(f"{tag}: gguf-py {arch}.rope.freq_base present",
          f"{arch}.rope.freq_base" in r.fields and
          abs(float(r.fields[f"{arch}.rope.freq_base"].parts[-1][0]) - config["rope_theta"]) <= 1e-6 * config["rope_theta"])
    C.check(f"{tag}: gguf-py tokenizer.ggml.tokens present", "tokenizer.ggml.tokens" in r.fields)
    src = load_st(st_path)
    tensors = {t.name: t for t in r.tensors}
    expected = {gguf_name(k) for k in src}
    C.check(f"{tag}: gguf-py tensor names", set(tensors) == expected, sorted(set(tensors) ^ expected)[:5])
    worst = 0.0
    bad = []
    for hf, arr in src.items():
        t = tensors.get(gguf_name(hf))
        if t is None:
            continue
        if list(t.shape) != list(reversed(arr.shape)) and list(t.shape) != list(arr.shape[::-1]):
            bad.append(f"{hf} ne {list(t.shape)}")
            continue
        vals = gguf.quants.dequantize(t.data, t.tensor_type).reshape(arr.shape).astype(np.float32)
        ref = arr
        if config["model_type"] == "llama" and (".q_proj." in hf or ".k_proj." in hf):
            n = config["num_attention_heads"] if ".q_proj." in hf else config["num_key_value_heads"]
            ref = hf_to_gguf_permute(arr, n)
        d = float(np.max(np.abs(vals - ref))) if vals.size else 0.0
        if not quantized and d != 0.0:
            bad.append(f"{hf} max|d|={d}")
        worst = max(worst, d)
    if quantized:
        C.check(f"{tag}: gguf-py values within quantization error", worst < 0.02, f"max|d|={worst}")
    else:
        C.check(f"{tag}: gguf-py values equal the source (llama Q/K permuted as llama.cpp's converter)", not bad, bad[:5])


def llama_logits(gguf_path, tokens):
    from llama_cpp import Llama
    llm = Llama(model_path=gguf_path, n_ctx=64, n_batch=64, logits_all=True, type_k=0, type_v=0,
                flash_attn=False, verbose=False, n_threads=2, seed=0)
    llm.eval(tokens)
    out = np.array(llm.scores[: len(tokens)], dtype=np.float64)
    del llm
    return out


def hf_logits(model_dir, tokens):
    import torch
    from transformers import AutoModelForCausalLM
    m = AutoModelForCausalLM.from_pretrained(model_dir, torch_dtype=torch.float32)
    m.eval()
    with torch.no_grad():
        return m(torch.tensor([tokens])).logits[0].to(torch.float64).numpy()


def main():
    import json
    tokens = [10, 72, 101, 108, 280, 33, 44, 5]
    cases = [("qwen2", True, "f32", ""), ("qwen2", False, "bf16", ""), ("llama", True, "f32", ""),
             ("llama", False, "f32", ""), ("llama", False, "f32", "q4_k_m"), ("qwen2", True, "f32", "q8_0")]
    for arch, tied, dtype, quant in cases:
        tag = f"{arch}-{'tied' if tied else 'untied'}-{dtype}{'-' + quant if quant else ''}"
        try:
            d = os.path.join(WORK, tag)
            src = os.path.join(d, "src")
            args = ["fixture", "--arch", arch, "--preset", "tiny", "--seed", "3", "--dtype", dtype, "-o", src]
            if SHARED:
                args += ["--shared", SHARED]
            if not tied:
                args.append("--untied")
            apr(*args)
            config = json.load(open(os.path.join(src, "config.json")))
            g = os.path.join(d, "model.gguf")
            conv = ["convert", src, g] + (["--quantize", quant] if quant else [])
            apr(*conv)
            check_gguf_py(tag, g, os.path.join(src, "model.safetensors"), config, bool(quant))

            ll = llama_logits(g, tokens)
            C.check(f"{tag}: llama.cpp loads and evaluates our GGUF", np.isfinite(ll).all() and ll.shape[0] == len(tokens))
            ref = hf_logits(src, tokens)
            rel = float(np.max(np.abs(ll - ref)) / np.max(np.abs(ref)))
            if not quant and dtype == "f32":
                C.check(f"{tag}: llama.cpp logits on our GGUF == transformers logits on the source (rel {rel:.2e})", rel < 1e-3, rel)
            elif not quant:
                C.check(f"{tag}: llama.cpp logits on our BF16 GGUF close to transformers (rel {rel:.2e})", rel < 3e-2, rel)

            # G -> S directory: transformers loads it; logits identical to the source checkpoint's
            # when the GGUF was lossless, and the tokenizer encodes like the source's.
            s_out = os.path.join(d, "back")
            apr("convert", g, s_out)
            out = hf_logits(s_out, tokens)
            if not quant:
                C.check(f"{tag}: transformers logits on our G->S output bit-identical to the source", np.array_equal(out, ref),
                      float(np.max(np.abs(out - ref))))
            else:
                ll_rel = float(np.max(np.abs(out - ll)) / np.max(np.abs(ll)))
                C.check(f"{tag}: transformers on the dequantized G->S output close to llama.cpp on the GGUF (rel {ll_rel:.2e})",
                      ll_rel < 5e-2, ll_rel)
            from transformers import AutoTokenizer
            ta, tb = AutoTokenizer.from_pretrained(src), AutoTokenizer.from_pretrained(s_out)
            texts = ["Hello world, the answer is 42.", "in the and of is\n\n  x", "<|im_start|>user\nhi<|im_end|>"]
            C.check(f"{tag}: AutoTokenizer on our output encodes like the source",
                  all(ta.encode(t) == tb.encode(t) for t in texts), [(ta.encode(t), tb.encode(t)) for t in texts][:1])
            msgs = [{"role": "user", "content": "What is 2+2?"}]
            C.check(f"{tag}: chat template carried to tokenizer_config.json",
                  ta.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True) ==
                  tb.apply_chat_template(msgs, tokenize=False, add_generation_prompt=True))
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            C.check(f"{tag}: completed", False, repr(e))
    # CLI contract of `apr-qa diff`: exit 0 equal, 1 different, 2 error (and JSON output).
    try:
        d = os.path.join(WORK, "cli")
        a, b = os.path.join(d, "a"), os.path.join(d, "b")
        extra = ["--shared", SHARED] if SHARED else []
        apr("fixture", "--arch", "llama", "--seed", "5", "-o", a, *extra)
        apr("fixture", "--arch", "llama", "--seed", "6", "-o", b, *extra)
        g = os.path.join(d, "a.gguf")
        apr("convert", a, g, "--verify")
        r = subprocess.run([BIN, "diff", a, g, "--json"], capture_output=True, text=True)
        import json
        rep = json.loads(r.stdout) if r.returncode in (0, 1) else {}
        C.check("apr-qa diff S vs its GGUF: exit 0, equal, max|diff| 0",
              r.returncode == 0 and rep.get("equal") is True and rep.get("max_abs_diff") == 0, (r.returncode, r.stderr[-300:]))
        r = subprocess.run([BIN, "diff", a, b], capture_output=True, text=True)
        C.check("apr-qa diff of two different seeds: exit 1, DIFFERENT", r.returncode == 1 and "DIFFERENT" in r.stdout,
              (r.returncode, r.stdout[-300:]))
        r = subprocess.run([BIN, "diff", a, b, "--atol", "1", "--rtol", "0"], capture_output=True, text=True)
        C.check("apr-qa diff within --atol 1: exit 0", r.returncode == 0, (r.returncode, r.stdout[-300:]))
        r = subprocess.run([BIN, "diff", a, os.path.join(d, "missing.gguf")], capture_output=True, text=True)
        C.check("apr-qa diff with a missing file: exit 2 or 3 with an error naming it",
              r.returncode in (2, 3) and "missing.gguf" in r.stderr, (r.returncode, r.stderr[-300:]))
        r = subprocess.run([BIN, "convert", a, os.path.join(d, "x.gguf"), "--quantize", "q4_k_m", "--dtype", "f16"],
                           capture_output=True, text=True)
        C.check("apr-qa convert with --dtype and --quantize: exit 2, nothing written",
              r.returncode == 2 and not os.path.exists(os.path.join(d, "x.gguf")), (r.returncode, r.stderr[-300:]))
    except Exception as e:  # noqa: BLE001
        traceback.print_exc()
        C.check("cli: completed", False, repr(e))
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
