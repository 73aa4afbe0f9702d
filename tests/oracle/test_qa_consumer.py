"""The independent-consumer gate F-CONSUMER-GGUF-001 (gates/consumer.yaml, check kind
independent_consumer): `apr-qa run` with the built-in catalogue's consumer gates only (--gates-dir)
on tiny playbooks. Corroborated on the tiny llama and qwen2 fixtures (snapshot input, GGUF made by
apr-qa's converter; with them F-CONSUMER-GGUF-002/003 on the GGUF written from APR and the round
trip's), on a Q4_1 GGUF, on the Qwen2.5-0.5B-shaped fixture cut to one layer (real tokenizer), and on the real SmolLM2-135M-Instruct Q4_1 GGUF; Falsified when the llama Q/K
permutation is skipped on GGUF export *and* import (APR_QA_FAULT=gguf_qk_unpermuted: apr-qa agrees
with itself, llama.cpp does not), and on a GGUF whose token list is longer than token_embd's rows
(written here with gguf-py; llama.cpp refuses it: consumer_loads = 0). F-GGUF-FORMAT-001 (token
list length == token_embd rows, gates/differential.yaml) on the same runs: Corroborated, and
Falsified on the padded GGUF. F-CONSUMER-GGUF-001 Skipped, never passed, when
the Python has no llama_cpp module or does not exist.
Env: APR_QA_BIN, APR_QA_SOURCE_DIR, APR_QA_MODELS_DIR, APR_QA_WORK_DIR."""
import json
import os
import shutil
import subprocess

from oracle_support import Checks, apr, gguf_field_value

BIN = os.environ["APR_QA_BIN"]
SRC = os.environ["APR_QA_SOURCE_DIR"]
MODELS = os.environ.get("APR_QA_MODELS_DIR", os.path.expanduser("~/.cache/apr-qa/models"))
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-consumer")
SMOL = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
GATE = "F-CONSUMER-GGUF-001"
FORMAT_GATE = "F-GGUF-FORMAT-001"  # gates/differential.yaml: token list length == token_embd rows
BOUND = 1e-4  # gates/consumer.yaml

C = Checks()
FORMAT, CHAINS = {}, {}
# With a snapshot directory: the GGUF written from APR, and the end of G -> A -> S -> G.
CHAIN_GATES = ("F-CONSUMER-GGUF-002", "F-CONSUMER-GGUF-003")
shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)
GATES = os.path.join(WORK, "gates")
os.makedirs(GATES)
# matrix.yaml: the process gates every catalogue needs; differential.yaml: F-GGUF-FORMAT-001.
for f in ("consumer.yaml", "matrix.yaml", "differential.yaml"):
    shutil.copy(os.path.join(SRC, "gates", f), GATES)

PLAYBOOK = """name: consumer-{tag}
version: "1.0.0"
model:
  hf_repo: "example/{tag}"
  formats: [{formats}]
test_matrix:
  modalities: [run]
  backends: [cpu]
  scenario_count: 1
failure_policy: collect_all
differential_tests:
  inference_compare:
    enabled: true
    prompt: "What is 2+2?"
    max_tokens: 8
    tolerance: 1e-6
    gates: [F-CONSUMER-GGUF-001, F-CONSUMER-GGUF-002, F-CONSUMER-GGUF-003]
  format_validation:
    enabled: true
    gates: [F-GGUF-FORMAT-001]
"""


def run_gate(tag, model, formats="gguf", env=None):
    """Runs the consumer gates on MODEL; returns (exit code, the F-CONSUMER-GGUF-001 entries, output);
    the F-GGUF-FORMAT-001 entries are kept in FORMAT[tag].
    The run's exit code is not judged here: the matrix's run cells (matrix.yaml, copied for its
    process gates) judge random-weight fixtures' text too."""
    pb = os.path.join(WORK, tag + ".playbook.yaml")
    with open(pb, "w") as f:
        f.write(PLAYBOOK.format(tag=tag.replace("_", "-"), formats=formats))
    out = os.path.join(WORK, "out-" + tag)
    e = dict(os.environ)
    e.update(env or {})
    r = subprocess.run([BIN, "run", pb, "--model-path", model, "-o", out, "--gates-dir", GATES, "-q", "-j", "1"],
                       capture_output=True, text=True, env=e, timeout=1200)
    ev = json.load(open(os.path.join(out, "evidence.json")))
    FORMAT[tag] = [x for x in ev if x["gate_id"] == FORMAT_GATE]
    CHAINS[tag] = [x for x in ev if x["gate_id"] in CHAIN_GATES]
    return r.returncode, [x for x in ev if x["gate_id"] == GATE], r.stdout + r.stderr


def meas(entry, name):
    ms = [m for m in entry["measurements"] if m["name"] == name]
    return ms[0]["value"] if ms else None


def show(tag, entry):
    vals = {n: meas(entry, n) for n in ("consumer_loads", "max_rel_logit_diff", "argmax_mismatches",
                                        "native_max_rel_logit_diff", "positions_compared")}
    print(f"   {tag}: {entry['outcome']} {vals} | {entry.get('reason', '')[:300]}", flush=True)


def corroborated(c, tag, model, formats="gguf"):
    rc, es, log = run_gate(tag, model, formats)
    c.check(f"{tag}: one {GATE} entry", len(es) == 1, log[-2000:])
    for e in es:
        show(tag, e)
        c.check(f"{tag}: Corroborated", e["outcome"] == "Corroborated", e.get("reason", ""))
        c.check(f"{tag}: llama.cpp loads it", meas(e, "consumer_loads") == 1)
        c.check(f"{tag}: max_rel_logit_diff {meas(e, 'max_rel_logit_diff')} <= {BOUND}",
                meas(e, "max_rel_logit_diff") is not None and meas(e, "max_rel_logit_diff") <= BOUND)
        c.check(f"{tag}: no argmax mismatch", meas(e, "argmax_mismatches") == 0)
        c.check(f"{tag}: llama.cpp tokenizes the prompt and the probe alike", meas(e, "tokenization_mismatches") == 0)
        c.check(f"{tag}: positions compared", (meas(e, "positions_compared") or 0) >= 2)
    if "safetensors" in formats:
        c.eq(sorted(x["gate_id"] for x in CHAINS[tag]), list(CHAIN_GATES), f"{tag}: the chain GGUFs' consumer gates")
        for e in CHAINS[tag]:
            show(f"{tag} {e['gate_id']}", e)
            c.check(f"{tag}: {e['gate_id']} Corroborated", e["outcome"] == "Corroborated", e.get("reason", ""))
    c.check(f"{tag}: one {FORMAT_GATE} entry", len(FORMAT[tag]) == 1)
    for e in FORMAT[tag]:
        print(f"   {tag}: {FORMAT_GATE} {e['outcome']} gguf_tokens={meas(e, 'gguf_tokens')} "
              f"gguf_vocab_row_mismatches={meas(e, 'gguf_vocab_row_mismatches')}", flush=True)
        c.check(f"{tag}: {FORMAT_GATE} Corroborated", e["outcome"] == "Corroborated", e.get("reason", ""))


def fixtures(c):
    for arch in ("llama", "qwen2"):
        d = os.path.join(WORK, arch)
        apr("fixture", "--arch", arch, "--preset", "tiny", "-o", d)
        # A snapshot directory: the workspace GGUF is apr-qa's conversion of the SafeTensors.
        corroborated(c, f"fixture-{arch}", d, "safetensors, apr, gguf")
    q = os.path.join(WORK, "llama-q4_1.gguf")
    apr("convert", os.path.join(WORK, "llama"), q, "--to", "gguf", "--quantize", "q4_1")
    corroborated(c, "fixture-llama-q4_1", q)
    # The real Qwen2.5 tokenizer (BF16, the 0.5B shape cut to one layer): the non-ASCII probe.
    d = os.path.join(WORK, "qwen2.5")
    apr("fixture", "--arch", "qwen2", "--preset", "qwen2.5-0.5b", "--layers", "1", "-o", d)
    g = os.path.join(WORK, "qwen2.5.gguf")
    apr("convert", d, g, "--to", "gguf")
    shutil.rmtree(d)
    corroborated(c, "fixture-qwen2.5-1-layer", g)


def qk_fault(c):
    d = os.path.join(WORK, "llama")
    rc, es, log = run_gate("qk-unpermuted", d, "safetensors, apr, gguf", {"APR_QA_FAULT": "gguf_qk_unpermuted"})
    c.check(f"qk fault: one {GATE} entry", len(es) == 1, log[-2000:])
    for e in es:
        show("qk-unpermuted", e)
        c.check("qk fault: Falsified", e["outcome"] == "Falsified", e["outcome"])
        c.check("qk fault: llama.cpp loads it", meas(e, "consumer_loads") == 1)
        c.check(f"qk fault: max_rel_logit_diff {meas(e, 'max_rel_logit_diff')} > 100 x {BOUND}",
                (meas(e, "max_rel_logit_diff") or 0) > 100 * BOUND)
        c.check("qk fault: the reason names max_rel_logit_diff", "max_rel_logit_diff" in e.get("reason", ""), e.get("reason"))
    c.eq(sorted(x["gate_id"] for x in CHAINS["qk-unpermuted"]), list(CHAIN_GATES), "qk fault: the chain GGUFs' consumer gates")
    for e in CHAINS["qk-unpermuted"]:
        show(f"qk-unpermuted {e['gate_id']}", e)
        c.check(f"qk fault: {e['gate_id']} Falsified", e["outcome"] == "Falsified", e["outcome"])


def pad_vocab(src, dst, extra=16):
    """gguf-py copy of SRC whose token list (tokens, scores, token types) has EXTRA more entries
    than token_embd has rows."""
    import gguf
    T = gguf.GGUFValueType
    r = gguf.GGUFReader(src)
    arch = gguf_field_value(r.fields["general.architecture"])[2]
    w = gguf.GGUFWriter(dst, arch)
    n = len(gguf_field_value(r.fields["tokenizer.ggml.tokens"])[2])
    pad = {"tokenizer.ggml.tokens": [f"<extra_pad_{i}>" for i in range(extra)],
           "tokenizer.ggml.token_type": [4] * extra, "tokenizer.ggml.scores": [0.0] * extra}
    for f in r.fields.values():
        if f.name == "general.architecture" or f.name.startswith("GGUF."):
            continue
        vt = f.types[0]
        st = f.types[-1] if vt == T.ARRAY else None
        val = f.contents()
        if f.name in pad and len(val) == n:
            val = list(val) + pad[f.name]
        w.add_key_value(f.name, val, vt, sub_type=st)
    for t in r.tensors:
        w.add_tensor_info(t.name, t.data.shape, t.data.dtype, t.data.nbytes, t.tensor_type)
    w.write_header_to_file()
    w.write_kv_data_to_file()
    w.write_ti_data_to_file()
    for t in r.tensors:
        w.write_tensor_data(t.data)
    w.close()
    return n, n + extra


def padded_vocab(c):
    g = os.path.join(WORK, "llama.gguf")
    apr("convert", os.path.join(WORK, "llama"), g, "--to", "gguf")
    p = os.path.join(WORK, "llama-padded-vocab.gguf")
    rows, tokens = pad_vocab(g, p)
    print(f"   padded GGUF: {tokens} tokens, token_embd {rows} rows", flush=True)
    rc, es, log = run_gate("padded-vocab", p)
    c.check(f"padded vocab: one {GATE} entry", len(es) == 1, log[-2000:])
    for e in es:
        show("padded-vocab", e)
        c.check("padded vocab: Falsified", e["outcome"] == "Falsified", e["outcome"])
        c.check("padded vocab: consumer_loads == 0", meas(e, "consumer_loads") == 0)
        c.check("padded vocab: the reason carries llama.cpp's refusal", "llama.cpp refuses the file" in e.get("reason", ""),
                e.get("reason"))
    c.check(f"padded vocab: one {FORMAT_GATE} entry", len(FORMAT["padded-vocab"]) == 1)
    for e in FORMAT["padded-vocab"]:
        print(f"   padded-vocab: {FORMAT_GATE} {e['outcome']} | {e.get('reason', '')[:200]}", flush=True)
        c.check(f"padded vocab: {FORMAT_GATE} Falsified", e["outcome"] == "Falsified", e["outcome"])
        c.check(f"padded vocab: gguf_tokens {meas(e, 'gguf_tokens')} == {tokens}", meas(e, "gguf_tokens") == tokens)
        c.check("padded vocab: gguf_vocab_row_mismatches == 1", meas(e, "gguf_vocab_row_mismatches") == 1)


def smollm2(c):
    c.check(f"the real model is cached at {SMOL} (runner/scripts/setup-oracles.sh)", os.path.exists(SMOL))
    if os.path.exists(SMOL):
        corroborated(c, "smollm2-q4_1", SMOL, "gguf, apr")


def skipped(c):
    g = os.path.join(WORK, "llama.gguf")
    for tag, py, says in (("no-python", os.path.join(WORK, "no-such-python"), "no Python"),
                          ("no-llama-cpp", shutil.which("python3") or "/usr/bin/python3", "llama_cpp")):
        if tag == "no-llama-cpp":
            r = subprocess.run([py, "-c", "import llama_cpp"], capture_output=True)
            if r.returncode == 0:
                print(f"   {py} has llama_cpp: the no-llama-cpp case is not run here", flush=True)
                continue
        rc, es, log = run_gate(tag, g, env={"APR_QA_PYTHON": py})
        c.check(f"{tag}: one {GATE} entry", len(es) == 1, log[-2000:])
        for e in es:
            c.check(f"{tag}: Skipped ({e.get('reason', '')[:200]})", e["outcome"] == "Skipped", e["outcome"])
            c.check(f"{tag}: the reason says {says}", says in e.get("reason", ""), e.get("reason"))


C.run("fixtures corroborated", fixtures)
C.run("Q/K permutation skipped on export and import: falsified", qk_fault)
C.run("padded vocabulary: falsified", padded_vocab)
C.run("SmolLM2-135M-Instruct Q4_1: corroborated", smollm2)
C.run("no Python / no llama_cpp: skipped", skipped)
C.finish()
