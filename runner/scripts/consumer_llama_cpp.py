"""apr-qa independent consumer: llama.cpp (llama-cpp-python) reads a GGUF and computes its logits.

Run by the check kind `independent_consumer` (src/qa/checks/independent_consumer.cpp), which embeds
this file and runs it with the configured Python (APR_QA_PYTHON, else the build's oracle venv,
else python3) in a child process with a timeout:

    python consumer_llama_cpp.py MODEL.gguf IDS LOGITS_OUT [TEXTS_JSON]

IDS is a comma-separated list of token ids (apr-qa's tokenization of the gate prompt plus its
greedy continuation), possibly empty: then the model is only loaded. llama.cpp computes the logits
of every position (teacher-forced, logits_all, one thread, no flash attention, F32 KV cache) twice:
on the file itself (LOGITS_OUT.native) and on an F32 view of it that llama.cpp's own quantizer
writes (llama_model_quantize to ALL_F32, which dequantizes every tensor with llama.cpp's code) into
LOGITS_OUT.f32view.gguf, deleted afterwards (LOGITS_OUT). The F32 view takes llama.cpp's quantized
matmuls, which round activations to Q8, out of the comparison, so that it can be tight. Logits are
float32 little-endian, positions x n_vocab. TEXTS_JSON, a JSON list of strings, is tokenized with
llama.cpp's own tokenizer (the model's add-BOS setting, special tokens not parsed) into
"tokenizations". The last line of stdout is one JSON object:
  {"available": false, "why": "..."}                 llama_cpp cannot be imported (the gate is Skipped)
  {"available": true, "loads": false, "error": "..."} llama.cpp refuses the file (its log is on stderr)
  {"available": true, "loads": true, "n_vocab": V, "positions": N, "version": "...", "f32_view": true}
"""
import ctypes
import json
import os
import sys


def main(argv):
    if len(argv) not in (4, 5):
        print(json.dumps({"available": False, "why": "usage: consumer_llama_cpp.py MODEL IDS LOGITS_OUT [TEXTS_JSON]"}))
        return 2
    path, ids_arg, out = argv[1], argv[2], argv[3]
    texts = json.loads(argv[4]) if len(argv) == 5 else []
    try:
        import llama_cpp
        import numpy as np
        from llama_cpp import Llama
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        print(json.dumps({"available": False, "why": f"the Python module llama_cpp (llama-cpp-python) cannot be imported: {e}"}))
        return 0
    ids = [int(x) for x in ids_arg.split(",") if x.strip()]
    n_ctx = max(64, len(ids))
    try:
        # verbose=True so that llama.cpp's reason for refusing a file reaches stderr.
        llm = Llama(model_path=path, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, logits_all=True, flash_attn=False,
                    type_k=0, type_v=0, n_threads=1, n_threads_batch=1, n_gpu_layers=0, seed=0, verbose=True)
    except Exception as e:  # noqa: BLE001 - llama-cpp-python raises ValueError on a refused file
        print(json.dumps({"available": True, "loads": False, "error": str(e)[:500]}))
        return 0
    n_vocab = int(llm.n_vocab())
    result = {"available": True, "loads": True, "n_vocab": n_vocab, "positions": len(ids),
              "version": getattr(llama_cpp, "__version__", "")}
    result["tokenizations"] = [llm.tokenize(t.encode("utf-8"), add_bos=True, special=False) for t in texts]
    if not ids:
        print(json.dumps(result))
        return 0
    bad = [t for t in ids if t < 0 or t >= n_vocab]
    if bad:
        result.update(positions=0, error=f"token ids {bad[:5]} are outside llama.cpp's vocabulary of {n_vocab}")
        print(json.dumps(result))
        return 0

    def logits_of(m, dest):
        m.reset()
        m.eval(ids)
        a = np.ascontiguousarray(np.asarray(m.scores[: len(ids)], dtype="<f4"))
        with open(dest, "wb") as f:
            f.write(a.tobytes())

    logits_of(llm, out + ".native")
    del llm
    view = out + ".f32view.gguf"
    try:
        qp = llama_cpp.llama_model_quantize_default_params()
        qp.ftype = 0  # LLAMA_FTYPE_ALL_F32
        qp.allow_requantize = True
        qp.nthread = 1
        rc = llama_cpp.llama_model_quantize(path.encode(), view.encode(), ctypes.byref(qp))
        if rc != 0:
            raise RuntimeError(f"llama_model_quantize to F32 returned {rc}")
        v = Llama(model_path=view, n_ctx=n_ctx, n_batch=n_ctx, n_ubatch=n_ctx, logits_all=True, flash_attn=False,
                  type_k=0, type_v=0, n_threads=1, n_threads_batch=1, n_gpu_layers=0, seed=0, verbose=False)
        if int(v.n_vocab()) != n_vocab:
            raise RuntimeError(f"the F32 view has {v.n_vocab()} tokens, the file {n_vocab}")
        logits_of(v, out)
        del v
        result["f32_view"] = True
    except Exception as e:  # noqa: BLE001 - reported, the F32 comparison is then not measured
        result.update(f32_view=False, view_error=str(e)[:500])
    finally:
        if os.path.exists(view):
            os.remove(view)
    print(json.dumps(result))
    return 0

if __name__ == "__main__":
    sys.exit(main(sys.argv))
