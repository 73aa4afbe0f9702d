"""apr-qa independent consumer: HF transformers reads a SafeTensors snapshot and computes its logits.

Run by the check kind `independent_consumer` for a SafeTensors artifact
(src/qa/checks/independent_consumer.cpp), which embeds this file and runs it with the configured
Python (APR_QA_PYTHON, else the build's oracle venv, else python3) in a child process with a
timeout, offline (HF_HUB_OFFLINE/TRANSFORMERS_OFFLINE set, local files only):

    python consumer_transformers.py MODEL_DIR IDS LOGITS_OUT [TEXTS_JSON]

MODEL_DIR is the HF folder (config.json, model.safetensors, tokenizer files). IDS is a
comma-separated list of token ids (apr-qa's tokenization of the gate prompt plus its greedy
continuation). transformers loads the weights upcast to float32 (its own SafeTensors reader and
dtype conversion: the F32 view), runs one teacher-forced forward pass on CPU and writes the logits
of every position to LOGITS_OUT (float32 little-endian, positions x vocab). TEXTS_JSON, a JSON
list of strings, is encoded with transformers' tokenizer of the folder (its own special-token
settings) into "tokenizations". The last line of stdout is one JSON object, as
consumer_llama_cpp.py's: {"available": false, "why": ...} | {"available": true, "loads": false,
"error": ...} | {"available": true, "loads": true, "n_vocab": V, "f32_view": true, ...}.
"""
import json
import os
import sys


def load_tokenizer(path):
    """transformers' tokenizer of the folder, and a note when a compatibility step was needed.

    tokenizers releases before 0.20 cannot parse BPE merges written as pairs (["a", "b"]), the
    form newer releases write (the real Qwen2.5 tokenizer.json): then the same merges are handed
    over as "a b" strings, which is what the pair means when no symbol holds a space (byte-level
    BPE maps the space to another symbol); anything else is the original error."""
    from transformers import AutoTokenizer
    try:
        return AutoTokenizer.from_pretrained(path, local_files_only=True), ""
    except Exception as first:  # noqa: BLE001
        import tokenizers
        from transformers import PreTrainedTokenizerFast
        try:
            with open(os.path.join(path, "tokenizer.json"), encoding="utf-8") as f:
                j = json.load(f)
            merges = j.get("model", {}).get("merges") or []
            pairs = bool(merges) and all(isinstance(m, list) and len(m) == 2 for m in merges)
            if not pairs or any(" " in a or " " in b for a, b in merges):
                raise first
            j["model"]["merges"] = [f"{a} {b}" for a, b in merges]
            tok = PreTrainedTokenizerFast(tokenizer_object=tokenizers.Tokenizer.from_str(json.dumps(j)))
        except Exception:  # noqa: BLE001 - the original error says more
            raise first
        return tok, f"merges given as 'a b' strings: tokenizers {tokenizers.__version__} cannot read pair merges"


def main(argv):
    if len(argv) not in (4, 5):
        print(json.dumps({"available": False, "why": "usage: consumer_transformers.py MODEL_DIR IDS LOGITS_OUT [TEXTS_JSON]"}))
        return 2
    path, ids_arg, out = argv[1], argv[2], argv[3]
    texts = json.loads(argv[4]) if len(argv) == 5 else []
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        import numpy as np
        import torch
        import transformers
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except Exception as e:  # noqa: BLE001 - any import failure means "not available"
        print(json.dumps({"available": False,
                          "why": f"the Python modules transformers and torch cannot be imported: {e}"}))
        return 0
    torch.set_num_threads(1)
    try:
        model = AutoModelForCausalLM.from_pretrained(path, torch_dtype=torch.float32, local_files_only=True)
        model.eval()
    except Exception as e:  # noqa: BLE001 - transformers refuses the folder
        print(json.dumps({"available": True, "loads": False, "error": f"{type(e).__name__}: {e}"[:500]}))
        return 0
    n_vocab = int(model.get_output_embeddings().weight.shape[0])
    result = {"available": True, "loads": True, "n_vocab": n_vocab, "version": transformers.__version__,
              "f32_view": True}
    try:
        tok, how = load_tokenizer(path)
        result["tokenizations"] = [list(tok(t)["input_ids"]) for t in texts]
        if how:
            result["tokenizer_note"] = how
    except Exception as e:  # noqa: BLE001 - reported; tokenization is then not measured
        result["tokenizer_error"] = f"{type(e).__name__}: {e}"[:300]
    ids = [int(x) for x in ids_arg.split(",") if x.strip()]
    result["positions"] = len(ids)
    bad = [t for t in ids if t < 0 or t >= n_vocab]
    if bad:
        result.update(positions=0, error=f"token ids {bad[:5]} are outside transformers' vocabulary of {n_vocab}")
    elif ids:
        with torch.no_grad():
            logits = model(torch.tensor([ids], dtype=torch.long), use_cache=False).logits[0]
        a = np.ascontiguousarray(logits.to(torch.float32).numpy().astype("<f4"))
        with open(out, "wb") as f:
            f.write(a.tobytes())
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
