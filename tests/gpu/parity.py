#!/usr/bin/env python3
"""CPU<->GPU parity lines of the device check (tests/gpu/device_check.sh).

argv: apr-qa binary, backend under test (gpu; cpu for a dry run), output JSON, model files...
For each model: teacher-forced logits of 100 positions on cpu and twice on the backend under test,
max|b - cpu| / max|cpu| (goal <= 1e-5, the reference mode's), the second run bit-identical to the
first, argmax agreement, and 32 greedy tokens equal on both backends. One line per model; exits 1
when a line fails its goals.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

B, BACKEND, OUT = sys.argv[1], sys.argv[2], sys.argv[3]
MODELS = sys.argv[4:]
N = 100
IDS = ",".join(str((7 * i + 3) % 290 + 1) for i in range(N))  # 100 positions: more than one prefill chunk
TMP = tempfile.mkdtemp(prefix="parity_")


def logits(model, backend, name):
    path = os.path.join(TMP, name)
    t0 = time.time()
    r = subprocess.run([B, "logits", model, "--tokens", IDS, "--backend", backend, "-o", path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"logits --backend {backend}: exit {r.returncode}: {r.stderr.strip()}")
    return np.fromfile(path, dtype="<f4").reshape(N, -1), time.time() - t0


def greedy(model, backend):
    r = subprocess.run([B, "generate", model, "-p", "hello world the", "-n", "32", "--backend", backend, "--json"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"generate --backend {backend}: exit {r.returncode}: {r.stderr.strip()}")
    return json.loads(r.stdout)


res, failed = {}, 0
for m in MODELS:
    name = os.path.basename(m) if not m.endswith("model.safetensors") else os.path.basename(os.path.dirname(m))
    try:
        c, tc = logits(m, "cpu", "c.f32")
        g1, tg = logits(m, BACKEND, "g1.f32")
        g2, _ = logits(m, BACKEND, "g2.f32")
        rel = float(np.abs(g1 - c).max() / np.abs(c).max())
        rerun = bool(np.array_equal(g1.view(np.uint32), g2.view(np.uint32)))
        gc, gg = greedy(m, "cpu"), greedy(m, BACKEND)
        same = gc["tokens"] == gg["tokens"]
        ok = rel <= 1e-5 and rerun and same and len(gg["tokens"]) == 32
        res[name] = dict(rel_max_diff=rel, rerun_bit_identical=rerun, argmax_agree=float((g1.argmax(1) == c.argmax(1)).mean()),
                         greedy_tokens_equal=same, generated=len(gg["tokens"]), cpu_s=round(tc, 3),
                         backend_s=round(tg, 3), ok=ok)
    except Exception as e:  # noqa: BLE001 — a failing model is a failed line, not a stopped check
        res[name] = dict(error=str(e)[:300], ok=False)
    failed += not res[name]["ok"]
    r = res[name]
    if "error" in r:
        print(f"  FAIL {name:<22} {r['error']}", flush=True)
    else:
        print(f"  {'ok  ' if r['ok'] else 'FAIL'} {name:<22} rel max diff {r['rel_max_diff']:.2e} (<= 1e-5), rerun "
              f"{'bit-identical' if r['rerun_bit_identical'] else 'DIFFERS'}, argmax agree {r['argmax_agree']:.3f}, "
              f"32 greedy tokens {'equal' if r['greedy_tokens_equal'] else 'DIFFER'} (cpu {r['cpu_s']} s, "
              f"{BACKEND} {r['backend_s']} s)", flush=True)
json.dump(res, open(OUT, "w"), indent=1)
print(f"parity: {len(MODELS) - failed}/{len(MODELS)} models pass")
sys.exit(1 if failed else 0)
