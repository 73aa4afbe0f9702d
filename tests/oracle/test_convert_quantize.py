#!/usr/bin/env python3
"""Oracle test: `apr-qa convert --quantize q4_k_m` equals llama.cpp's llama_model_quantize.

From the same F32 GGUF (written by apr-qa from an F32 fixture), llama.cpp's own quantizer
(llama_cpp.llama_model_quantize, ftype 15 = Q4_K_M, no imatrix) and ours must pick the same type
for every tensor and write byte-identical tensor data. Two fixtures: a tiny llama with 8 layers
(every row length a multiple of 256: Q4_K, and Q6_K on the use_more_bits layers 0, 3, 6, 7 for
attn_v/ffn_down, Q6_K output) and a qwen2 with the real Qwen2.5-0.5B widths (hidden 896: the
ne0 % 256 fallbacks to Q5_0 / Q8_0) cut to 2 layers. Also checks q8_0 and q6_k the same way, and
q2_k / q3_k_m on both fixtures (their mixes: Q3_K/Q4_K/Q5_K on attn_v, ffn_down and attn_output;
on the 896-wide rows Q2_K and Q3_K fall back to IQ4_NL, whose bytes come from ggml's scale search).
Prints "N passed, N failed"; exits non-zero on any failure.
"""
import ctypes
import os
import sys
import traceback

from oracle_support import Checks, apr, apr_bin, work_dir

BIN = apr_bin()
WORK = work_dir("convert-quantize")
SHARED = os.environ.get("APR_QA_SHARED_DIR", "")
FTYPE = {"q4_k_m": 15, "q8_0": 7, "q6_k": 18, "q5_k_m": 17, "q4_0": 2, "q2_k": 10, "q3_k_m": 12}
C = Checks()


def llama_quantize(src, dst, ftype):
    import llama_cpp
    p = llama_cpp.llama_model_quantize_default_params()
    p.ftype = ftype
    p.nthread = 2
    rc = llama_cpp.llama_model_quantize(src.encode(), dst.encode(), ctypes.byref(p))
    if rc != 0:
        raise RuntimeError(f"llama_model_quantize returned {rc}")


def compare(tag, ours, ref):
    import gguf
    a = {t.name: t for t in gguf.GGUFReader(ours).tensors}
    b = {t.name: t for t in gguf.GGUFReader(ref).tensors}
    C.check(f"{tag}: same tensor names", set(a) == set(b), sorted(set(a) ^ set(b))[:5])
    type_bad = [(n, a[n].tensor_type.name, b[n].tensor_type.name) for n in sorted(set(a) & set(b))
                if a[n].tensor_type != b[n].tensor_type]
    C.check(f"{tag}: same tensor type for each of {len(b)} tensors", not type_bad, type_bad[:6])
    byte_bad = [n for n in sorted(set(a) & set(b))
                if a[n].tensor_type == b[n].tensor_type and bytes(a[n].data.tobytes()) != bytes(b[n].data.tobytes())]
    C.check(f"{tag}: byte-identical tensor data", not byte_bad, byte_bad[:6])
    kinds = sorted({b[n].tensor_type.name for n in b})
    print(f"     {tag}: types used by llama.cpp: {kinds}")
    return kinds


def main():
    fixtures = [("llama-tiny8", ["--arch", "llama", "--preset", "tiny", "--layers", "8", "--untied"]),
                ("qwen2-896", ["--arch", "qwen2", "--preset", "qwen2.5-0.5b", "--layers", "2"])]
    for tag, fargs in fixtures:
        try:
            d = os.path.join(WORK, tag)
            src = os.path.join(d, "src")
            extra = ["--shared", SHARED] if SHARED else []
            apr("fixture", *fargs, "--seed", "11", "--dtype", "f32", "-o", src, *extra)
            f32 = os.path.join(d, "f32.gguf")
            apr("convert", src, f32)
            schemes = (["q4_k_m", "q8_0", "q6_k"] if tag.startswith("llama") else ["q4_k_m"]) + ["q2_k", "q3_k_m"]
            for s in schemes:
                ours, ref = os.path.join(d, f"ours-{s}.gguf"), os.path.join(d, f"ref-{s}.gguf")
                apr("convert", f32, ours, "--quantize", s)
                llama_quantize(f32, ref, FTYPE[s])
                kinds = compare(f"{tag} {s}", ours, ref)
                if s == "q4_k_m" and tag.startswith("qwen2"):
                    C.check(f"{tag}: ne0=896 falls back (Q5_0 and Q8_0 present, no Q4_K on 896-wide rows)",
                          "Q5_0" in kinds and "Q8_0" in kinds)
                if s == "q2_k":
                    # 896-wide rows: every Q2_K tensor falls back to IQ4_NL; ffn_down (4864) keeps Q3_K
                    want = {"IQ4_NL", "Q3_K"} if tag.startswith("qwen2") else {"Q2_K", "Q3_K"}
                    C.check(f"{tag} q2_k: the mix uses {sorted(want)}", want <= set(kinds), kinds)
                if s == "q3_k_m":
                    want = {"IQ4_NL", "Q4_K", "Q5_1"} if tag.startswith("qwen2") else {"Q3_K", "Q4_K", "Q5_K"}
                    C.check(f"{tag} q3_k_m: the mix uses {sorted(want)}", want <= set(kinds), kinds)
                if s == "q4_k_m" and tag.startswith("llama"):
                    C.check(f"{tag}: Q4_K and Q6_K both used", "Q4_K" in kinds and "Q6_K" in kinds)
                os.remove(ours)
                os.remove(ref)
        except Exception as e:  # noqa: BLE001
            traceback.print_exc()
            C.check(f"{tag}: completed", False, repr(e))
    return C.summary()


if __name__ == "__main__":
    sys.exit(main())
