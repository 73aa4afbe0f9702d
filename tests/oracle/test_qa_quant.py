"""Quantized variants in the DAG (gates/quantization.yaml, check kind quantization_quality), on the
real SmolLM2-135M-Instruct: its exact F32 dequantization (apr-qa convert --dtype f32) is the
unquantized reference, and a playbook listing model.quantizations [q8_0, q4_k_m, q2_k] gets one
variant per type made by apr-qa's quantizer (byte-identical to llama.cpp's, oracle.convert_quantize)
with KL divergence, top-1 agreement and perplexity change measured against the reference:
- Q8_0 and Q4_K_M Corroborated; Q2_K measured too (its mix: Q3_K, and IQ4_NL for SmolLM2's
  576-wide rows); mean KL ordered Q8_0 (x5 below) < Q4_K_M < Q2_K, Q8_0's x20 below Q2_K's;
- the type chosen per tensor is recorded (metrics.type_selection), the variant is an artifact;
- the KL statistics agree with a numpy computation from the saved logits file of the reference
  (same windows) and the variant's own logits (apr-qa perplexity --save-logits);
- a variant with a planted fault (the block scales of one Q8_0 tensor x1.5, written with gguf-py,
  reused with --reuse-artifacts) is Falsified by F-QUANT-Q8-0-001 on its measured KL;
- the shipped Q4_1 GGUF as source is Skipped: it is already quantized, the reference itself.
Env: APR_QA_BIN, APR_QA_MODELS_DIR, APR_QA_WORK_DIR."""
import json
import os
import shutil
import subprocess

import numpy as np

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
MODELS = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-quant")
SMOL = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
C = Checks()
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
F32 = os.path.join(WORK, "smollm2-f32.gguf")
subprocess.run([BIN, "convert", SMOL, F32, "--to", "gguf", "--dtype", "f32"], check=True, capture_output=True)

PB = os.path.join(WORK, "quant.yaml")
open(PB, "w").write("""name: smollm2-quant
version: "1.0.0"
model:
  hf_repo: "HuggingFaceTB/SmolLM2-135M-Instruct"
  formats: [gguf]
  quantizations: [q8_0, q4_k_m, q2_k]
test_matrix: {modalities: [run], backends: [cpu], scenario_count: 1, prompts: ["The capital of France is"]}
failure_policy: collect_all
""")


def run(model, out, *extra):
    r = subprocess.run([BIN, "run", PB, "--model-path", model, "-o", out, "-q", "-j", "2", *extra], capture_output=True, text=True)
    ev = json.load(open(os.path.join(out, "evidence.json")))
    return r, {e["gate_id"]: e for e in ev if e["gate_id"].startswith("F-QUANT")}


def meas(e):
    return {m["name"]: m["value"] for m in e["measurements"]}


OUT = os.path.join(WORK, "out")
r, q = run(F32, OUT, "--keep-artifacts", "all")  # the variant is planted below
C.check("planned: one entry per listed type", sorted(q) == ["F-QUANT-Q2-K-001", "F-QUANT-Q4-K-M-001", "F-QUANT-Q8-0-001"], sorted(q))
q8, q4, q2 = q["F-QUANT-Q8-0-001"], q["F-QUANT-Q4-K-M-001"], q["F-QUANT-Q2-K-001"]
C.check("Q8_0 Corroborated", q8["outcome"] == "Corroborated", q8["reason"])
C.check("Q4_K_M Corroborated", q4["outcome"] == "Corroborated", q4["reason"])
C.check("Q2_K measured (not Skipped)", q2["outcome"] in ("Corroborated", "Falsified") and "kl_mean" in meas(q2), q2["reason"])
m8, m4, m2 = meas(q8), meas(q4), meas(q2)
print("q8_0", m8, "\nq4_k_m", m4, "\nq2_k", m2)
C.check("Q8_0's mean KL far below Q4_K_M's", m8["kl_mean"] * 5 < m4["kl_mean"], (m8["kl_mean"], m4["kl_mean"]))
C.check("Q8_0's mean KL far below Q2_K's (x20)", m8["kl_mean"] * 20 < m2["kl_mean"], (m8["kl_mean"], m2["kl_mean"]))
C.check("Q4_K_M's mean KL below Q2_K's", m4["kl_mean"] < m2["kl_mean"], (m4["kl_mean"], m2["kl_mean"]))
sel2 = {v.split("->")[-1] for v in q2["details"].get("type_selection", {}).values()}
C.check("Q2_K's type selection uses Q3_K and the IQ4_NL fallback", {"Q3_K", "IQ4_NL"} <= sel2, sorted(sel2))
C.check("scored positions", m8["positions"] >= 128 and m8["positions"] == m4["positions"])
C.check("type selection recorded", len(q4["details"].get("type_selection", {})) > 100, list(q4["details"]))
C.check("Q4_K_M mixes types (Q6_K for some tensors)", any("Q6_K" in v for v in q4["details"]["type_selection"].values()))
variant8 = [a["path"] for a in q8["artifacts"] if a["path"].endswith("model.gguf")]
C.check("the variant is an artifact with its sha256", len(variant8) == 1 and len(q8["artifacts"][-1]["sha256"]) == 64)

# Independent KL: numpy on both sides' saved logits (apr-qa perplexity, same corpus/ctx/chunks).
def saved_logits(model, path):
    subprocess.run([BIN, "perplexity", model, "--ctx", "256", "--chunks", "2", "--save-logits", path], check=True, capture_output=True)
    with open(path, "rb") as f:
        assert f.readline() == b"APRPPLLOGITS1\n"
        hdr = json.loads(f.readline())
        rows, vocab = hdr["per_chunk"], hdr["vocab"]
        out = []
        for _ in range(hdr["chunks"]):
            np.frombuffer(f.read(4 * rows), dtype="<i4")
            out.append(np.frombuffer(f.read(4 * rows * vocab), dtype="<f4").reshape(rows, vocab))
    return np.concatenate(out).astype(np.float64)


base = saved_logits(F32, os.path.join(WORK, "base.logits"))
new = saved_logits(variant8[0], os.path.join(WORK, "q8.logits"))
def logsoftmax(x):
    x = x - x.max(axis=1, keepdims=True)
    return x - np.log(np.exp(x).sum(axis=1, keepdims=True))
lb, ln = logsoftmax(base), logsoftmax(new)
kl = (np.exp(lb) * (lb - ln)).sum(axis=1)
C.check("numpy KL mean == apr-qa's", abs(kl.mean() - m8["kl_mean"]) <= 1e-6 * max(1.0, kl.mean()) + 1e-9, (kl.mean(), m8["kl_mean"]))
C.check("numpy KL p99 == apr-qa's", abs(np.percentile(kl, 99) - m8["kl_p99"]) <= 1e-6 + 1e-6 * kl.max(), (np.percentile(kl, 99), m8["kl_p99"]))
C.check("numpy top-1 agreement == apr-qa's", abs((base.argmax(1) == new.argmax(1)).mean() - m8["top1_agreement"]) < 1e-12)

# A planted quantizer fault: one Q8_0 tensor's block scales x1.5.
from gguf import GGUFReader, GGMLQuantizationType
rd = GGUFReader(variant8[0], "r+")
t = next(t for t in rd.tensors if t.tensor_type == GGMLQuantizationType.Q8_0 and t.name.startswith("blk.0."))
blocks = t.data.reshape(-1).view(np.uint8).reshape(-1, 34)
scales = blocks[:, :2].copy().view(np.float16)
blocks[:, :2] = (scales.astype(np.float32) * 1.5).astype(np.float16).view(np.uint8).reshape(-1, 2)
rd.data.flush()
del rd
print("planted: block scales x1.5 in", t.name)
r, q = run(F32, OUT, "--reuse-artifacts")
f8 = q["F-QUANT-Q8-0-001"]
C.check("the planted fault is Falsified by F-QUANT-Q8-0-001", f8["outcome"] == "Falsified" and "kl_" in f8["reason"], f8["reason"])
C.check("the fault run reused the planted variant", f8["details"].get("cached_variant") is True)
C.check("exit code 1", r.returncode == 1, r.returncode)

# The shipped Q4_1 as source: already quantized, the reference itself.
r, q = run(SMOL, os.path.join(WORK, "out-q4_1"))
s8 = q["F-QUANT-Q8-0-001"]
C.check("a quantized source is Skipped, named", s8["outcome"] == "Skipped" and "already quantized (Q4_1" in s8["reason"], s8["reason"])
C.finish()
