"""SentencePiece-style BPE (GGUF tokenizer.ggml.model = "llama") against llama.cpp.

No TinyLlama/Llama-2 GGUF is available, so this builds small SPM vocabularies (3 specials, the
256 <0xXX> byte tokens, ~1,500 pieces with deterministic pseudo-random scores that include ties,
a user-defined and a control token) and writes them with gguf-py's GGUFWriter (independent of our
GGUF code) as vocab-only llama GGUFs, with and without add_space_prefix. Then for the corpus:
our ids == llama.cpp llama_tokenize (add_special true/false, parse_special true/false); our
decode == llama.cpp llama_detokenize; decode(encode(x)) == x.
"""
import importlib.util
import json
import os
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
spec = importlib.util.spec_from_file_location("tokenizer_corpus", HERE / "test_tokenizer_corpus.py")
corpus_mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(corpus_mod)
from oracle_support import Checks, env_path  # noqa: E402

C = Checks(quiet=True)
TOOL = Path(env_path("APR_QA_TOOLS_DIR")) / "oracle_tokenizer_tool"
WORK = Path(os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-tokenizer-spm"))
WORK.mkdir(parents=True, exist_ok=True)
if not TOOL.exists():
    print(f"FAIL missing {TOOL}\n0 passed, 1 failed")
    sys.exit(1)

import gguf  # noqa: E402
import llama_cpp  # noqa: E402

SP = "\u2581"


def build_vocab(seed):
    r = random.Random(seed)
    pieces = set()
    for w in corpus_mod.WORDS + ["hello", "world", "token", "ization", "ing", "tion", "the", "and"]:
        for k in range(1, len(w) + 1):
            pieces.add(w[:k])
            pieces.add(SP + w[:k])
            pieces.add(w[-k:])
    for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.,!?'\"-()[]{}:;/\\_=+*&%$#@<>|~`^":
        pieces.add(c)
    pieces |= {SP, SP * 2, SP * 4, "\n", "é", "ö", "你", "好", "世界", "🙂", "中文", SP + "é"}
    pieces = sorted(pieces)
    tokens = ["<unk>", "<s>", "</s>"] + [f"<0x{b:02X}>" for b in range(256)]
    types = [2, 3, 3] + [6] * 256
    scores = [0.0, 0.0, 0.0] + [0.0] * 256
    for p in pieces:
        tokens.append(p)
        types.append(1)
        scores.append(-float(r.randint(0, 400)) / 4)  # many ties on purpose
    tokens += ["<tool>", "<|im_end|>"]
    types += [4, 3]
    scores += [0.0, 0.0]
    return tokens, types, scores


def write_gguf(path, tokens, types, scores, add_space_prefix):
    w = gguf.GGUFWriter(str(path), "llama")
    w.add_context_length(2048)
    w.add_embedding_length(64)
    w.add_block_count(1)
    w.add_feed_forward_length(128)
    w.add_head_count(4)
    w.add_layer_norm_rms_eps(1e-5)
    w.add_tokenizer_model("llama")
    w.add_token_list(tokens)
    w.add_token_scores(scores)
    w.add_token_types(types)
    w.add_bos_token_id(1)
    w.add_eos_token_id(2)
    w.add_unk_token_id(0)
    w.add_add_bos_token(True)
    w.add_add_space_prefix(add_space_prefix)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_tensors_to_file()
    w.close()


class LlamaVocab:
    def __init__(self, path):
        llama_cpp.llama_backend_init()
        p = llama_cpp.llama_model_default_params()
        p.vocab_only = True
        self.model = llama_cpp.llama_model_load_from_file(str(path).encode(), p)
        if not self.model:
            raise RuntimeError(f"llama.cpp cannot load {path}")
        self.vocab = llama_cpp.llama_model_get_vocab(self.model)

    def tokenize(self, text, add_special, parse_special):
        b = text.encode("utf-8")
        n = len(b) * 2 + 8
        arr = (llama_cpp.llama_token * n)()
        k = llama_cpp.llama_tokenize(self.vocab, b, len(b), arr, n, add_special, parse_special)
        assert k >= 0
        return list(arr[:k])

    def detokenize(self, ids):
        arr = (llama_cpp.llama_token * max(1, len(ids)))(*ids)
        n = 64 + 16 * len(ids)
        buf = (ctypes.c_char * n)()
        k = llama_cpp.llama_detokenize(self.vocab, arr, len(ids), buf, n, False, True)
        assert k >= 0
        return bytes(buf[:k]).decode("utf-8", errors="replace")


import ctypes  # noqa: E402


def tool(*args):
    r = subprocess.run([str(TOOL), *map(str, args)], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"tool {args}: {r.stderr.strip()}")
    return r.stdout.split("\n")[:-1]


def encode(path, texts, *flags):
    f = WORK / "spm_corpus.jsonl"
    f.write_text("".join(json.dumps(t) + "\n" for t in texts))
    return [json.loads(l) for l in tool("encode", path, f, *flags)]


def decode(path, ids):
    f = WORK / "spm_ids.jsonl"
    f.write_text("".join(json.dumps(i) + "\n" for i in ids))
    return [json.loads(l) for l in tool("decode", path, f)]


def compare(name, texts, got, want):
    bad = [(t, g, w) for t, g, w in zip(texts, got, want) if g != w]
    C.check(f"{name} ({len(texts)} strings)", not bad and texts,
          f"{len(bad)} differ; first: " + "; ".join(f"{t!r}: ours {g} ref {w}" for t, g, w in bad[:4]))


texts = [t for _, t in corpus_mod.make_corpus(["<s>", "</s>", "<tool>", "<|im_end|>"], seed=5)]
texts = [t for t in texts if len(t) < 2000]  # keep llama.cpp's O(n log n) merges quick
C.check("spm corpus >= 2000 strings", len(texts) >= 2000, len(texts))
tokens, types, scores = build_vocab(11)
for prefix in (True, False):
    path = WORK / f"spm-prefix-{int(prefix)}.gguf"
    write_gguf(path, tokens, types, scores, prefix)
    lv = LlamaVocab(path)
    tag = f"spm add_space_prefix={prefix}"
    ours = encode(path, texts)  # tokenizer default: add_bos_token true
    compare(f"{tag}: ours == llama.cpp (add_special, parse_special)", texts, ours, [lv.tokenize(t, True, True) for t in texts])
    ours_nb = encode(path, texts, "--no-bos")
    compare(f"{tag}: ours == llama.cpp (no BOS)", texts, ours_nb, [lv.tokenize(t, False, True) for t in texts])
    compare(f"{tag}: ours == llama.cpp (no BOS, parse_special=false)", texts, encode(path, texts, "--no-bos", "--no-special"),
            [lv.tokenize(t, False, False) for t in texts])
    byte_ids = sum(1 for ids in ours_nb for i in ids if 3 <= i < 259)
    C.check(f"{tag}: byte fallback exercised", byte_ids > 1000, byte_ids)
    dec = decode(path, ours_nb)
    # The dummy prefix is also inserted after every inline added token (llama.cpp), so only
    # strings without added tokens round-trip exactly.
    plain = [i for i, t in enumerate(texts) if not any(s in t for s in ["<s>", "</s>", "<tool>", "<|im_end|>"])]
    C.check(f"{tag}: enough strings without added tokens", len(plain) >= 1800, len(plain))
    compare(f"{tag}: decode(encode(x)) == x (no added tokens inline)", [texts[i] for i in plain],
            [dec[i] for i in plain], [texts[i] for i in plain])
    compare(f"{tag}: our decode == llama.cpp llama_detokenize", texts, dec, [lv.detokenize(i) for i in ours_nb])

C.finish()
