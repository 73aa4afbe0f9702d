#!/usr/bin/env python3
"""Tokenizer encode throughput on one core: apr-qa vs HF `tokenizers` (Rust), same inputs, same run.

Inputs (real text found on any Debian machine, so runs are comparable):
  prose: /usr/share/common-licenses/* (English licence texts), concatenated
  code:  /usr/lib/python3.11/*.py (first files up to ~1 MB)
Tokenizers: the Qwen2.5 tokenizer.json (shared/tokenizers/qwen2.5) and SmolLM2 (exported from
its GGUF by our code). The input is cut into documents of about 2 KB at line boundaries; each
side encodes every document separately, once to warm its word cache, then REPEATS times; the median of ROUNDS rounds is reported as MB/s and tokens/s.
The ratio is ours / HF (>= 1.0 means we are at least as fast). HF runs with
RAYON_NUM_THREADS=1 (one core); ours is single-threaded.

usage: bench/tokenize.py [--tool PATH] [--repeats N] [--rounds N]
"""
import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ["RAYON_NUM_THREADS"] = "1"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
from tokenizers import Tokenizer  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ap = argparse.ArgumentParser()
ap.add_argument("--tool", default=str(ROOT / "build/release/tests/oracle/tools/oracle_tokenizer_tool"))
ap.add_argument("--shared", default=str(ROOT.parent / "shared"))
ap.add_argument("--gguf", default=os.path.expanduser("~/.cache/apr-qa/models/SmolLM2-135M-Instruct.Q4_1.gguf"))
ap.add_argument("--repeats", type=int, default=3)
ap.add_argument("--rounds", type=int, default=5)
a = ap.parse_args()


def read_many(pattern, limit):
    out = []
    total = 0
    for f in sorted(glob.glob(pattern)):
        try:
            t = Path(f).read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError):
            continue
        out.append(t)
        total += len(t)
        if total >= limit:
            break
    return "\n".join(out)


inputs = {"prose": read_many("/usr/share/common-licenses/*", 1 << 20), "code": read_many("/usr/lib/python3.11/*.py", 1 << 20)}
work = Path(tempfile.mkdtemp(prefix="apr-tok-bench-"))
def chunks(text, size=2048):
    out, cur = [], []
    n = 0
    for line in text.splitlines(keepends=True):
        cur.append(line)
        n += len(line)
        if n >= size:
            out.append("".join(cur))
            cur, n = [], 0
    if cur:
        out.append("".join(cur))
    return out


docs = {k: chunks(v) for k, v in inputs.items()}
files = {}
for k, v in docs.items():
    files[k] = work / f"{k}.jsonl"
    files[k].write_text("".join(json.dumps(d) + "\n" for d in v), encoding="utf-8")

qwen_dir = Path(a.shared) / "tokenizers" / "qwen2.5"
smol_dir = work / "smollm2"
subprocess.run([a.tool, "export", a.gguf, smol_dir], check=True)
qd = json.loads((qwen_dir / "tokenizer.json").read_text())
qd["model"]["merges"] = [m if isinstance(m, str) else " ".join(m) for m in qd["model"]["merges"]]
tokenizers = {"qwen2.5": (qwen_dir, Tokenizer.from_str(json.dumps(qd))),
              "smollm2": (smol_dir, Tokenizer.from_file(str(smol_dir / "tokenizer.json")))}


def ours(src, f):
    r = subprocess.run(["taskset", "-c", "0", a.tool, "bench", src, f, str(a.repeats)], capture_output=True, text=True, check=True)
    j = json.loads(r.stdout)
    return j["seconds"] / a.repeats, j["tokens"]


def hf(tok, ds):
    for d in ds:  # warm the cache
        tok.encode(d, add_special_tokens=False)
    t0 = time.perf_counter()
    for _ in range(a.repeats):
        n = sum(len(tok.encode(d, add_special_tokens=False).ids) for d in ds)
    return (time.perf_counter() - t0) / a.repeats, n


os.sched_setaffinity(0, {0})
print(f"{'tokenizer':10} {'input':6} {'MB':>6} {'ours MB/s':>10} {'HF MB/s':>9} {'ratio':>6} {'tokens':>9}")
worst = None
for name, (src, tok) in tokenizers.items():
    for kind, f in files.items():
        mb = sum(len(d.encode()) for d in docs[kind]) / 1e6
        o = [ours(src, f) for _ in range(a.rounds)]
        h = [hf(tok, docs[kind]) for _ in range(a.rounds)]
        to, th = statistics.median(x[0] for x in o), statistics.median(x[0] for x in h)
        if o[0][1] != h[0][1]:
            print(f"token counts differ: ours {o[0][1]} HF {h[0][1]}", file=sys.stderr)
        ratio = th / to
        worst = ratio if worst is None else min(worst, ratio)
        print(f"{name:10} {kind:6} {mb:6.2f} {mb / to:10.2f} {mb / th:9.2f} {ratio:6.2f} {o[0][1]:9d}")
print(f"worst ratio (ours/HF throughput): {worst:.2f}  (goal >= 1.0)")
